"""Wrappers: layers that apply another layer in a new way: the `Wrapper` base class
and `TimeDistributed` (`SpectralNormalization` is with the normalization layers).

`Bidirectional`, the other Keras wrapper, lives with the recurrent layers.
"""

from __future__ import annotations

import copy
import inspect

import jax
import jax.numpy as jnp

from hoarfrost.layers.layer import Layer
from hoarfrost.symbolic import is_keras_tensor


def _call_takes(layer, argument: str) -> bool:
    params = inspect.signature(type(layer).call).parameters
    return argument in params and params[argument].kind is not inspect.Parameter.VAR_KEYWORD


class Wrapper(Layer):
    """Base class of the layers that wrap another layer (as `keras.layers.Wrapper`).

    The wrapped layer is used as is, not copied: its weights are the
    wrapper's (after the wrapper's own), and `get_config` holds its
    serialized config under `"layer"`. Subclasses implement `call`.

    Args:
        layer: the layer to wrap (a `Layer` instance).
        **kwargs: `name`, `trainable`, `dtype`.
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"{type(self).__name__}: `layer` must be a hoarfrost.layers.Layer instance; "
                f"received {layer!r} of type {type(layer).__name__}."
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        self.layer._maybe_build(input_shape)
        self.built = True

    def get_config(self):
        from hoarfrost.saving.serialization import serialize_layer
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from hoarfrost.saving.serialization import deserialize_layer
        config = copy.deepcopy(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects)
        return cls(layer, **config)


class TimeDistributed(Wrapper):
    """Applies a layer to every timestep (axis 1) of its input, with the same weights.

    For videos `(batch, 10, 128, 128, 3)`, `TimeDistributed(Conv2D(64, 3))`
    applies one Conv2D to each of the 10 frames: `(batch, 10, 126, 126, 64)`.

    The wrapped layer is used as is, not copied: its weights are this layer's
    weights (in its `get_weights` order), and freezing it
    (`layer.trainable = False`) freezes it here too. Setting the wrapper's
    own `trainable` sets the wrapped layer's, as for any layer with sublayers.

    The timesteps are folded into the batch axis and the wrapped layer is
    called once on `(batch * timesteps, ...)`; for layers that treat samples
    independently (Dense, convolutions, pooling, normalization in inference)
    this equals Keras 3's per-timestep loop. BatchNormalization in training
    mode takes its statistics over batch and time together (Keras 3: per
    timestep), and dropout draws one mask for all timesteps at once.

    Args:
        layer: the layer to apply (a `Layer` instance).
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.

    Call arguments: `training`, and `mask` `(batch, timesteps)` (passed on,
    folded like the inputs, when the wrapped layer's `call` takes a mask).
    The output keeps the input's mask.

    Example:
        >>> from hoarfrost.layers import Dense
        >>> TimeDistributed(Dense(3))(jnp.ones((2, 4, 5))).shape
        (2, 4, 3)
    """

    _supports_masking = True

    def _child_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3 or not all(
                d is None or isinstance(d, int) for d in input_shape):
            raise ValueError(
                f'TimeDistributed layer "{self.name}" (wrapping "{self.layer.name}") expects '
                "one input of rank >= 3, (batch, timesteps, ...); received input shape "
                f"{input_shape}."
            )
        return (input_shape[0],) + tuple(input_shape[2:])

    def build(self, input_shape):
        self.layer._maybe_build(self._child_shape(tuple(input_shape)))
        self.built = True

    def call(self, inputs, training=None, mask=None):
        shape = tuple(inputs.shape)
        self._child_shape(shape)
        batch, steps = shape[0], shape[1]
        kwargs = {"training": training}  # the wrapped layer's __call__ passes it on if wanted
        if mask is not None:
            mask = jnp.asarray(mask)
            if mask.ndim < 2 or mask.shape[:2] != (batch, steps):
                raise ValueError(
                    f'TimeDistributed layer "{self.name}": the mask must start with the '
                    f"input's (batch, timesteps) = ({batch}, {steps}); received a mask of "
                    f"shape {tuple(mask.shape)}."
                )
            if _call_takes(self.layer, "mask"):
                kwargs["mask"] = jnp.reshape(mask, (batch * steps,) + mask.shape[2:])
        folded = jnp.reshape(inputs, (batch * steps,) + shape[2:])
        outputs = self.layer(folded, **kwargs)
        return jax.tree.map(lambda y: jnp.reshape(y, (batch, steps) + tuple(y.shape[1:])),
                            outputs)

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape(self._child_shape(tuple(input_shape)))
        return (child[0], input_shape[1]) + tuple(child[1:])

    def compute_output_spec(self, inputs, **kwargs):
        if is_keras_tensor(inputs):
            self._child_shape(inputs.shape)
        return super().compute_output_spec(inputs, **kwargs)
