"""`Bidirectional`: a recurrent layer run forwards and a copy backwards, merged."""

from __future__ import annotations

import copy

import jax
import jax.numpy as jnp

from hoarfrost.layers.layer import Layer
from hoarfrost.layers.recurrent.nested import _deserialize
from hoarfrost.symbolic import KerasTensor, is_keras_tensor


_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy backwards, and merges them.

    As Keras: the forward layer is a fresh copy of `layer` (from its config,
    named `forward_<name>`), the backward one a copy with `go_backwards=True`
    (`backward_<name>`) unless `backward_layer` is given. Weights are the
    forward layer's, then the backward layer's. With `return_sequences` the
    backward outputs are flipped back into input order before merging, and
    masked timesteps output zeros in both directions.

    Args:
        layer: a `SimpleRNN`, `LSTM` or `GRU` (or any layer with the same
            `go_backwards` / `return_sequences` / `return_state` interface).
        merge_mode: `"concat"` (default), `"sum"`, `"mul"`, `"ave"`, or None
            (return the two outputs as a tuple).
        backward_layer: an optional layer for the backward direction.
        weights: optional initial weights (forward then backward), set on build.
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.

    Call arguments: as the wrapped layer; `initial_state` is the forward
    states followed by the backward states.

    Example:
        >>> Bidirectional(LSTM(4))(jnp.ones((2, 5, 3))).shape
        (2, 8)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `Bidirectional` layer with a `hoarfrost.layers.Layer` "
                f"instance. Received: {layer!r}"
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                f"`backward_layer` needs to be a `Layer` instance. Received: {backward_layer!r}"
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Invalid merge mode. Received: {merge_mode!r}. Merge mode should be one of "
                '{"sum", "mul", "ave", "concat", None}'
            )
        super().__init__(**kwargs)
        if self._batch_input_shape is None:  # Bidirectional(LSTM(4, input_shape=(5, 3)))
            self._batch_input_shape = getattr(layer, "_batch_input_shape", None)
        self.forward_layer = _copy_layer(
            layer, name=f"forward_{_removeprefix(layer.name, 'forward_')}")
        if backward_layer is None:
            backward_layer = _copy_layer(
                layer, name=f"backward_{_removeprefix(layer.name, 'backward_')}",
                go_backwards=True)
        self.backward_layer = backward_layer
        self._verify_layer_config()
        for sub in (self.forward_layer, self.backward_layer):
            if getattr(sub, "zero_output_for_mask", None) is not None:
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self._initial_weights = None if weights is None else list(weights)
        self.stateful = getattr(layer, "stateful", False)
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec

    def _verify_layer_config(self):
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(
                "Forward layer and backward layer should have different `go_backwards` value. "
                f"Received: forward_layer.go_backwards={forward.go_backwards}, "
                f"backward_layer.go_backwards={backward.go_backwards}"
            )
        for attribute in ("stateful", "return_sequences", "return_state"):
            f, b = getattr(forward, attribute, None), getattr(backward, attribute, None)
            if f != b:
                raise ValueError(
                    "Forward layer and backward layer are expected to have the same value for "
                    f'attribute "{attribute}", got "{f}" for forward layer and "{b}" for '
                    "backward layer"
                )

    def build(self, sequences_shape, initial_state_shape=None):
        self.forward_layer._maybe_build(sequences_shape)
        self.backward_layer._maybe_build(sequences_shape)
        self.input_spec = self.forward_layer.input_spec
        self.built = True
        if self._initial_weights is not None:
            weights, self._initial_weights = self._initial_weights, None
            self.set_weights(weights)

    def call(self, sequences, initial_state=None, mask=None, training=None):
        kwargs = {"training": training}
        if mask is not None:
            kwargs["mask"] = mask
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = list(initial_state[:half]), list(initial_state[half:])
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = jnp.flip(y_rev, axis=1)
        output = self._merge(y, y_rev)
        if self.return_state:
            return (output + states) if self.merge_mode is None else (output,) + states
        return output

    def reset_states(self, states=None) -> None:
        """Reset both directions' stored states (stateful layers only)."""
        if states is not None:
            half = len(states) // 2
            self.forward_layer.reset_states(states[:half])
            self.backward_layer.reset_states(states[half:])
            return
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    def reset_state(self) -> None:
        """Keras 3's name for `reset_states()`."""
        self.reset_states()

    def _merge(self, y, y_rev):
        if self.merge_mode == "concat":
            return jnp.concatenate([y, y_rev], axis=-1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "ave":
            return (y + y_rev) / 2
        if self.merge_mode == "mul":
            return y * y_rev
        return (y, y_rev)

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, list):
            mask = mask[0]
        if self.return_sequences:
            output_mask = (mask, mask) if not self.merge_mode else mask
        else:
            output_mask = (None, None) if not self.merge_mode else None
        if self.return_state:
            num_states = getattr(self.forward_layer, "_num_states", 1)
            state_masks = (None,) * (2 * num_states)
            if isinstance(output_mask, tuple):
                return output_mask + state_masks
            return (output_mask,) + state_masks
        return output_mask

    def compute_output_spec(self, inputs, **kwargs):
        if not is_keras_tensor(inputs):
            return super().compute_output_spec(inputs, **kwargs)
        spec = self.forward_layer.compute_output_spec(inputs)
        states = ()
        if self.return_state:
            spec, states = spec[0], tuple(spec[1:])
        if self.merge_mode == "concat":
            output = KerasTensor(spec.shape[:-1] + (spec.shape[-1] * 2,), spec.dtype)
        elif self.merge_mode is None:
            output = (spec, KerasTensor(spec.shape, spec.dtype))
        else:
            output = spec
        if self.return_state:
            states = states + tuple(KerasTensor(s.shape, s.dtype) for s in states)
            return (output + states) if self.merge_mode is None else (output,) + states
        return output

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        spec = self.compute_output_spec(KerasTensor(tuple(sequences_shape)))
        return jax.tree.map(lambda s: s.shape, spec, is_leaf=is_keras_tensor)

    def get_config(self):
        from hoarfrost.saving.serialization import serialize_layer
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize_layer(self.forward_layer),
            "backward_layer": serialize_layer(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = copy.deepcopy(config)
        config["layer"] = _deserialize(config["layer"], custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = _deserialize(backward, custom_objects)
        return cls(**config)


def _removeprefix(text: str, prefix: str) -> str:
    return text[len(prefix):] if text.startswith(prefix) else text


def _copy_layer(layer: Layer, name: str, **overrides) -> Layer:
    """A fresh, unbuilt layer from `layer`'s config (Keras's Bidirectional does the same)."""
    config = {**layer.get_config(), "name": name, **overrides}
    return type(layer).from_config(config)
