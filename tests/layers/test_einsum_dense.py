"""EinsumDense: Keras's equations, output shapes, bias axes and weights."""

import numpy as np
import pytest

from hoarfrost import Input, Model
from hoarfrost.layers import EinsumDense

from tests.layers.fixture_checks import check_breadth_fixture
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("name", ["einsum_dense_dense", "einsum_dense_3d", "einsum_dense_heads",
                                  "einsum_dense_left_ellipsis", "einsum_dense_right_ellipsis"])
def test_matches_keras(name):
    check_breadth_fixture(name)


def test_harness_and_symbolic_shapes():
    layer = run_layer_test(EinsumDense, {"equation": "abc,cde->abde",
                                         "output_shape": [None, 2, 3], "bias_axes": "de"},
                           (2, 4, 5), (2, 4, 2, 3), 5 * 6 + 6)
    assert [w.shape for w in layer.weights] == [(5, 2, 3), (2, 3)]
    out = EinsumDense("...b,bc->...c", output_shape=7)(Input((3, 4)))
    assert out.shape == (None, 3, 7)


def test_kernel_fans_are_counted_over_the_kernels_axes():
    # Keras: glorot over (fan_in=c, fan_out=d*e), not as a convolution kernel.
    layer = EinsumDense("abc,cde->abde", output_shape=[None, 8, 16],
                        kernel_initializer="glorot_uniform")
    layer(np.ones((1, 2, 64), "float32"))
    limit = np.sqrt(6.0 / (64 + 8 * 16))
    kernel = layer.kernel.numpy()
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit


@pytest.mark.parametrize("equation, output_shape, bias_axes, message", [
    ("ab,bc", 4, None, "equation"),
    ("ab,bc->ad", 4, None, "'d'"),
    ("ab,bc->ac", 4, "x", "bias dimension 'x'"),
])
def test_bad_equations_name_the_problem(equation, output_shape, bias_axes, message):
    with pytest.raises(ValueError, match=message):
        EinsumDense(equation, output_shape, bias_axes=bias_axes)(np.ones((2, 3), "float32"))


def test_in_a_functional_model_it_trains():
    inputs = Input((3, 4))
    model = Model(inputs, EinsumDense("abc,cd->abd", output_shape=[3, 2], bias_axes="d")(inputs))
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).normal(size=(8, 3, 4)).astype("float32")
    loss = model.fit(x, np.zeros((8, 3, 2), "float32"), epochs=3, verbose=0).history["loss"]
    assert loss[-1] < loss[0]
