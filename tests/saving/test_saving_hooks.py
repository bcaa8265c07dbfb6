"""The hooks Keras calls when it saves and loads a `.keras` file, called by hoarfrost at the
same moments: `save_own_variables` / `load_own_variables`, `save_assets` / `load_assets`,
`get_build_config` / `build_from_config`, `get_compile_config` / `compile_from_config`
(the "Customizing Saving and Serialization" guide, in the form that runs on Keras 3.15:
its Dense subclass and its two-argument `build` read as Keras 3 defines them)."""

import os
import zipfile

import numpy as np
import pytest

import hoarfrost
from hoarfrost import layers, ops, saving

CALLS: list = []


@saving.register_keras_serializable(package="hooks")
class LayerWithCustomVariable(layers.Layer):
    """A variable outside `weights`' usual ones, saved under a key of its own."""

    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.my_variable = hoarfrost.Variable(np.arange(units, dtype="float32") + 1.0,
                                              name="my_variable", trainable=False)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel) * self.my_variable

    def get_config(self):
        return {**super().get_config(), "units": self.units}

    def save_own_variables(self, store):
        CALLS.append("save_own_variables")
        store["kernel"] = self.kernel.numpy()
        store["variables"] = self.my_variable.numpy()

    def load_own_variables(self, store):
        CALLS.append("load_own_variables")
        self.kernel.assign(store["kernel"])
        self.my_variable.assign(store["variables"])


def test_save_and_load_own_variables_are_called_with_their_keys(tmp_path):
    CALLS.clear()
    model = hoarfrost.Sequential([hoarfrost.Input((3,)), LayerWithCustomVariable(2)])
    model.layers[0].my_variable.assign(np.array([5.0, 7.0], np.float32))
    model.compile(optimizer="adam", loss="mean_squared_error")
    x, y = np.ones((4, 3), np.float32), np.ones((4, 2), np.float32)
    model.fit(x, y, verbose=0)
    path = tmp_path / "custom_vars_model.keras"
    model.save(path)
    assert CALLS == ["save_own_variables"]
    restored = saving.load_model(path)
    assert CALLS == ["save_own_variables", "load_own_variables"]
    layer = restored.layers[0]
    np.testing.assert_array_equal(layer.my_variable.numpy(), [5.0, 7.0])
    np.testing.assert_array_equal(layer.kernel.numpy(), model.layers[0].kernel.numpy())
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_default_save_own_variables_is_keras_store_layout():
    """The default stores each own variable under "0", "1", ... (Keras's layout);
    load_own_variables takes them back, and a wrong count raises naming the layer."""
    dense = layers.Dense(2)
    dense.build((None, 3))
    store = {}
    dense.save_own_variables(store)
    assert sorted(store) == ["0", "1"] and store["0"].shape == (3, 2)
    other = layers.Dense(2)
    other.build((None, 3))
    other.load_own_variables(store)
    np.testing.assert_array_equal(other.kernel.numpy(), dense.kernel.numpy())
    with pytest.raises(ValueError, match="dense.*expected 2 variables.*received 1"):
        other.load_own_variables({"0": store["0"]})


@saving.register_keras_serializable(package="hooks")
class LayerWithCustomAssets(layers.Dense):
    def __init__(self, vocab=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.vocab = vocab

    def get_config(self):
        return {**super().get_config(), "vocab": self.vocab}

    def save_assets(self, inner_path):
        with open(os.path.join(inner_path, "vocabulary.txt"), "w") as f:
            f.write(self.vocab)

    def load_assets(self, inner_path):
        with open(os.path.join(inner_path, "vocabulary.txt"), "r") as f:
            text = f.read()
        self.vocab = text.replace("<unk>", "little")


def test_save_and_load_assets_get_a_directory_of_the_layer(tmp_path):
    """As in Keras: the files land in the zip under `assets/layers/<layer>/`."""
    model = hoarfrost.Sequential([hoarfrost.Input((10,)),
                                  LayerWithCustomAssets(vocab="Mary had a <unk> lamb.", units=5)])
    path = tmp_path / "custom_assets_model.keras"
    model.save(path)
    assert "assets/layers/layer_with_custom_assets/vocabulary.txt" in \
        zipfile.ZipFile(path).namelist()
    restored = saving.load_model(path)
    assert restored.layers[0].vocab == "Mary had a little lamb."


@saving.register_keras_serializable(package="hooks")
class LayerWithCustomBuild(layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return dict(units=self.units, **super().get_config())

    def build(self, input_shape, layer_init):
        super().build(input_shape)
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer=layer_init)
        self.b = self.add_weight(shape=(self.units,), initializer=layer_init)
        self.layer_init = layer_init

    def get_build_config(self):
        build_config = super().get_build_config()  # Keras 3: {"shapes_dict": {...}} here
        build_config.update({"layer_init": self.layer_init})
        return build_config

    def build_from_config(self, config):
        CALLS.append(("build_from_config", config["layer_init"]))
        self.build(config["shapes_dict"]["input_shape"], config["layer_init"])


def test_get_build_config_and_build_from_config(tmp_path):
    """A build() of two arguments: the base build config records both (Keras 3.15 gives
    {'shapes_dict': {'input_shape': (8,), 'layer_init': 'random_normal'}}), and loading
    calls the layer's build_from_config before the model is put together."""
    CALLS.clear()
    custom_layer = LayerWithCustomBuild(units=16)
    custom_layer.build(input_shape=(8,), layer_init="random_normal")
    assert LayerWithCustomBuild.get_build_config(custom_layer) == {
        "shapes_dict": {"input_shape": (8,), "layer_init": "random_normal"},
        "layer_init": "random_normal"}
    model = hoarfrost.Sequential([custom_layer, layers.Dense(1, activation="sigmoid")])
    x = np.random.default_rng(0).random((16, 8)).astype("float32")
    y = model(x)
    path = tmp_path / "custom_build_model.keras"
    model.save(path)
    restored = saving.load_model(path)
    assert CALLS == [("build_from_config", "random_normal")]
    assert restored.layers[0].layer_init == "random_normal" and restored.built
    np.testing.assert_allclose(np.asarray(restored(x)), np.asarray(y), rtol=1e-6)
    dense = layers.Dense(2)
    dense(np.ones((1, 3), np.float32))
    assert dense.get_build_config() == {"input_shape": (None, 3)}


@saving.register_keras_serializable(package="hooks")
def small_square_sum_loss(y_true, y_pred):
    loss = ops.square(y_pred - y_true)
    loss = loss / 10.0
    return ops.sum(loss, axis=1)


@saving.register_keras_serializable(package="hooks")
def mean_pred(y_true, y_pred):
    return ops.mean(y_pred)


@saving.register_keras_serializable(package="hooks")
class ModelWithCustomCompile(hoarfrost.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense1 = layers.Dense(8, activation="relu")
        self.dense2 = layers.Dense(4, activation="softmax")

    def call(self, inputs):
        return self.dense2(self.dense1(inputs))

    def compile(self, optimizer, loss_fn, metrics):
        super().compile(optimizer=optimizer, loss=loss_fn, metrics=metrics)
        self.model_optimizer = optimizer
        self.loss_fn = loss_fn
        self.loss_metrics = metrics

    def get_compile_config(self):
        return {"model_optimizer": self.model_optimizer, "loss_fn": self.loss_fn,
                "metric": self.loss_metrics}

    def compile_from_config(self, config):
        CALLS.append("compile_from_config")
        optimizer = saving.deserialize_keras_object(config["model_optimizer"])
        loss_fn = saving.deserialize_keras_object(config["loss_fn"])
        metrics = saving.deserialize_keras_object(config["metric"])
        self.compile(optimizer=optimizer, loss_fn=loss_fn, metrics=metrics)


def test_get_compile_config_and_compile_from_config(tmp_path):
    CALLS.clear()
    model = ModelWithCustomCompile()
    model.compile(optimizer="SGD", loss_fn=small_square_sum_loss,
                  metrics=["accuracy", mean_pred])
    x = np.random.default_rng(0).random((4, 8)).astype("float32")
    y = np.random.default_rng(1).random((4, 4)).astype("float32")
    model.fit(x, y, verbose=0)
    path = tmp_path / "custom_compile_model.keras"
    model.save(path)
    restored = saving.load_model(path)
    assert CALLS == ["compile_from_config"]
    assert restored.model_optimizer == model.model_optimizer == "SGD"
    assert restored.loss_fn is small_square_sum_loss
    assert restored.loss_metrics == ["accuracy", mean_pred]
    assert restored.compiled
    restored.fit(x, y, verbose=0)  # compiled by its own hook: it trains
