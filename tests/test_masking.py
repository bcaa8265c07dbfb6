"""Masks hang on the arrays they belong to, as Keras's `x._keras_mask` (the masking guide)."""

import numpy as np

from hoarfrost import layers, masking


def test_eager_outputs_carry_keras_mask():
    """The masking and padding guide: `embedding(padded_inputs)._keras_mask` and
    `masking_layer(x)._keras_mask`, and the mask a following layer passes on."""
    padded_inputs = np.array([[711, 632, 71, 0], [73, 8, 0, 0]])
    embedding = layers.Embedding(input_dim=5000, output_dim=4, mask_zero=True)
    masked_output = embedding(padded_inputs)
    expected = padded_inputs != 0
    np.testing.assert_array_equal(np.asarray(masked_output._keras_mask), expected)
    dense = layers.Dense(2)(masked_output)
    np.testing.assert_array_equal(np.asarray(dense._keras_mask), expected)
    inputs = np.ones((2, 4, 3), np.float32)
    inputs[1, 2:] = 0.0
    masked = layers.Masking(mask_value=0.0)(inputs)
    np.testing.assert_array_equal(np.asarray(masked._keras_mask),
                                  [[True] * 4, [True, True, False, False]])


def test_a_mask_set_by_hand_is_read_and_removal_clears_it():
    x = layers.Dense(2)(np.ones((2, 3), np.float32))
    assert masking.get_mask(x) is None and not hasattr(x, "_keras_mask")
    mask = np.array([True, False])
    x._keras_mask = mask  # as a Keras user may
    assert masking.get_mask(x) is mask
    masking.set_mask(x, None)
    assert masking.get_mask(x) is None


def test_a_mask_s_finalizer_runs_after_the_module_globals_are_gone(monkeypatch):
    """At interpreter exit the module's globals are None when the last masked arrays
    are freed; their finalizers must not raise ("Exception ignored in ...")."""
    import gc
    import sys

    import jax.numpy as jnp

    from hoarfrost import masking
    raised = []
    monkeypatch.setattr(sys, "unraisablehook", raised.append)
    x = jnp.ones((2, 3))
    masking.set_mask(x, jnp.array([[True, True, False]] * 2))
    table = masking._table
    monkeypatch.setattr(masking, "_table", None)
    monkeypatch.setattr(masking, "_forget", None)
    del x
    gc.collect()
    monkeypatch.undo()
    assert raised == []
    assert not any(ref() is None for ref, _ in table.values())
