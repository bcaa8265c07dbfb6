"""Functional models: a graph of layer calls recorded on symbolic tensors."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from hoarfrost import masking
from hoarfrost.layers.input_layer import InputLayer
from hoarfrost.models.model import Model
from hoarfrost.symbolic import KerasTensor, Node, is_keras_tensor


def _leaves(tree) -> list[KerasTensor]:
    return jax.tree.leaves(tree, is_leaf=is_keras_tensor)


def _graph_nodes(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> list[Node]:
    """The nodes between inputs and outputs, in an order where inputs come first."""
    input_ids = {id(t) for t in inputs}
    ordered: list[Node] = []
    visited: set[int] = set()

    def visit(tensor: KerasTensor) -> None:
        node = tensor.node
        if node is None:
            raise ValueError(f"{tensor} was not produced by a layer call or Input().")
        if id(tensor) in input_ids:
            if id(node) not in visited:
                visited.add(id(node))
                ordered.append(node)
            return
        if isinstance(node.layer, InputLayer):
            raise ValueError(
                f'Output depends on input "{node.layer.name}", which is not among the '
                "model's inputs."
            )
        if id(node) in visited:
            return
        for parent in node.input_tensors:
            visit(parent)
        visited.add(id(node))
        ordered.append(node)

    for tensor in outputs:
        visit(tensor)
    return ordered


def adjust_input_rank(value, spec: tuple):
    """Keras's `_adjust_input_rank`: an input one rank above its `Input` and ending
    in an axis of 1 is squeezed; one rank below an `Input` ending in 1 is expanded
    (`(n, 28, 28)` for `Input((28, 28, 1))`, `(n,)` for `Input((1,))`)."""
    rank = len(value.shape)
    if rank == len(spec) + 1 and value.shape[-1] == 1:
        mask = masking.get_mask(value)
        value = jnp.squeeze(jnp.asarray(value), -1)
    elif rank == len(spec) - 1 and spec[-1] == 1:
        mask = masking.get_mask(value)
        value = jnp.expand_dims(jnp.asarray(value), -1)
    else:
        return value
    if mask is not None:
        masking.set_mask(value, mask)
    return value


def check_input_shape(value, spec: tuple, layer_name: str, model_name: str) -> None:
    """Raise unless `value` (after `adjust_input_rank`) has the rank and the non-batch
    sizes of the input `spec` (None matches any size), as Keras's functional call does."""
    shape = tuple(value.shape)
    if len(shape) != len(spec) or any(
            s is not None and d is not None and s != d for s, d in zip(spec[1:], shape[1:])):
        raise ValueError(
            f'Input of layer "{layer_name}" of model "{model_name}" is incompatible: '
            f"expected shape {tuple(spec)}, but received input with shape {shape}.")


def _keras_layer_order(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> list:
    """The graph's layers in Keras's order (`keras/src/ops/function.py`, `map_graph`).

    A layer's depth is the longest path from it to an output; layers come
    deepest first (the inputs), and layers of equal depth in the order a
    depth-first walk from the outputs first meets them. This is the order of
    Keras's `model.layers`, hence of `model.weights` and `get_weights()`.
    """
    input_ids = {id(t) for t in inputs}
    finished: set[int] = set()
    post_order: list[Node] = []  # nodes from inputs to outputs
    first_seen: dict[int, int] = {}  # id(layer) -> when the walk first met it

    def visit(tensor: KerasTensor) -> None:
        node = tensor.node
        if id(node) in finished:
            return
        first_seen.setdefault(id(node.layer), len(first_seen))
        if id(tensor) not in input_ids and not isinstance(node.layer, InputLayer):
            for parent in node.input_tensors:
                visit(parent)
        finished.add(id(node))
        post_order.append(node)

    for tensor in outputs:
        visit(tensor)
    in_graph = {id(node) for node in post_order}
    node_depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    layers: dict[int, Any] = {}
    for node in reversed(post_order):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        layers[id(node.layer)] = node.layer
        if isinstance(node.layer, InputLayer):
            continue
        for parent in node.input_tensors:
            if id(parent.node) in in_graph:
                node_depth[id(parent.node)] = max(depth + 1, node_depth.get(id(parent.node), 0))
    for tensor in inputs:  # inputs no output depends on: depth 0, first of their depth
        layer = tensor.node.layer
        if id(layer) not in layer_depth:
            layer_depth[id(layer)], first_seen[id(layer)], layers[id(layer)] = 0, -1, layer
    return [layers[key] for key in sorted(layers, key=lambda k: (-layer_depth[k], first_seen[k]))]


class Functional(Model):
    """A model defined by `Model(inputs, outputs)` on tensors from `Input`.

    `layers` lists the layers in Keras's order (by depth from the outputs, the
    inputs first; see `_keras_layer_order`), so `weights` and `get_weights()`
    come in Keras's order; a layer called twice (shared) appears once and
    keeps one set of weights.
    """

    _convert_input_args = False  # as Keras: the graph's layers cast their own inputs

    def __init__(self, inputs, outputs, name: str | None = None, trainable: bool = True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        for tensor in _leaves(inputs) + _leaves(outputs):
            if not is_keras_tensor(tensor):
                raise TypeError(
                    f'Model "{self.name}": inputs and outputs must be symbolic tensors from '
                    f"Input() and layer calls, got {type(tensor).__name__}."
                )
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self.inputs = _leaves(inputs)
        self.outputs = _leaves(outputs)
        for tensor in self.inputs:
            if not isinstance(tensor.node.layer, InputLayer):
                raise ValueError(
                    f'Model "{self.name}": every input must come from Input(); '
                    f'"{tensor.name}" comes from layer "{tensor.node.layer.name}".'
                )
        self._nodes = _graph_nodes(self.inputs, self.outputs)
        seen = _keras_layer_order(self.inputs, self.outputs)
        names = [layer.name for layer in seen]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(
                f'Model "{self.name}": all layer names should be unique; repeated: '
                f"{', '.join(duplicates)}."
            )
        for layer in seen:
            self._layers.append(layer)
        self.built = True

    @property
    def input(self):
        """The model's symbolic inputs, in the structure they were given (as Keras)."""
        return self._inputs_struct

    @property
    def output(self):
        """The model's symbolic outputs, in the structure they were given (as Keras)."""
        return self._outputs_struct

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_names(self) -> list[str]:
        """The name of the layer behind each output, in output order (as Keras)."""
        return [t.node.layer.name for t in self.outputs]

    def _standardize_inputs(self, inputs) -> list:
        if isinstance(inputs, dict):
            missing = [t.name for t in self.inputs if t.name not in inputs]
            if missing:
                raise ValueError(
                    f'Model "{self.name}": input dict is missing {missing}; expected keys '
                    f"{[t.name for t in self.inputs]}, got {sorted(inputs)}."
                )
            return [inputs[t.name] for t in self.inputs]
        flat = jax.tree.leaves(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(flat) != len(self.inputs):
            raise ValueError(
                f'Model "{self.name}" expects {len(self.inputs)} input(s), but received '
                f"{len(flat)}."
            )
        return flat

    def call(self, inputs, training=None, mask=None):
        flat = self._standardize_inputs(inputs)
        if mask is not None:  # masks given for the inputs: the graph's layers pick them up
            masks = ([mask.get(t.name) for t in self.inputs] if isinstance(mask, dict)
                     else masking.flat_masks(mask))
            for value, m in zip(flat, masks):
                if m is not None:
                    masking.set_mask(value, m)
        values: dict[int, Any] = {}
        for tensor, value in zip(self.inputs, flat):
            value = adjust_input_rank(value, tensor.shape)
            check_input_shape(value, tensor.shape, tensor.node.layer.name, self.name)
            values[id(tensor)] = value
        def fill(tree):
            return jax.tree.map(lambda t: values[id(t)] if is_keras_tensor(t) else t, tree,
                                is_leaf=is_keras_tensor)

        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            kwargs = {"training": training, **fill(node.kwargs)}  # an explicit training= wins
            out = node.layer(fill(node.inputs), *fill(node.args), **kwargs)
            for tensor, value in zip(node.output_tensors, jax.tree.leaves(out)):
                values[id(tensor)] = value
        return jax.tree.map(lambda t: values[id(t)], self._outputs_struct, is_leaf=is_keras_tensor)

    def _maybe_build(self, input_shape) -> None:
        pass

    def compute_output_spec(self, inputs, **kwargs):
        if is_keras_tensor(inputs) or isinstance(inputs, (list, tuple, dict)):
            return super().compute_output_spec(inputs, **kwargs)
        return self._outputs_struct

    @property
    def layers(self) -> list:
        """The model's layers, in order, without the graph's operations (`x * 2`,
        `ops.tanh(x)`): those are not layers in Keras, so indices (`layers[-2]`) and
        counts are Keras's. `summary()` and saving still see the operations."""
        from hoarfrost.layers.tensor_op import TensorOp
        return [layer for layer in self._layers if not isinstance(layer, TensorOp)]

    def _tensor_history(self) -> dict[int, tuple[str, int, int]]:
        """Keras's `keras_history` of each tensor of the graph: `id(tensor)` ->
        (layer name, node index, tensor index), a layer's calls numbered from 0
        among this graph's own (saved configs and `summary`'s "Connected to")."""
        own = {id(node) for node in self._nodes}
        node_index: dict[int, int] = {}
        for layer in self._layers:  # the graph's operations too
            kept = 0
            for node in layer._inbound_nodes:
                if id(node) in own:
                    node_index[id(node)] = kept
                    kept += 1
        return {id(tensor): (node.layer.name, node_index[id(node)], j)
                for node in self._nodes for j, tensor in enumerate(node.output_tensors)}

    def _connections(self) -> dict[int, str] | None:
        """`summary`'s "Connected to" per layer id (`dense[0][0], b[0][0]`, `-` for an
        input), or None when the graph is a chain, where Keras leaves the column out."""
        own = self._nodes
        consumers: dict[int, int] = {}
        calls: dict[int, int] = {}
        for node in own:
            calls[id(node.layer)] = calls.get(id(node.layer), 0) + 1
            for tensor in node.input_tensors:
                consumers[id(tensor)] = consumers.get(id(tensor), 0) + 1
        chain = (len(self.inputs) == 1 and len({id(t.node) for t in self.outputs}) == 1
                 and all(len(node.input_tensors) <= 1 for node in own)
                 and all(count == 1 for count in calls.values())
                 and all(count == 1 for count in consumers.values()))
        if chain:
            return None
        history = self._tensor_history()
        own_ids = {id(node) for node in own}
        connections = {}
        for layer in self._layers:
            names = [f"{history[id(t)][0]}[{history[id(t)][1]}][{history[id(t)][2]}]"
                     for node in layer._inbound_nodes if id(node) in own_ids
                     for t in node.input_tensors]
            connections[id(layer)] = ", ".join(names) or "-"
        return connections

    def _layer_output_shapes(self):
        shapes = {}
        own = {id(n) for n in self._nodes}
        for layer in self._layers:
            for node in layer._inbound_nodes:
                if id(node) in own:
                    outs = node.output_tensors
                    shapes[id(layer)] = outs[0].shape if len(outs) == 1 else [t.shape for t in outs]
                    break
        return shapes

    def get_config(self) -> dict[str, Any]:
        from hoarfrost.saving.serialization import serialize_layer
        tensor_ref = {}
        for i, node in enumerate(self._nodes):
            for j, tensor in enumerate(node.output_tensors):
                tensor_ref[id(tensor)] = [i, j]

        def ref(tree):
            return jax.tree.map(lambda t: {"ref": tensor_ref[id(t)]} if is_keras_tensor(t) else t,
                                tree, is_leaf=is_keras_tensor)

        def node_config(node):
            config = {"layer": node.layer.name, "inputs": ref(node.inputs),
                      "kwargs": ref(node.kwargs)}
            if node.args:
                config["args"] = ref(list(node.args))
            return config

        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": [{**serialize_layer(layer), "name": layer.name} for layer in self._layers],
            "nodes": [node_config(node) for node in self._nodes],
            "inputs": ref(self._inputs_struct),
            "outputs": ref(self._outputs_struct),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None, make_layer=None):
        """Rebuild the graph of `config`; `make_layer(layer_config)`, when given, makes
        each layer instead of deserializing it (`clone_model`'s `clone_function`)."""
        from hoarfrost.saving.serialization import deserialize_layer
        make_layer = make_layer or (lambda c: deserialize_layer(c, custom_objects))
        # A layer's name sits beside its config too (Keras's form): a custom get_config()
        # may leave it out.
        layers = {c.get("name") or c["config"]["name"]: make_layer(c) for c in config["layers"]}
        produced: list[list[KerasTensor]] = []

        def output(ref):
            node, index = ref["ref"]
            if not (0 <= node < len(produced) and 0 <= index < len(produced[node])):
                raise ValueError(
                    f'Functional model "{config.get("name")}": its config refers to output '
                    f"{index} of node {node}, but "
                    + (f"that node has {len(produced[node])} outputs." if 0 <= node <
                       len(produced) else f"only {len(produced)} nodes precede it."))
            return produced[node][index]

        def is_ref(x):
            return isinstance(x, dict) and set(x) == {"ref"}

        def resolve(tree):  # refs become tensors; plain values (use_causal_mask=True) stay
            return jax.tree.map(lambda x: output(x) if is_ref(x) else x, tree, is_leaf=is_ref)

        for spec in config["nodes"]:
            layer = layers.get(spec["layer"])
            if layer is None:
                raise ValueError(f'Functional model "{config.get("name")}": a node of its '
                                 f"config names the layer {spec['layer']!r}, which is not "
                                 "among its layers.")
            if isinstance(layer, InputLayer):
                produced.append([layer.output])
                continue
            out = layer(resolve(spec["inputs"]), *resolve(spec.get("args", [])),
                        **resolve(spec.get("kwargs", {})))
            produced.append(_leaves(out))
        return cls(resolve(config["inputs"]), resolve(config["outputs"]),
                   name=config.get("name"), trainable=config.get("trainable", True))
