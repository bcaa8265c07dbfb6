"""`model.save("model.h5")`: Keras 3's legacy HDF5 model file, written and read back."""

import h5py
import jax
import numpy as np
import pytest

import hoarfrost as keras
from hoarfrost import layers

RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 5)).astype("float32")
Y = RNG.normal(size=(64, 1)).astype("float32")


def trained():
    keras.utils.set_random_seed(0)
    a = keras.Input((5,), name="a")
    h = layers.BatchNormalization(name="bn")(layers.Dense(4, activation="tanh", name="d1")(a))
    model = keras.Model(a, layers.Dense(1, name="out")(h))
    model.compile(keras.optimizers.Adam(1e-2), "mse", metrics=["mae"])
    model.fit(X, Y, epochs=2, verbose=0)
    return model


def save(model, path, **kwargs):
    with pytest.warns(UserWarning, match="HDF5 file via `model.save\\(\\)`.*legacy"):
        model.save(path, **kwargs)


def test_a_model_saved_to_h5_loads_back_exactly_and_trains_on(tmp_path):
    model = trained()
    save(model, tmp_path / "m.h5")
    loaded = keras.models.load_model(tmp_path / "m.h5")
    assert np.array_equal(model.predict(X, verbose=0), loaded.predict(X, verbose=0))
    assert loaded.compiled and int(loaded.optimizer.iterations.numpy()) == 4
    before = model.optimizer.snapshot(model.trainable_weights)
    after = loaded.optimizer.snapshot(loaded.trainable_weights)
    assert all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(before.slots),
                                                     jax.tree.leaves(after.slots)))
    model.fit(X, Y, epochs=1, verbose=0, shuffle=False)
    loaded.fit(X, Y, epochs=1, verbose=0, shuffle=False)
    assert np.array_equal(model.predict(X, verbose=0), loaded.predict(X, verbose=0))


def text(names):
    return [n.decode() if isinstance(n, bytes) else str(n) for n in names]


def test_the_file_is_laid_out_as_keras_3_writes_it(tmp_path):
    """Names and attributes as in a file Keras 3.15 wrote for the same model."""
    save(trained(), tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert {"backend", "keras_version", "model_config", "training_config"} <= set(f.attrs)
        group = f["model_weights"]
        assert text(group.attrs["layer_names"]) == ["a", "d1", "bn", "out"]
        assert text(group["bn"].attrs["weight_names"]) == [
            "bn/gamma", "bn/beta", "bn/moving_mean", "bn/moving_variance"]
        assert group["d1/d1/kernel"].shape == (5, 4)
        names = text(f["optimizer_weights"].attrs["weight_names"])
        assert names[:6] == ["adam/iteration", "adam/learning_rate", "adam/d1_kernel_momentum",
                             "adam/d1_kernel_velocity", "adam/d1_bias_momentum",
                             "adam/d1_bias_velocity"]


def test_frozen_layers_and_variables_stay_frozen_through_h5(tmp_path):
    model = trained()
    model.get_layer("d1").trainable = False
    model.get_layer("out").bias.trainable = False
    model.fit(X, Y, epochs=1, verbose=0)
    save(model, tmp_path / "m.h5")
    loaded = keras.models.load_model(tmp_path / "m.h5")
    assert [v.path for v in loaded.trainable_weights] == [v.path for v in model.trainable_weights]
    frozen = [np.array(v.numpy()) for v in loaded.get_layer("d1").weights]
    loaded.fit(X, Y, epochs=1, verbose=0)
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(frozen, loaded.get_layer("d1").weights))


def test_include_optimizer_false_and_overwrite_false(tmp_path):
    model = trained()
    save(model, tmp_path / "m.h5", include_optimizer=False)
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f
    loaded = keras.models.load_model(tmp_path / "m.h5")
    assert not loaded.compiled
    assert np.array_equal(model.predict(X, verbose=0), loaded.predict(X, verbose=0))
    with pytest.raises(FileExistsError, match="overwrite=False"), pytest.warns(UserWarning):
        model.save(tmp_path / "m.h5", overwrite=False)
    with pytest.raises(ValueError, match="include_optimizer=False\\) applies to legacy"):
        model.save(tmp_path / "m.keras", include_optimizer=False)
    with pytest.raises(ValueError, match="must end in .keras \\(or .h5"):
        model.save(tmp_path / "m.zip")


def test_model_checkpoint_writes_the_best_model_to_h5(tmp_path):
    """`ModelCheckpoint("best.h5", save_best_only=True)`, as many Keras programs write it."""
    model = trained()
    path = tmp_path / "best.h5"
    checkpoint = keras.callbacks.ModelCheckpoint(str(path), monitor="loss", save_best_only=True)
    with pytest.warns(UserWarning, match="legacy"):
        model.fit(X, Y, epochs=2, verbose=0, callbacks=[checkpoint])
    best = keras.models.load_model(path)
    assert best.compiled and len(best.weights) == len(model.weights)
