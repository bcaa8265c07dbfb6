"""`format="tf_saved_model"`: the model's inference call as a TensorFlow SavedModel.

The same pure function the JAX format exports is converted by JAX's own
`jax2tf` (native serialization: the StableHLO rides in an `XlaCallModule` op,
which is how Keras 3 exports from its JAX backend), with the weights as
non-trainable `tf.Variable`s and the batch size polymorphic. It needs
TensorFlow (`pip install "hoarfrost[tf]"`); hoarfrost never imports it
otherwise. `tf.saved_model.load(path).serve(x)` runs it, as after Keras's export.
"""

from __future__ import annotations

import os

import numpy as np

from hoarfrost.export.archive import DEFAULT_ENDPOINT_NAME
from hoarfrost.export.export_utils import get_input_signature, symbolic_specs
from hoarfrost.variables import StatelessScope


def export_saved_model(model, filepath, verbose: bool | None = None, input_signature=None,
                       platforms=None) -> None:
    """Write `model`'s inference call to `filepath` (a directory) as a SavedModel."""
    try:
        import tensorflow as tf
        from jax.experimental import jax2tf
    except ImportError as error:
        raise ImportError(
            'model.export(format="tf_saved_model") (Keras\'s default format) needs TensorFlow: '
            '`pip install "hoarfrost[tf]"`. format="jax" writes a StableHLO archive that needs '
            "JAX alone.") from error
    if input_signature is None:
        input_signature = get_input_signature(model)
    specs, shapes = symbolic_specs(input_signature)
    variables = model.weights

    def pure(values, *args):
        with StatelessScope(list(zip(variables, values))):
            return model(*args, training=False)

    import jax

    leaves, treedef = jax.tree.flatten(list(specs))
    polymorphic = [None] + jax.tree.unflatten(treedef, shapes)
    kwargs = {} if platforms is None else {"native_serialization_platforms": tuple(platforms)}
    converted = jax2tf.convert(pure, polymorphic_shapes=polymorphic, with_gradient=False,
                               **kwargs)
    module = tf.Module()
    module.variables_list = [tf.Variable(np.asarray(v.numpy()), trainable=False,
                                         name=v.path.replace("/", "_")) for v in variables]
    tensor_specs = jax.tree.unflatten(treedef, [
        tf.TensorSpec([None if not isinstance(d, int) else d for d in leaf.shape],
                      tf.as_dtype(leaf.dtype)) for leaf in leaves])

    @tf.function(input_signature=tensor_specs, autograph=False)
    def serve(*args):
        return converted(module.variables_list, *args)

    setattr(module, DEFAULT_ENDPOINT_NAME, serve)
    tf.saved_model.save(module, os.fspath(filepath),
                        signatures={"serving_default": serve})
    if verbose is None or verbose:
        print(f"Saved artifact at '{os.fspath(filepath)}'. The following endpoints are "
              f"available:\n\n* Endpoint '{DEFAULT_ENDPOINT_NAME}'")
        for i, shape in enumerate(shapes):
            print(f"  args_{i}: {shape}")
