"""`hoarfrost.ops` is `keras.ops`: the same names, the same signatures, nothing forwarded."""

from __future__ import annotations

import inspect
import json
import types
import warnings
from pathlib import Path

import jax
import numpy as np
import pytest

from hoarfrost import ops
from hoarfrost.variables import Variable

KERAS = json.loads((Path(__file__).resolve().parents[1] / "fixtures" /
                    "keras_api_names.json").read_text())
NAMESPACES = {"keras.ops": ops, "keras.ops.numpy": ops.numpy, "keras.ops.nn": ops.nn,
              "keras.ops.linalg": ops.linalg, "keras.ops.image": ops.image}


def public(module) -> set[str]:
    return {n for n in dir(module) if not n.startswith("_")}


@pytest.mark.parametrize("namespace", sorted(NAMESPACES))
def test_names_are_exactly_keras(namespace):
    module = NAMESPACES[namespace]
    keras_names = set(KERAS["namespaces"][namespace])
    submodules = {n for n in public(module) if isinstance(getattr(module, n), types.ModuleType)}
    assert public(module) - submodules == keras_names
    assert set(module.__all__) - submodules == keras_names


def test_submodules_are_keras_namespaces():
    assert {n for n in public(ops) if isinstance(getattr(ops, n), types.ModuleType)} == {
        "image", "linalg", "nn", "numpy"}
    assert ops.nn.conv is ops.conv and ops.numpy.sum is ops.sum and ops.linalg.qr is ops.qr


def test_signatures_are_keras():
    for name, keras_signature in KERAS["signatures"].items():
        namespace, _, op = name.rpartition(".")
        fn = getattr(ops.image if namespace else ops, op)
        assert str(inspect.signature(fn)) == keras_signature, name


@pytest.mark.parametrize("name", ["remainder", "positive", "asarray", "float32",
                                  "dynamic_slice", "conv_general_dilated", "logit"])
def test_other_libraries_names_are_not_forwarded(name):
    with pytest.raises(AttributeError):
        getattr(ops, name)


def test_variables_are_read_as_arrays():
    kernel = Variable(np.arange(6, dtype="float32").reshape(2, 3), name="kernel")
    x = np.ones((1, 2), "float32")
    np.testing.assert_array_equal(ops.matmul(x, kernel), [[3.0, 5.0, 7.0]])
    np.testing.assert_array_equal(ops.concatenate([kernel, x[:, :1].repeat(3, 1)]).shape, (3, 3))
    assert ops.shape(kernel) == (2, 3) and ops.dtype(kernel) == "float32"
    assert not ops.is_tensor(kernel) and ops.is_tensor(ops.convert_to_tensor(kernel))


def test_slice_takes_sizes_not_end_indices():
    x = np.arange(12).reshape(3, 4)
    np.testing.assert_array_equal(ops.slice(x, (1, 1), (2, 2)), x[1:3, 1:3])
    np.testing.assert_array_equal(ops.slice(x, (1, 1), (-1, 2)), x[1:, 1:3])


def test_pooling_strides_default_to_the_pool_size():
    # Keras's documented default; Keras 3.15 on JAX fails on strides=None, so no fixture.
    x = np.random.default_rng(0).random((1, 6, 4, 2)).astype("float32")
    np.testing.assert_array_equal(ops.max_pool(x, 2), ops.max_pool(x, 2, strides=2))
    np.testing.assert_array_equal(ops.average_pool(x, (3, 2)),
                                  ops.average_pool(x, (3, 2), strides=(3, 2)))


def test_gaussian_blur_reads_no_data_format_as_channels_last():
    images = np.random.default_rng(1).random((1, 5, 4, 3)).astype("float32")
    np.testing.assert_array_equal(ops.image.gaussian_blur(images),
                                  ops.image.gaussian_blur(images, data_format="channels_last"))


def test_unsupported_arguments_raise():
    with pytest.raises(ValueError, match="sparse"):
        ops.one_hot(np.array([1]), 3, sparse=True)
    with pytest.raises(TypeError, match="unexpected arguments"):
        ops.multi_hot(np.array([[1]]), 3, num_token=2)
    with pytest.raises(TypeError, match="unexpected arguments"):
        ops.layer_normalization(np.ones((2, 3)), rms_scale=True)
    with pytest.raises(ValueError, match="num_segments"):
        ops.segment_sum(np.ones(3), np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="unroll"):
        ops.scan(lambda c, x: (c, x), 0.0, np.ones(3), unroll=0)
    with pytest.raises(ValueError, match="num"):
        ops.unstack(np.ones((2, 3)), num=3)


def test_softmax_over_a_size_one_axis_warns_as_keras():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ops.softmax(np.ones((2, 1), "float32"))
    assert any("axis has size 1" in str(w.message) for w in caught)


def test_compiled_ops_inline_under_jit_and_recompile_per_static_argument():
    signal = np.random.default_rng(2).normal(size=(1, 32)).astype("float32")
    eager = ops.stft(signal, 8, 4, 16)
    traced = jax.jit(lambda s: ops.stft(s, 8, 4, 16))(signal)
    np.testing.assert_allclose(eager[0], traced[0], rtol=1e-5, atol=1e-5)
    assert ops.stft(signal, 8, 2, 16)[0].shape != eager[0].shape  # a new stride, a new program


def test_elastic_transform_draws_a_new_field_per_call_without_seed():
    images = np.random.default_rng(3).random((1, 8, 8, 1)).astype("float32")
    first = ops.image.elastic_transform(images, data_format="channels_last")
    second = ops.image.elastic_transform(images, data_format="channels_last")
    assert not np.array_equal(first, second)
    seeded = [ops.image.elastic_transform(images, seed=4, data_format="channels_last")
              for _ in range(2)]
    np.testing.assert_array_equal(*seeded)
