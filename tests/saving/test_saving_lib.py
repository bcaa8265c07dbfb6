"""Saving and loading: `.keras` files, weight files, custom objects.

What users rely on: a saved model continues training bit for bit where it
stopped, frozen exactly as it was; a failed save never costs the previous
file; a bad file ends in an error naming it.
"""

import json
import os
import re
import zipfile

import jax
import numpy as np
import pytest

import hoarfrost
from hoarfrost import Input, Model, Sequential, layers, optimizers
from hoarfrost.models import load_model
from hoarfrost.saving import h5_format, saving_lib
from hoarfrost.summary import count_params


# --- helpers -----------------------------------------------------------------------------

def _data(n=64, features=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    y = rng.integers(0, classes, size=n)
    return x, hoarfrost.utils.to_categorical(y, classes)


def _classifier(compile=True, optimizer="adam"):
    model = Sequential([layers.Dense(8, activation="relu", input_dim=4),
                        layers.Dense(3, activation="softmax")])
    if compile:
        model.compile(optimizer=optimizer, loss="categorical_crossentropy",
                      metrics=["accuracy"])
    return model


def _fit(model, x, y, epochs=1):
    hoarfrost.utils.set_random_seed(1)
    model.fit(x, y, batch_size=16, epochs=epochs, shuffle=False, verbose=0)


def _assert_same_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb)
    for left, right in zip(wa, wb):
        assert left.dtype == right.dtype
        assert np.array_equal(left, right)


def _slots_by_index(model):
    """{weight index: [slot leaves as numpy]} for the model's optimizer."""
    state = model.optimizer.snapshot(model.weights)
    return {i: [np.asarray(leaf) for leaf in jax.tree.leaves(slots)]
            for i, slots in enumerate(state.slots) if slots is not None}


def _no_temp_files(directory):
    return [name for name in os.listdir(directory) if name.endswith(".tmp")]


@hoarfrost.saving.register_keras_serializable(package="Test")
class Scale(hoarfrost.layers.Layer):
    """Multiplies by a learned per-feature scale (a registered custom layer)."""

    def __init__(self, init_value=1.0, **kwargs):
        super().__init__(**kwargs)
        self.init_value = init_value

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), name="scale",
                                     initializer=hoarfrost.initializers.Constant(self.init_value))

    def call(self, inputs):
        return inputs * self.scale

    def get_config(self):
        return {**super().get_config(), "init_value": self.init_value}


class Shift(hoarfrost.layers.Layer):
    """Adds a learned offset; deliberately not registered."""

    def build(self, input_shape):
        self.offset = self.add_weight(shape=(input_shape[-1],), name="offset",
                                      initializer="ones")

    def call(self, inputs):
        return inputs + self.offset


class Gain(hoarfrost.layers.Layer):
    """Takes an __init__ argument but forgets to return it from get_config()."""

    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor


class BadConfig(hoarfrost.layers.Layer):
    """A layer whose config holds an object JSON can not write."""

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {**super().get_config(), "thing": object()}


# --- 1. save mid-training, load, continue -----------------------------------------------

def test_loaded_model_continues_training_bit_exactly(tmp_path):
    x, y = _data()
    model = _classifier()
    _fit(model, x, y)
    path = tmp_path / "m.keras"
    model.save(path)
    saved_weights = model.get_weights()
    saved_slots = _slots_by_index(model)
    saved_iterations = int(model.optimizer.iterations.numpy())
    assert saved_iterations == 4 and saved_slots

    loaded = load_model(path)
    assert loaded.compiled
    assert type(loaded.optimizer) is optimizers.Adam
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert int(loaded.optimizer.iterations.numpy()) == saved_iterations
    assert loaded.optimizer.iterations.dtype == model.optimizer.iterations.dtype
    loaded_slots = _slots_by_index(loaded)
    assert loaded_slots.keys() == saved_slots.keys()
    for i, leaves in saved_slots.items():
        assert len(leaves) == len(loaded_slots[i])
        for want, got in zip(leaves, loaded_slots[i]):
            assert want.dtype == got.dtype and np.array_equal(want, got)
    for want, got in zip(saved_weights, loaded.get_weights()):
        assert np.array_equal(want, got)

    _fit(model, x, y)
    _fit(loaded, x, y)
    _assert_same_weights(model, loaded)
    assert int(loaded.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy()) == 8
    for want, got in zip(saved_weights, loaded.get_weights()):
        assert not np.array_equal(want, got)  # it did train
    assert [m.name for m in loaded.metrics] == [m.name for m in model.metrics]


def test_compile_settings_round_trip(tmp_path):
    """Optimizer config, loss (name or object), metrics (names or objects), multipliers."""
    model = _classifier(compile=False)
    model.compile(optimizer=optimizers.SGD(0.05, momentum=0.9, nesterov=True, clipnorm=1.0),
                  loss=hoarfrost.losses.CategoricalCrossentropy(label_smoothing=0.1),
                  metrics=["accuracy", hoarfrost.metrics.TopKCategoricalAccuracy(k=2)],
                  steps_per_execution=4,
                  lr_multipliers={"dense/*": 0.5, re.compile(r"_1/bias$"): 0.0})
    model.save(tmp_path / "sgd.keras")
    loaded = load_model(tmp_path / "sgd.keras")
    assert type(loaded.optimizer) is optimizers.SGD
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded._loss_obj.get_config() == model._loss_obj.get_config()
    assert loaded.steps_per_execution == 4
    assert loaded._metric_identifiers[0] == "accuracy"
    top_k = hoarfrost.metrics.get(loaded._metric_identifiers[1])
    assert isinstance(top_k, hoarfrost.metrics.TopKCategoricalAccuracy)
    assert top_k.get_config() == model._metric_identifiers[1].get_config()
    assert [loaded.optimizer.multiplier_for(v) for v in loaded.weights] == [0.5, 0.5, 1.0, 0.0]
    # a loaded model saves and loads again with the same settings
    loaded.save(tmp_path / "again.keras")
    again = load_model(tmp_path / "again.keras")
    assert again.optimizer.get_config() == model.optimizer.get_config()
    assert again._loss_obj.get_config() == model._loss_obj.get_config()
    assert again._metric_identifiers == loaded._metric_identifiers
    assert [again.optimizer.multiplier_for(v) for v in again.weights] == [0.5, 0.5, 1.0, 0.0]


def test_custom_loss_and_metric_need_custom_objects(tmp_path):
    def my_loss(y_true, y_pred):
        return hoarfrost.ops.mean((y_true - y_pred) ** 2, axis=-1)

    def my_metric(y_true, y_pred):
        return hoarfrost.ops.mean(hoarfrost.ops.abs(y_true - y_pred), axis=-1)

    model = _classifier(compile=False)
    model.compile(optimizer="adam", loss=my_loss, metrics=[my_metric])
    model.save(tmp_path / "custom_loss.keras")
    with pytest.warns(UserWarning, match="my_loss.*custom_objects"):
        uncompiled = load_model(tmp_path / "custom_loss.keras")
    assert uncompiled.compiled is False
    _assert_same_weights(model, uncompiled)
    loaded = load_model(tmp_path / "custom_loss.keras",
                        custom_objects={"my_loss": my_loss, "my_metric": my_metric})
    assert loaded.compiled and loaded.loss is my_loss
    assert loaded._metric_identifiers == [my_metric]


def test_custom_metric_subclass_instance_saves_and_loads(tmp_path):
    """An unregistered `Metric` subclass given as an instance (its config saved)."""
    class MeanAbs(hoarfrost.metrics.Metric):
        def __init__(self, name="mean_abs", **kwargs):
            super().__init__(name=name, **kwargs)
            self.total = self.add_variable(shape=(), initializer="zeros", name="total")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.total.assign_add(hoarfrost.ops.sum(hoarfrost.ops.abs(y_true - y_pred)))

        def result(self):
            return self.total

    model = _classifier(compile=False)
    model.compile(optimizer="adam", loss="mse", metrics=[MeanAbs(name="abs_err")])
    model.save(tmp_path / "custom_metric.keras")
    loaded = load_model(tmp_path / "custom_metric.keras", custom_objects={"MeanAbs": MeanAbs})
    assert loaded.compiled
    [metric] = loaded._metric_identifiers
    assert isinstance(metric, MeanAbs) and metric.name == "abs_err"


def test_learning_rate_schedule_is_not_silently_replaced(tmp_path):
    import optax
    schedule = optax.exponential_decay(0.1, transition_steps=1, decay_rate=0.5)
    model = _classifier(optimizer=optimizers.Adam(schedule))
    model.optimizer.iterations.assign(3)  # as after three steps
    model.save(tmp_path / "schedule.keras")
    with pytest.warns(UserWarning, match="schedule"):
        loaded = load_model(tmp_path / "schedule.keras")
    assert float(loaded.optimizer.learning_rate) == float(np.float32(0.0125))
    loaded.optimizer.learning_rate = schedule  # the documented remedy
    assert float(loaded.optimizer.learning_rate) == float(model.optimizer.learning_rate)


def test_model_built_by_first_call_round_trips(tmp_path):
    """A Sequential with no input shape, built by its first call, saves and reloads."""
    x, _ = _data(n=8)
    model = Sequential([layers.Dense(5, activation="tanh"), layers.Dense(3, activation="softmax")])
    model(x)
    model.save(tmp_path / "lazy.keras")
    loaded = load_model(tmp_path / "lazy.keras")
    _assert_same_weights(model, loaded)
    assert loaded.input_shape == (None, 4)
    assert np.array_equal(loaded(x[:5]), model(x[:5]))


def test_unbuilt_model_round_trips(tmp_path):
    model = Sequential([layers.Dense(5), layers.Dense(2)], name="later")
    model.save(tmp_path / "unbuilt.keras")
    loaded = load_model(tmp_path / "unbuilt.keras")
    assert loaded.name == "later" and not loaded.built and loaded.weights == []
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]


# --- 2. trainable flags survive ----------------------------------------------------------

def test_trainable_flags_and_counts_survive(tmp_path):
    x, y = _data()
    model = _classifier()
    _fit(model, x, y)
    model.layers[1].trainable = False
    model.layers[0].bias.trainable = False
    model.save(tmp_path / "frozen.keras")
    loaded = load_model(tmp_path / "frozen.keras")

    assert [layer.trainable for layer in loaded.layers] == [True, False]
    assert [v.trainable for v in loaded.weights] == [v.trainable for v in model.weights]
    assert [v.path for v in loaded.trainable_weights] == ["dense/kernel"]
    assert [v.path for v in loaded.trainable_weights] == [v.path for v in model.trainable_weights]
    assert [v.path for v in loaded.weights] == [v.path for v in model.weights]
    assert count_params(loaded) == count_params(model) == (67, 32, 35)

    frozen_before = {v.path: v.numpy() for v in loaded.weights if v.path != "dense/kernel"}
    slots_before = _slots_by_index(loaded)
    _fit(loaded, x, y)
    for v in loaded.weights:
        if v.path in frozen_before:
            assert np.array_equal(v.numpy(), frozen_before[v.path]), v.path
    slots_after = _slots_by_index(loaded)
    for i in (1, 2, 3):  # dense/bias, dense_1/kernel, dense_1/bias: slots untouched
        for before, after in zip(slots_before[i], slots_after[i]):
            assert np.array_equal(before, after)
    assert not np.array_equal(slots_before[0][1], slots_after[0][1])  # the kernel trained


def test_frozen_model_flag_survives(tmp_path):
    model = _classifier()
    model.trainable = False
    model.save(tmp_path / "all_frozen.keras")
    loaded = load_model(tmp_path / "all_frozen.keras")
    assert loaded.trainable is False
    assert loaded.trainable_weights == []
    assert count_params(loaded) == (67, 0, 67)


# --- 3. functional models ----------------------------------------------------------------

def _assert_round_trip(model, x, tmp_path, name):
    model.save(tmp_path / name)
    loaded = load_model(tmp_path / name)
    assert type(loaded) is type(model)
    assert loaded.name == model.name
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert [v.path for v in loaded.weights] == [v.path for v in model.weights]
    _assert_same_weights(model, loaded)
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    return loaded


def test_functional_round_trip(tmp_path):
    x, _ = _data(n=10)
    inputs = Input((4,), name="features")
    hidden = layers.Dense(6, activation="relu", name="hidden")(inputs)
    model = Model(inputs, layers.Dense(2, name="head")(hidden), name="net")
    loaded = _assert_round_trip(model, x, tmp_path, "functional.keras")
    assert [layer.name for layer in loaded.layers] == ["features", "hidden", "head"]


def test_functional_shared_layer_round_trip(tmp_path):
    x, _ = _data(n=10)
    inputs = Input((4,))
    shared = layers.Dense(4, activation="tanh", name="shared")
    out = layers.Dense(1, name="out")(shared(shared(inputs)))
    model = Model(inputs, out)
    loaded = _assert_round_trip(model, x, tmp_path, "shared.keras")
    assert len(loaded.weights) == 4  # the shared layer keeps one set of weights
    assert loaded.get_layer("shared") is loaded.layers[1]
    assert len(loaded.get_layer("shared")._inbound_nodes) >= 2  # still called twice


def test_nested_sequential_in_functional_round_trip(tmp_path):
    x, y = _data(n=32)
    base = Sequential([layers.Dense(6, activation="relu"), layers.Dense(5)], name="base")
    inputs = Input((4,))
    outputs = layers.Dense(3, activation="softmax", name="head")(base(inputs))
    model = Model(inputs, outputs)
    base.layers[0].trainable = False
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    _fit(model, x, y)
    loaded = _assert_round_trip(model, x, tmp_path, "nested.keras")
    nested = loaded.get_layer("base")
    assert isinstance(nested, Sequential)
    assert [layer.trainable for layer in nested.layers] == [False, True]
    assert count_params(loaded) == count_params(model)
    saved_slots, loaded_slots = _slots_by_index(model), _slots_by_index(loaded)
    assert saved_slots.keys() == loaded_slots.keys() and saved_slots
    for i, leaves in saved_slots.items():
        for want, got in zip(leaves, loaded_slots[i]):
            assert np.array_equal(want, got)


# --- 4. atomic writes ----------------------------------------------------------------------

def test_failed_write_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    first = _classifier()
    first.save(path)
    second = _classifier()
    assert not np.array_equal(first.get_weights()[0], second.get_weights()[0])

    real_writestr = zipfile.ZipFile.writestr

    def failing_writestr(self, name, data, *args, **kwargs):
        if name == "model.weights.h5":
            raise OSError("disk full")
        return real_writestr(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing_writestr)
    with pytest.raises(OSError, match="disk full"):
        second.save(path)
    monkeypatch.undo()

    assert _no_temp_files(tmp_path) == []
    assert os.listdir(tmp_path) == ["m.keras"]
    _assert_same_weights(first, load_model(path))


def test_failed_weights_serialization_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    first = _classifier()
    first.save(path)
    before = path.read_bytes()

    def broken(model, optimizer_groups=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(h5_format, "weights_blob", broken)
    with pytest.raises(RuntimeError, match="boom"):
        _classifier().save(path)
    assert path.read_bytes() == before
    assert _no_temp_files(tmp_path) == []


def test_interrupted_save_weights_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "m.weights.safetensors"
    first = _classifier()
    first.save_weights(path)
    before = path.read_bytes()
    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(saving_lib.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _classifier().save_weights(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert _no_temp_files(tmp_path) == []


def test_unserializable_config_raises_naming_model_and_keeps_file(tmp_path):
    path = tmp_path / "m.keras"
    first = _classifier()
    first.save(path)
    before = path.read_bytes()
    bad = Sequential([BadConfig(input_shape=(4,)), layers.Dense(2)], name="bad_model")
    with pytest.raises(TypeError, match="bad_model"):
        bad.save(path)
    assert path.read_bytes() == before
    assert _no_temp_files(tmp_path) == []
    _assert_same_weights(first, load_model(path))


def test_overwrite_false_refuses_and_keeps_file(tmp_path):
    path = tmp_path / "m.keras"
    model = _classifier()
    model.save(path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="m.keras"):
        _classifier().save(path, overwrite=False)
    assert path.read_bytes() == before


def test_saved_files_get_ordinary_permissions(tmp_path):
    """Not the 0600 of a private temp file: what open() gives, or the replaced file's mode."""
    umask = os.umask(0o022)
    try:
        model = _classifier(compile=False)
        model.save(tmp_path / "m.keras")
        model.save_weights(tmp_path / "m.weights.h5")
        assert os.stat(tmp_path / "m.keras").st_mode & 0o777 == 0o644
        assert os.stat(tmp_path / "m.weights.h5").st_mode & 0o777 == 0o644
        os.chmod(tmp_path / "m.keras", 0o640)
        model.save(tmp_path / "m.keras")
        assert os.stat(tmp_path / "m.keras").st_mode & 0o777 == 0o640
    finally:
        os.umask(umask)


# --- 5. bad files --------------------------------------------------------------------------

def test_truncated_file_names_path(tmp_path):
    path = tmp_path / "m.keras"
    _classifier().save(path)
    data = path.read_bytes()
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated.keras"):
        load_model(truncated)


def test_random_bytes_names_path(tmp_path):
    path = tmp_path / "noise.keras"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ValueError, match="noise.keras"):
        load_model(path)


def test_zip_without_entries_names_path(tmp_path):
    path = tmp_path / "other.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match="other.keras"):
        load_model(path)


def test_zip_of_another_format_names_path(tmp_path):
    """A zip with a config but no weights member is no model file; the error says what
    the zip holds."""
    real = tmp_path / "m.keras"
    _classifier().save(real)
    path = tmp_path / "foreign.keras"
    with zipfile.ZipFile(real) as source, zipfile.ZipFile(path, "w") as target:
        for name in ("metadata.json", "config.json"):
            target.writestr(name, source.read(name))
    with pytest.raises(ValueError, match=r"foreign.keras.*config\.json.*metadata\.json"):
        load_model(path)


def test_keras3_style_file_names_path(tmp_path):
    """A Keras 3 `.keras` file (metadata.json, config.json, model.weights.h5)."""
    path = tmp_path / "keras3.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.3.3",
                                                      "date_saved": "2024-05-01@12:00:00"}))
        archive.writestr("config.json", json.dumps({"class_name": "Sequential", "config": {}}))
        archive.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n")
    with pytest.raises(ValueError, match="keras3.keras"):
        load_model(path)


def test_metadata_is_not_what_decides(tmp_path):
    """As in Keras, metadata.json is informative: the content decides what a file is."""
    real = tmp_path / "m.keras"
    model = _classifier()
    model.save(real)
    path = tmp_path / "odd.keras"
    with zipfile.ZipFile(real) as source, zipfile.ZipFile(path, "w") as target:
        for name in source.namelist():
            target.writestr(name, "not json" if name == "metadata.json" else source.read(name))
    _assert_same_weights(model, load_model(path))


@pytest.mark.parametrize("entry, text", [("hoarfrost/state.json", "[]"),
                                         ("config.json", "{not json")])
def test_malformed_entries_name_path(tmp_path, entry, text):
    real = tmp_path / "m.keras"
    _classifier().save(real)
    path = tmp_path / "broken.keras"
    with zipfile.ZipFile(real) as source, zipfile.ZipFile(path, "w") as target:
        for name in source.namelist():
            target.writestr(name, text if name == entry else source.read(name))
    with pytest.raises(ValueError, match="broken.keras"):
        load_model(path)


def test_corrupted_weights_entry_names_path(tmp_path):
    real = tmp_path / "m.keras"
    _classifier().save(real)
    path = tmp_path / "flipped.keras"
    data = bytearray(real.read_bytes())
    with zipfile.ZipFile(real) as archive:
        info = archive.getinfo("model.weights.h5")
    # flip a byte inside the stored weights: the zip's CRC check catches it
    position = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.file_size - 3
    data[position] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="flipped.keras"):
        load_model(path)


def test_directory_instead_of_file_names_path(tmp_path):
    path = tmp_path / "folder.keras"
    path.mkdir()
    with pytest.raises((ValueError, IsADirectoryError), match="folder.keras"):
        load_model(path)


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="nowhere.keras"):
        load_model("/nonexistent/nowhere.keras")


@pytest.mark.parametrize("name", ["m.zip", "m", "m.weights.safetensors"])
def test_save_needs_keras_suffix(tmp_path, name):
    """`.keras`, or `.h5` for the legacy HDF5 file (tests/saving/test_legacy_h5.py)."""
    with pytest.raises(ValueError, match=r"\.keras"):
        _classifier().save(tmp_path / name)
    assert os.listdir(tmp_path) == []


# --- 6. weights files ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["m.weights.safetensors", "m.weights.h5"])
def test_save_weights_round_trip(tmp_path, name):
    model = _classifier(compile=False)
    model.save_weights(tmp_path / name)
    fresh = _classifier(compile=False)
    assert not np.array_equal(fresh.get_weights()[0], model.get_weights()[0])
    fresh.load_weights(tmp_path / name)
    _assert_same_weights(model, fresh)


def test_load_weights_from_keras_file(tmp_path):
    model = _classifier()
    model.save(tmp_path / "m.keras")
    fresh = _classifier(compile=False)
    fresh.load_weights(tmp_path / "m.keras")
    _assert_same_weights(model, fresh)


def test_load_weights_into_other_architecture_names_shapes(tmp_path):
    model = _classifier()
    model.save_weights(tmp_path / "m.weights.safetensors")
    other = Sequential([layers.Dense(5, activation="relu", input_dim=4), layers.Dense(3)])
    before = other.get_weights()
    with pytest.raises(ValueError, match=r"\[4, 8\].*\[4, 5\]"):
        other.load_weights(tmp_path / "m.weights.safetensors")
    for want, got in zip(before, other.get_weights()):  # nothing half-loaded
        assert np.array_equal(want, got)


def test_load_weights_with_other_weight_count_names_shapes(tmp_path):
    model = _classifier()
    model.save_weights(tmp_path / "m.weights.safetensors")
    other = Sequential([layers.Dense(8, input_dim=4)])
    with pytest.raises(ValueError, match=r"m\.weights\.safetensors.*4.*2"):
        other.load_weights(tmp_path / "m.weights.safetensors")


def test_load_weights_unbuilt_model(tmp_path):
    _classifier().save_weights(tmp_path / "m.weights.safetensors")
    unbuilt = Sequential([layers.Dense(8), layers.Dense(3)], name="lazy")
    with pytest.raises(ValueError, match="lazy.*not built"):
        unbuilt.load_weights(tmp_path / "m.weights.safetensors")


def test_load_weights_missing_and_foreign_files(tmp_path):
    model = _classifier()
    with pytest.raises(FileNotFoundError, match="absent.weights.h5"):
        model.load_weights(tmp_path / "absent.weights.h5")
    foreign = tmp_path / "foreign.weights.h5"
    foreign.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    with pytest.raises(ValueError, match="foreign.weights.h5.*HDF5"):
        model.load_weights(foreign)


def test_save_weights_needs_weights_suffix(tmp_path):
    with pytest.raises(ValueError, match="weights"):
        _classifier().save_weights(tmp_path / "m.keras")


# --- 7. custom layers ------------------------------------------------------------------------

def test_registered_custom_layer_round_trip(tmp_path):
    x, _ = _data(n=8)
    model = Sequential([Scale(2.0, input_shape=(4,), name="scale"),
                        layers.Dense(3, activation="softmax")])
    model.layers[0].scale.assign(np.array([1.0, -2.0, 3.0, 0.5], np.float32))
    model.save(tmp_path / "custom.keras")
    loaded = load_model(tmp_path / "custom.keras")
    assert isinstance(loaded.layers[0], Scale)
    assert loaded.layers[0].init_value == 2.0
    assert [v.path for v in loaded.weights] == [v.path for v in model.weights]
    _assert_same_weights(model, loaded)
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_unregistered_custom_layer_needs_custom_objects(tmp_path):
    x, _ = _data(n=8)
    model = Sequential([Shift(input_shape=(4,)), layers.Dense(2)])
    model.layers[0].offset.assign(np.arange(4, dtype=np.float32))
    model.save(tmp_path / "shift.keras")
    with pytest.raises(ValueError, match="Shift.*custom_objects"):
        load_model(tmp_path / "shift.keras")
    loaded = load_model(tmp_path / "shift.keras", custom_objects={"Shift": Shift})
    assert isinstance(loaded.layers[0], Shift)
    _assert_same_weights(model, loaded)
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_unregistered_custom_layer_in_functional_model(tmp_path):
    x, _ = _data(n=8)
    inputs = Input((4,))
    model = Model(inputs, layers.Dense(2)(Shift()(inputs)))
    model.save(tmp_path / "fshift.keras")
    with pytest.raises(ValueError, match="Shift.*custom_objects"):
        load_model(tmp_path / "fshift.keras")
    loaded = load_model(tmp_path / "fshift.keras", custom_objects={"Shift": Shift})
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_custom_layer_without_full_config_names_layer(tmp_path):
    model = Sequential([Gain(3.0, input_shape=(4,), name="gain"), layers.Dense(2)])
    model.save(tmp_path / "gain.keras")
    with pytest.raises(TypeError, match="'gain'.*'Gain'.*get_config"):
        load_model(tmp_path / "gain.keras", custom_objects={"Gain": Gain})


# --- 8. compile=False ------------------------------------------------------------------------

def test_load_without_compile(tmp_path):
    x, y = _data()
    model = _classifier()
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras", compile=False)
    assert loaded.compiled is False
    assert loaded.optimizer is None
    _assert_same_weights(model, loaded)
    with pytest.raises(RuntimeError, match="compile"):
        loaded.fit(x, y, verbose=0)


def test_uncompiled_model_loads_uncompiled(tmp_path):
    model = _classifier(compile=False)
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert loaded.compiled is False
    _assert_same_weights(model, loaded)


def test_weights_file_written_in_call_order_loads_by_path(tmp_path):
    """A `.weights.safetensors` of a residual block written before functional models took
    Keras's layer order (call order then, equal shapes across the branches): its recorded
    paths put every array in its place."""
    from hoarfrost.saving import tensor_file, training_state
    inp = hoarfrost.Input((4,), name="x")
    a = layers.Dense(4, name="b")(layers.Dense(4, activation="relu", name="a")(inp))
    out = layers.Dense(2, name="out")(layers.Add()([layers.Dense(4, name="shortcut")(inp), a]))
    model = hoarfrost.Model(inp, out)
    old_order = training_state.v1_weights(model)
    assert [v.path for v in old_order] != [v.path for v in model.weights]
    values = {v.path: np.random.default_rng(i).normal(size=v.shape).astype("float32")
              for i, v in enumerate(old_order)}
    records = [{"path": v.path, "shape": list(v.shape), "dtype": "float32", "trainable": True}
               for v in old_order]
    path = tmp_path / "old.weights.safetensors"
    path.write_bytes(tensor_file.dumps(
        {f"{i:05d}": values[v.path] for i, v in enumerate(old_order)},
        metadata={"format": "hoarfrost.keras",
                  "state": json.dumps({"layers": [], "variables": records})}))
    model.load_weights(path)
    assert all(np.array_equal(v.numpy(), values[v.path]) for v in model.weights)
