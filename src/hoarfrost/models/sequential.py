"""`Sequential`: a plain stack of layers."""

from __future__ import annotations

from typing import Any

from hoarfrost import dtype_policies, masking
from hoarfrost.layers.input_layer import InputLayer
from hoarfrost.layers.layer import Layer
from hoarfrost.models.functional import adjust_input_rank, check_input_shape
from hoarfrost.models.model import Model
from hoarfrost.naming import unique_name
from hoarfrost.symbolic import KerasTensor


class Sequential(Model):
    """A linear stack of layers, each feeding the next.

    Built right away when the first layer gives `input_shape`/`input_dim` or
    an `Input` comes first; otherwise on the first call or `fit`. `layers`
    excludes the input layer, as in Keras.

    Example:
        >>> from hoarfrost import layers
        >>> model = Sequential([layers.Dense(7, input_dim=3), layers.Dense(1)])
        >>> model.count_params()
        36
    """

    def __init__(self, layers: list[Layer] | None = None, trainable: bool = True,
                 name: str | None = None):
        super().__init__(trainable=trainable, name=name)
        object.__setattr__(self, "_input_layer", None)
        for layer in layers or ():
            self.add(layer, rebuild=False)
        self._maybe_build_from_input_layer()

    def add(self, layer: Layer | KerasTensor, rebuild: bool = True) -> None:
        """Append a layer (an `Input` or `InputLayer` may come first)."""
        if isinstance(layer, KerasTensor) and isinstance(layer.node.layer, InputLayer):
            layer = layer.node.layer
        if isinstance(layer, InputLayer):
            if self._layers or self._input_layer is not None:
                raise ValueError(
                    f'Sequential "{self.name}": an input layer can only come first.'
                )
            object.__setattr__(self, "_input_layer", layer)
            return
        if not isinstance(layer, Layer):
            raise TypeError(
                f'Sequential "{self.name}": add() expects a Layer, got {type(layer).__name__}.'
            )
        if any(existing.name == layer.name for existing in self._layers):
            raise ValueError(
                f'Sequential "{self.name}": all layer names should be unique; '
                f'"{layer.name}" is already in the model.'
            )
        if not self._layers and self._input_layer is None and layer._batch_input_shape is not None:
            object.__setattr__(self, "_input_layer", InputLayer(batch_shape=layer._batch_input_shape))
        self._layers.append(layer)
        self.built = False
        if rebuild:
            self._maybe_build_from_input_layer()

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._layers:
            raise IndexError(f'Sequential "{self.name}" has no layers to pop.')
        layer = self._layers.pop()
        self.built = False
        self._maybe_build_from_input_layer()
        return layer

    def _maybe_build_from_input_layer(self) -> None:
        if self._input_layer is not None and self._layers:
            self.build(self._input_layer.batch_shape)

    @property
    def input_shape(self):
        return None if self._input_layer is None else self._input_layer.batch_shape

    @property
    def output_shape(self):
        """The last layer's output shape (the model must be built)."""
        if not self.built or not self._layers:
            raise ValueError(f'Sequential "{self.name}" is not built yet, so it has no output '
                             "shape; give the first layer an `input_shape` or call build().")
        return self._output_shapes[id(self._layers[-1])]

    @property
    def inputs(self) -> list:
        """The symbolic input, once built from a shape (for functional models on top)."""
        return [] if self._input_layer is None or not self.built else [self.input]

    @property
    def outputs(self) -> list:
        return [self.output] if self.inputs else []

    @property
    def input(self):
        if self._input_layer is None or not self.built:
            raise ValueError(f'Sequential "{self.name}" is not built yet, so it has no '
                             "symbolic input; give the first layer an `input_shape`.")
        return self._input_layer.output

    @property
    def output(self):
        self.input  # noqa: B018 (raises if unbuilt)
        return self._symbolic_output

    def build(self, input_shape=None) -> None:
        """Build every layer by passing a symbolic input through the stack."""
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError(
                    f'Sequential "{self.name}": give the first layer an `input_shape`, '
                    "start with an Input, or call build(input_shape)."
                )
            input_shape = self._input_layer.batch_shape
        input_shape = tuple(input_shape)
        if self._input_layer is None or self._input_layer.batch_shape[1:] != input_shape[1:]:
            object.__setattr__(self, "_input_layer", InputLayer(batch_shape=input_shape))
        tensor = self._input_layer.output
        self._output_shapes = {}
        for layer, node in getattr(self, "_build_nodes", ()):  # forget an earlier build's graph
            if node in layer._inbound_nodes:
                layer._inbound_nodes.remove(node)
        self._build_nodes = []
        for layer in self._layers:
            tensor = layer(tensor)
            if layer._inbound_nodes:
                self._build_nodes.append((layer, layer._inbound_nodes[-1]))
            self._output_shapes[id(layer)] = tensor.shape if isinstance(tensor, KerasTensor) else [
                t.shape for t in tensor]
        self._symbolic_output = tensor
        self._build_shapes_dict = input_shape
        self.built = True
        # Keras builds a `Functional` inside at each build, which takes the next
        # "functional" name: a functional model made afterwards is named as in Keras.
        unique_name("functional")

    def _maybe_build(self, input_shape) -> None:
        if not self.built:
            self.build(input_shape)

    def call(self, inputs, training=None, mask=None):
        if mask is not None:  # a mask given for the inputs: the layers pick it up
            masking.set_masks(inputs, mask)
        if self._input_layer is not None and self.built:
            inputs = self._single_input(inputs)
            if hasattr(inputs, "shape"):
                inputs = self._check_input(inputs)
        outputs = inputs
        for layer in self._layers:
            outputs = layer(outputs, training=training)
        return outputs

    def _single_input(self, inputs):
        """The one input array of a built stack, from a dict keyed by the input's name or a
        list of one array (as Keras's functional model inside); other structures refused."""
        name = self._input_layer.name
        if isinstance(inputs, dict):
            if name not in inputs:
                raise ValueError(
                    f'Sequential "{self.name}" takes one input, "{name}" of shape '
                    f"{self._input_layer.batch_shape}, but received a dict with keys "
                    f"{sorted(map(str, inputs))}; pass the array itself.")
            return inputs[name]
        if isinstance(inputs, (list, tuple)) and inputs and all(
                hasattr(i, "shape") and len(i.shape) for i in inputs):
            if len(inputs) != 1:
                raise ValueError(
                    f'Sequential "{self.name}" takes one input of shape '
                    f"{self._input_layer.batch_shape}, but received {len(inputs)} arrays of "
                    f"shapes {[tuple(i.shape) for i in inputs]}.")
            return inputs[0]
        return inputs

    def _check_input(self, inputs):
        """The input adjusted and checked against the input shape, as Keras's Sequential
        (a functional model inside) does: a rank other than the built one, or
        another size on a non-batch axis, is refused before any layer runs."""
        spec = self._input_layer.batch_shape
        inputs = adjust_input_rank(inputs, spec)  # (n, 3, 1) for (None, 3), ...
        first = self._layers[0] if self._layers else None
        if first is not None:
            first._check_input_spec(tuple(inputs.shape))  # the first layer's own message
        check_input_shape(inputs, spec, first.name if first is not None else self.name,
                          self.name)
        return inputs

    def _layer_output_shapes(self):
        return dict(getattr(self, "_output_shapes", {}))

    def get_config(self) -> dict[str, Any]:
        from hoarfrost.saving.serialization import serialize_layer
        layers = list(self._layers)
        if self._input_layer is not None:
            layers.insert(0, self._input_layer)
        return {"name": self.name, "trainable": self.trainable,
                "dtype": dtype_policies.serialize(self.dtype_policy),  # Keras's; not read back
                "layers": [serialize_layer(layer) for layer in layers]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from hoarfrost.saving.serialization import deserialize_layer
        layers = [deserialize_layer(c, custom_objects) for c in config["layers"]]
        return cls(layers, trainable=config.get("trainable", True), name=config.get("name"))
