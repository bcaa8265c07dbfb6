"""Host values to the device (`to_device`): jnp.asarray's result, by a plain transfer."""

import logging

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hoarfrost.host import to_device

RNG = np.random.default_rng(0)
CASES = [
    (RNG.normal(size=(5, 7)), None),  # float64 -> float32, as JAX without x64
    (RNG.normal(size=(5, 7)), "float32"),
    (RNG.normal(size=(5, 7)).astype(np.float32), "bfloat16"),
    (RNG.normal(size=(300,)) * 1e3, jnp.bfloat16),  # float64 -> float32 -> bfloat16
    (RNG.integers(-9, 9, size=(4, 3)), None),  # int64 -> int32
    (RNG.integers(0, 9, size=(6,)).astype(np.uint8), "float32"),
    (np.array([True, False]), None),
    (np.zeros((), np.float32), None),
    (np.zeros((0, 3), np.float32), None),
    (np.float64(0.1), None),
    (np.asarray(RNG.normal(size=(4, 6)), order="F"), None),
    # Large enough (>= 2 MiB on the device) for the copy in its own huge-page mapping:
    (RNG.normal(size=(600, 1000)), None),
    (RNG.normal(size=(1000, 600)).astype(np.float32), "bfloat16"),
    (np.asarray(RNG.integers(-9, 9, size=(1000, 700)), order="F"), None),
]


@pytest.mark.parametrize("value,dtype", CASES)
def test_equals_jnp_asarray_bit_for_bit(value, dtype):
    made, expected = to_device(value, dtype), jnp.asarray(value, dtype)
    assert isinstance(made, jax.Array)
    assert (made.shape, made.dtype, made.weak_type) == (expected.shape, expected.dtype,
                                                        expected.weak_type)
    assert np.asarray(made).tobytes() == np.asarray(expected).tobytes()


def test_other_values_go_to_jnp_asarray():
    for value in (0.5, 3, [1.0, 2.0], jnp.arange(3)):
        made, expected = to_device(value), jnp.asarray(value)
        assert (made.dtype, made.weak_type) == (expected.dtype, expected.weak_type)
        np.testing.assert_array_equal(made, expected)
    assert to_device(jnp.arange(3), "float32").dtype == jnp.float32


def test_never_shares_memory_with_the_value():
    """Later writes to the caller's array (or donation of the result) leave the other alone."""
    for value in (np.arange(4096, dtype=np.float32), np.zeros((64, 64), np.float32),
                  np.zeros((1024, 1024), np.float32)):
        made = to_device(value)
        value += 1
        assert np.asarray(made).ravel()[0] == 0.0
        step = jax.jit(lambda a: a * 2, donate_argnums=0)
        before = value.copy()
        step(made)
        np.testing.assert_array_equal(value, before)


def test_compiles_nothing(caplog):
    """A new shape is a transfer, not a program to compile (jnp.asarray compiles `stage`)."""
    caplog.set_level(logging.WARNING)
    with jax.log_compiles(True):
        to_device(np.ones((3, 17, 5), np.float64))
        to_device(np.ones((11, 2), np.float32), "bfloat16")
    assert not [r for r in caplog.records if r.getMessage().startswith("Compiling ")]
