"""utils: pack/unpack of (x, y, sample_weight), get_source_inputs, normalize, the exports."""

import numpy as np
import pytest

import hoarfrost
from hoarfrost import layers, utils


def test_pack_and_unpack_as_keras():
    x, y, w = np.ones(2), np.zeros(2), np.full(2, 0.5)
    assert utils.pack_x_y_sample_weight(x) is x
    assert utils.pack_x_y_sample_weight((x, y)) == ((x, y),)
    assert utils.pack_x_y_sample_weight(x, y) == (x, y)
    assert utils.pack_x_y_sample_weight(x, y, w) == (x, y, w)
    assert utils.unpack_x_y_sample_weight(x) == (x, None, None)
    assert utils.unpack_x_y_sample_weight([x, y]) == (x, y, None)
    assert utils.unpack_x_y_sample_weight((x, y, w)) == (x, y, w)
    with pytest.raises(ValueError, match="found"):
        utils.unpack_x_y_sample_weight((x, y, w, w))


def test_get_source_inputs_walks_back_to_the_inputs():
    a, b = hoarfrost.Input((3,)), hoarfrost.Input((3,))
    shared = layers.Dense(2)
    out = layers.Add()([shared(a), shared(b), layers.Dense(2)(a)])
    sources = utils.get_source_inputs(out)
    assert len(sources) == 2 and sources[0] is a and sources[1] is b
    assert utils.get_source_inputs(a) == [a]
    assert utils.is_keras_tensor(a) and not utils.is_keras_tensor(np.ones(3))
    plain = np.ones(3)
    assert utils.get_source_inputs(plain) is plain


def test_normalize_keeps_numpy_dtype_and_zero_rows():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    out = utils.normalize(x)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x, axis=0, order=1), [[1.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(np.asarray(utils.normalize([[3.0, 4.0]])), [[0.6, 0.8]], rtol=1e-6)


def test_keras_utils_names_are_exported():
    for name in ["image_dataset_from_directory", "text_dataset_from_directory",
                 "audio_dataset_from_directory", "timeseries_dataset_from_array",
                 "split_dataset", "load_img", "img_to_array", "array_to_img", "save_img",
                 "get_file", "Progbar", "normalize", "to_categorical", "pack_x_y_sample_weight",
                 "unpack_x_y_sample_weight", "get_source_inputs", "PyDataset", "Sequence"]:
        assert name in utils.__all__ and callable(getattr(utils, name)), name


def test_keras_utils_serialization_names():
    """The customizing-saving guide calls `keras.utils.deserialize_keras_object`; Keras's
    `keras.utils` also has the custom-object API."""
    from hoarfrost import optimizers, utils
    config = utils.serialize_keras_object(optimizers.SGD(0.5))
    assert config["class_name"] == "SGD"
    restored = utils.deserialize_keras_object(config)
    assert isinstance(restored, optimizers.SGD) and float(restored.learning_rate) == 0.5

    def twice(x):
        return 2 * x

    with utils.custom_object_scope({"twice": twice}):
        assert utils.get_registered_object("twice") is twice
    assert utils.get_registered_object("twice") is None
