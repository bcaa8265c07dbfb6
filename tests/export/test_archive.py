"""model.export(format="jax"), ExportArchive and hoarfrost.export.load."""

from __future__ import annotations

import sys
import zipfile

import jax
import numpy as np
import pytest

import hoarfrost
from hoarfrost import layers
from hoarfrost.export import ExportArchive, load


def _cnn():
    inputs = hoarfrost.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Dropout(0.5)(layers.MaxPooling2D()(x))
    features = layers.GlobalAveragePooling2D(name="features")(x)
    model = hoarfrost.Model(inputs, layers.Dense(3, activation="softmax")(features))
    rng = np.random.default_rng(0)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(w.dtype) for w in model.weights])
    return model


def _images(n):
    return np.random.default_rng(n).normal(size=(n, 8, 8, 3)).astype("float32")


def test_export_jax_round_trip_with_a_symbolic_batch(tmp_path, capsys):
    model = _cnn()
    path = tmp_path / "cnn.hoarfrost-export"
    model.export(path, format="jax")
    assert "Endpoint 'serve'" in capsys.readouterr().out
    assert zipfile.ZipFile(path).namelist()  # one file
    reloaded = load(path)
    assert str(reloaded.serve.exported.in_avals[-1].shape) == "(batch, 8, 8, 3)"
    for n in (1, 5):  # one exported function, any batch size
        np.testing.assert_allclose(reloaded.serve(_images(n)), model.predict(_images(n),
                                                                             verbose=0),
                                   rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(reloaded(_images(2)), reloaded.serve(_images(2)))
    assert reloaded.variable_paths == [w.path for w in model.weights]
    np.testing.assert_array_equal(reloaded.variables[0], model.weights[0].numpy())
    assert "stablehlo" in zipfile.ZipFile(path).read("endpoints/serve.mlir").decode()


def test_export_archive_endpoints_and_variable_collections(tmp_path):
    model = _cnn()
    backbone = hoarfrost.Model(model.input, model.get_layer("features").output)
    archive = ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", lambda x: model(x, training=False),
                         input_signature=[hoarfrost.Input((8, 8, 3))])
    archive.add_endpoint("features", backbone.__call__,
                         input_signature=[jax.ShapeDtypeStruct((None, 8, 8, 3), np.float32)])
    archive.add_variable_collection("bn_statistics",
                                    model.layers[2].non_trainable_weights)
    archive.write_out(tmp_path / "two.hoarfrost-export", verbose=False)
    reloaded = load(tmp_path / "two.hoarfrost-export")
    assert sorted(reloaded.endpoints) == ["features", "serve"]
    np.testing.assert_allclose(reloaded.features(_images(3)), backbone(_images(3)), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_array_equal(reloaded.bn_statistics[1],
                                  model.layers[2].non_trainable_weights[1].numpy())
    with pytest.raises(AttributeError, match="no endpoint 'predict'.*features"):
        reloaded.predict  # noqa: B018
    with pytest.raises(ValueError, match='endpoint "serve" already exists'):
        archive.add_endpoint("serve", model.__call__, [hoarfrost.Input((8, 8, 3))])


def test_export_several_inputs_and_a_sequential_model(tmp_path):
    a, b = hoarfrost.Input((2,)), hoarfrost.Input((3,))
    merged = layers.Dense(1)(layers.Concatenate()([a, b]))
    two = hoarfrost.Model([a, b], merged)
    two.export(tmp_path / "two", format="jax", verbose=False)
    xa, xb = np.ones((4, 2), np.float32), np.ones((4, 3), np.float32)
    np.testing.assert_allclose(load(tmp_path / "two").serve([xa, xb]), two([xa, xb]),
                               rtol=1e-6)

    sequential = hoarfrost.Sequential([layers.Dense(2, input_shape=(3,))])
    sequential.export(tmp_path / "seq", format="jax", verbose=False)
    np.testing.assert_allclose(load(tmp_path / "seq")(xb), sequential(xb), rtol=1e-6)


def test_export_refuses_what_it_can_not_honour(tmp_path):
    model = _cnn()
    signature = [hoarfrost.Input((8, 8, 3))]
    archive = ExportArchive()
    archive.track(model)
    with pytest.raises(ValueError, match="draws random numbers"):  # Dropout in training
        archive.add_endpoint("noisy", lambda x: model(x, training=True), signature)
    with pytest.raises(ValueError, match="assigns variables.*moving_mean"):
        archive.add_endpoint("stateful", lambda x: model.layers[2](
            model.layers[1](x), training=True), signature)
    with pytest.raises(ValueError, match="format='onnx' is not supported"):
        model.export(tmp_path / "m.onnx", format="onnx")
    with pytest.raises(TypeError, match="unexpected keyword arguments \\['opset_version'\\]"):
        model.export(tmp_path / "m", format="jax", opset_version=17)


def test_tf_saved_model_without_tensorflow_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # as if not installed
    with pytest.raises(ImportError, match=r"hoarfrost\[tf\]"):
        _cnn().export(tmp_path / "saved")


def test_export_of_an_unbuilt_subclassed_model_asks_for_a_signature(tmp_path):
    class Net(hoarfrost.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    net = Net()
    net(np.ones((1, 3), np.float32))
    net._build_shapes_dict = None  # as if built without a recorded shape
    with pytest.raises(ValueError, match="Pass `input_signature="):
        net.export(tmp_path / "net", format="jax")
    net.export(tmp_path / "net", format="jax", verbose=False,
               input_signature=[jax.ShapeDtypeStruct((None, 3), np.float32)])
    np.testing.assert_allclose(load(tmp_path / "net")(np.ones((2, 3), np.float32)),
                               net(np.ones((2, 3), np.float32)), rtol=1e-6)


def test_load_rejects_other_files(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="not an archive written by hoarfrost's export"):
        load(tmp_path / "notes.txt")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("config.json", "{}")
    with pytest.raises(ValueError, match="not an exported archive"):
        load(tmp_path / "other.zip")
