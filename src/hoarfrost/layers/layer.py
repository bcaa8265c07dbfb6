"""The `Layer` base class: a stateful object for the user, pure in the engine (helpers
beside it: `input_spec`, `call_context`, `symbolic_call`, `stateless_call`)."""

from __future__ import annotations

import warnings
from typing import Any, Iterator

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost import constraints as constraints_module
from hoarfrost import dtype_policies
from hoarfrost import initializers as initializers_module
from hoarfrost import masking
from hoarfrost.devices import layout_layer_output
from hoarfrost.dtype_policies import autocast_inputs, autocast_scope
from hoarfrost.layers.call_context import (_call_accepts, _flatten_layers, _mask_position,
                                           _no_scope, _trainable_stack, _training_default,
                                           _training_stack, trainable_in_context)
from hoarfrost.layers.input_spec import (InputSpec, _build_shape, _is_array, _shape_of,
                                         check_input_spec, is_shape)
from hoarfrost.layers.saveable import KerasSaveable, recording_build
from hoarfrost.layers.stateless_call import run_stateless
from hoarfrost.layers.symbolic_call import _shape_to_spec, symbolic_mask, symbolic_output_spec
from hoarfrost.naming import scoped, to_snake_case, unique_name
from hoarfrost.object_registration import register_builtin
from hoarfrost.random import SeedGenerator
from hoarfrost.rematerialization import get_current_remat_mode, rematerialized_call
from hoarfrost.symbolic import Node, any_symbolic, is_keras_tensor
from hoarfrost.variables import Variable, current_scope

__all__ = ["InputSpec", "Layer", "is_shape", "trainable_in_context"]


class Layer(KerasSaveable):
    """Base class of all layers: subclass it, create weights in `build`,
    compute in `call`.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: a unique name; defaults to the snake-cased class name, made
            unique (`dense`, `dense_1`, ...).
        dtype: the layer's dtype policy: a `DTypePolicy` or its name, a dtype
            (`"float32"`: weights and computation in it) or `"mixed_bfloat16"` /
            `"mixed_float16"` (float32 weights, 16-bit computation). By default
            the global policy (`config.dtype_policy()`, `floatx()` unless set).
        autocast: cast floating inputs to `compute_dtype` and read variables in
            it inside `call` (Keras's default True).
        input_shape: the shape of one sample (no batch axis), which lets a
            `Sequential` build right away. `input_dim=n` means `(n,)`.

    Masks (padded timesteps) propagate as in Keras: a `call` with a `mask`
    parameter receives the inputs' mask, and a layer whose `supports_masking`
    is True attaches `compute_mask(inputs, mask)` to its outputs (by default
    the input mask); others drop it. See `hoarfrost.masking`.

    Example:
        >>> class Scale(Layer):
        ...     def build(self, input_shape):
        ...         self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")
        ...     def call(self, inputs):
        ...         return inputs * self.scale
    """

    # Keras's `_convert_input_args`: False where floating inputs must reach `call` as
    # given (hashing and lookup layers, functional models: their layers cast).
    _convert_input_args = True
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # hoarfrost's own layers and models register themselves, so a saved config finds
        # them by class name (`hoarfrost.object_registration`).
        if cls.__module__.startswith("hoarfrost.") and not cls.__name__.startswith("_"):
            register_builtin(cls)
        if "build" in cls.__dict__:  # Keras records what build() was called with
            cls.build = recording_build(cls.__dict__["build"])

    def __init__(self, *, trainable: bool = True, name: str | None = None, dtype=None,
                 input_shape=None, input_dim: int | None = None, batch_input_shape=None,
                 batch_size: int | None = None, autocast: bool = True, **kwargs):
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}: unrecognized keyword arguments {sorted(kwargs)}.")
        object.__setattr__(self, "_layers", [])
        object.__setattr__(self, "_seed_generators", [])
        self._variables: list[Variable] = []
        self._trainable = bool(trainable)
        self.name = name if name is not None else unique_name(to_snake_case(type(self).__name__))
        self._dtype_policy = dtype_policies.get(dtype)
        self.autocast = bool(autocast)
        self.built = False
        self._remat_mode = get_current_remat_mode()  # Keras: the RematScope at creation
        self.input_spec: InputSpec | None = None
        self._inbound_nodes: list[Node] = []
        self._build_shapes_dict = None
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            self._batch_input_shape = (batch_size,) + tuple(input_shape)
        else:
            self._batch_input_shape = None

    # --- tracking --------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("__") and hasattr(self, "_layers"):
            for item in value if isinstance(value, (list, tuple)) else (value,):
                if isinstance(item, Layer) and item is not self and item not in self._layers:
                    self._layers.append(item)
                elif isinstance(item, Variable) and item not in self._variables:
                    self._track_variable(item)
                elif isinstance(item, SeedGenerator) and item not in self._seed_generators:
                    self._seed_generators.append(item)
        object.__setattr__(self, name, value)

    def _track_variable(self, variable: Variable) -> None:
        variable._path = scoped(f"{self.name}/{variable._short_name}")  # any open name_scope
        self._variables.append(variable)

    # --- dtypes ----------------------------------------------------------
    @property
    def dtype_policy(self) -> dtype_policies.DTypePolicy:
        """The layer's `DTypePolicy` (set it with a policy or a name)."""
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value) -> None:
        self._dtype_policy = dtype_policies.get(value)

    @property
    def dtype(self) -> str:
        """Alias of `variable_dtype` (as Keras)."""
        return self.variable_dtype

    @property
    def compute_dtype(self) -> str:
        """The dtype the layer computes in: floating inputs are cast to it."""
        return self._dtype_policy.compute_dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype of the layer's weights."""
        return self._dtype_policy.variable_dtype

    @property
    def input_dtype(self) -> str:
        """The dtype floating inputs are converted to (`compute_dtype`)."""
        return self.compute_dtype

    # --- weights ---------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable: bool = True,
                   regularizer=None, constraint=None, name: str | None = None,
                   autocast: bool = True, **kwargs) -> Variable:
        """Create a variable owned by this layer.

        Args:
            shape: the variable's shape (a tuple; `()` for a scalar).
            initializer: name, `Initializer` or callable `(shape, dtype)`;
                defaults to glorot_uniform for floats, zeros otherwise.
            trainable: False creates *state* the optimizer never touches.
            regularizer: a penalty on the value, added to the loss while the
                variable is trainable.
            constraint: a projection applied after each optimizer update: a
                `Constraint`, its name or config, or a function of the value.
            name: the short name (`kernel`); the path is `<layer>/<name>`.
            autocast: read in the compute dtype inside `call` under a mixed
                policy (False keeps e.g. normalization statistics in float32).
        """
        shape = tuple(int(d) for d in (shape or ()))
        dtype = np.dtype(dtype or self.variable_dtype)
        if initializer is None:
            initializer = "glorot_uniform" if jnp.issubdtype(dtype, jnp.floating) else "zeros"
        init = initializers_module.get(initializer)
        name = name or f"variable_{len(self._variables)}"
        # Weights are always created eagerly, even when the first call is traced.
        with jax.ensure_compile_time_eval(), _no_scope():
            value = init(shape, dtype)
        variable = Variable(value, name=name, trainable=trainable, dtype=dtype, autocast=autocast)
        variable.regularizer = _get_regularizer(regularizer)
        variable.constraint = constraints_module.get(constraint)
        self._track_variable(variable)
        return variable

    def _walk(self, enclosing_trainable: bool = True,
              state: bool = False) -> Iterator[tuple[Variable, bool, bool]]:
        """Yield (variable, path_trainable, effective_trainable), creation order.

        `path_trainable` is True when this layer and every enclosing layer are
        trainable; a parameter is effectively trainable when, in addition,
        its own flag is set. `state` also yields the state a layer keeps out of
        its `weights` (as Keras): its `SeedGenerator`s' states and a stateful
        RNN's states, after its own weights, so the training step still carries
        them as the layer's state.
        """
        path_trainable = enclosing_trainable and self._trainable
        for variable in self._variables:
            yield variable, path_trainable, path_trainable and variable.trainable
        if state:
            for generator in self._seed_generators:
                yield generator.state, path_trainable, False
            for variable in self.__dict__.get("_hidden_state_variables", ()):
                yield variable, path_trainable, False
        for layer in self._layers:
            yield from layer._walk(path_trainable, state)

    def _unique_walk(self, state: bool = False):
        seen = set()
        for item in self._walk(state=state):
            if id(item[0]) not in seen:
                seen.add(id(item[0]))
                yield item

    @property
    def weights(self) -> list[Variable]:
        """All weights, in creation order; toggling `trainable` never reorders.

        As in Keras, the states of `SeedGenerator`s and of stateful RNNs are not
        weights (see `variables`)."""
        return [v for v, _, _ in self._unique_walk()]

    @property
    def variables(self) -> list[Variable]:
        """`weights` and the layers' other state: `SeedGenerator` and stateful RNN states."""
        return [v for v, _, _ in self._unique_walk(state=True)]

    @property
    def trainable_weights(self) -> list[Variable]:
        return [v for v, _, effective in self._unique_walk() if effective]

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return [v for v, _, effective in self._unique_walk() if not effective]

    @property
    def non_trainable_variables(self) -> list[Variable]:
        """`non_trainable_weights` and the `SeedGenerator` and stateful RNN states."""
        return [v for v, _, effective in self._unique_walk(state=True) if not effective]

    def get_weights(self) -> list[np.ndarray]:
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights) -> None:
        variables = self.weights
        weights = list(weights)
        if len(weights) != len(variables):
            raise ValueError(
                f'Layer "{self.name}" expects {len(variables)} weight arrays '
                f"({', '.join(v.path for v in variables) or 'none'}), but received "
                f"{len(weights)}."
            )
        for variable, value in zip(variables, weights):
            value = np.asarray(value)
            if tuple(value.shape) != variable.shape:
                raise ValueError(
                    f'Layer "{self.name}": weight {variable.path} has shape '
                    f"{variable.shape}, but the value given has shape {value.shape}."
                )
        for variable, value in zip(variables, weights):
            variable.assign(value)

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(
                f'Layer "{self.name}" is not built yet, so its weights do not exist. '
                "Call it on data or build it with an input shape first."
            )
        return int(sum(v.size for v in self.weights))

    # --- the functional graph -------------------------------------------
    def _first_node(self, what: str):
        if not self._inbound_nodes:
            raise ValueError(
                f'Layer "{self.name}" has never been called on a symbolic input (an Input or '
                f"another layer's output), so it has no defined {what}.")
        return self._inbound_nodes[0]

    @property
    def input(self):
        """The symbolic input of this layer's first functional call (as Keras)."""
        tensors = self._first_node("input").input_tensors
        return tensors[0] if len(tensors) == 1 else tensors

    @property
    def output(self):
        """The symbolic output of this layer's first functional call (as Keras).

        With it a model becomes a feature extractor:
        `Model(model.input, model.get_layer("block3").output)`.
        """
        node = self._first_node("output")
        return node.outputs if not isinstance(node.outputs, (list, tuple)) else (
            node.outputs[0] if len(node.outputs) == 1 else list(node.outputs))

    # --- trainability ----------------------------------------------------
    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        """Set the flag of this layer, its sublayers and its parameters (as Keras).

        The change applies from the next training step; no recompile needed.
        The base kernel of a LoRA layer and int8 weights keep their own flag
        (False): Keras would unfreeze a LoRA base kernel here.
        """
        self.set_trainable(value)

    def set_trainable(self, value: bool, recursive: bool = True) -> None:
        """Set this layer's trainable flag; `recursive=False` sets only its own.

        `layer.trainable = value` is `set_trainable(value)`: the layer, its
        sublayers and its parameters, as in Keras. With `recursive=False` the
        sublayers' and variables' flags stay as they are: so `Model.unfreeze`
        switches on the layers enclosing a selection without thawing their
        other contents, and a loaded model gets back each flag as saved.
        """
        value = bool(value)
        self._trainable = value
        if not recursive:
            return
        for variable in self._variables:
            # A LoRA base kernel or an int8 weight keeps its own flag (False).
            if not variable.is_state and variable.frozen_by is None:
                variable.trainable = value
        for layer in self._layers:
            layer.trainable = value

    @property
    def losses(self) -> list:
        """As Keras: the losses added by the last call (`add_loss`, this layer's and
        its sublayers'), then the penalties of its trainable weights' regularizers."""
        scope = current_scope()
        layers = [self] + _flatten_layers(self)
        if scope is not None:
            added = [loss for layer in layers for loss in scope.losses_of(layer)]
        else:
            added = [loss for layer in layers for loss in layer.__dict__.get("_eager_losses", ())]
        return added + [v.regularizer(v.value) for v in self.trainable_weights
                        if getattr(v, "regularizer", None) is not None]

    def add_loss(self, loss) -> None:
        """Add a scalar to the loss: in a training step, to that step's loss; called
        eagerly (a call outside `fit`, or outside `call`), it is listed in `losses`
        until the next call, as in Keras (it trains nothing)."""
        scope = current_scope()
        if scope is not None:
            scope.add_loss(self, loss)
        elif not isinstance(loss, jax.core.Tracer):  # an abstract trace's losses are dropped
            self.__dict__.setdefault("_eager_losses", []).append(jnp.asarray(loss))

    def _add_activity_loss(self, outputs) -> None:
        """Keras's activity regularization: each output's penalty over its batch size,
        added to the step's loss (when the layer has an `activity_regularizer`)."""
        regularizer = getattr(self, "activity_regularizer", None)
        if regularizer is not None:
            for value in jax.tree.leaves(outputs):
                self.add_loss(regularizer(value) / value.shape[0])

    # --- building and calling ---------------------------------------------
    def build(self, input_shape) -> None:
        self.built = True

    def _maybe_build(self, input_shape) -> None:
        if self.built:
            return
        self._build_shapes_dict = input_shape
        with jax.ensure_compile_time_eval(), _no_scope():
            self.build(input_shape)
        self.built = True

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement call().")

    # --- masking -------------------------------------------------------------
    @property
    def supports_masking(self) -> bool:
        """Whether the layer passes a mask on to its outputs (via `compute_mask`).

        As Keras: True by default exactly when a subclass overrides
        `compute_mask`; a layer that does not support masking drops it.
        """
        value = getattr(self, "_supports_masking", None)  # set by a class or instance
        if value is None:
            return type(self).compute_mask is not Layer.compute_mask
        return value

    @supports_masking.setter
    def supports_masking(self, value: bool) -> None:
        self.__dict__["_supports_masking"] = bool(value)

    def compute_mask(self, inputs, previous_mask=None):
        """The mask of the output: by default the input's, unchanged."""
        return previous_mask

    def _propagate_mask(self, inputs, outputs, previous_mask, consumed: bool) -> None:
        """Attach the output mask (Keras's `_set_mask_metadata`).

        Outputs that already carry a mask (set by `call`, or an inner layer's
        output returned as is) keep it. A layer without masking support drops
        the mask, with a warning unless its `call` took it (`mask=`).
        """
        flat_outputs = jax.tree.leaves(outputs)
        if all(masking.get_mask(o) is not None for o in flat_outputs):
            return
        if not self.supports_masking:
            if not consumed and masking.any_mask(previous_mask):
                warnings.warn(
                    f'Layer "{self.name}" (of type {type(self).__name__}) was passed an input '
                    "with a mask attached to it, but it does not support masking, so its "
                    "output carries no mask: downstream layers will not see it.",
                    stacklevel=3)
            return
        if any_symbolic(inputs):
            output_masks = symbolic_mask(self.compute_mask, inputs, previous_mask)
        else:
            output_masks = self.compute_mask(inputs, previous_mask)
        if output_masks is None:
            return
        for tensor, mask in zip(flat_outputs, masking.flat_masks(output_masks)):
            if mask is not None and masking.get_mask(tensor) is None:
                masking.set_mask(tensor, mask)

    def compute_output_shape(self, input_shape):
        """The output shape for an input shape; derived by abstract evaluation."""
        spec = self.compute_output_spec(_shape_to_spec(input_shape))
        return jax.tree.map(lambda s: s.shape, spec, is_leaf=is_keras_tensor)

    def compute_output_spec(self, inputs, *args, **kwargs):
        """KerasTensors describing the output for symbolic `inputs` (and symbolic
        tensors among the other arguments)."""
        return symbolic_output_spec(self._call_with_context, inputs, args, kwargs)

    def __call__(self, inputs, *args, **kwargs):
        if any_symbolic(inputs) or (args and any_symbolic(args)) or any_symbolic(kwargs):
            return self._symbolic_call(inputs, args, kwargs)
        masks = masking.masks_of(inputs)
        inputs = jax.tree.map(
            lambda x: x.value if isinstance(x, Variable) else jnp.asarray(x), inputs,
            is_leaf=lambda x: isinstance(x, Variable))
        has_masks = masking.any_mask(masks)
        if has_masks:  # a conversion (NumPy -> JAX) keeps the mask
            masking.set_masks(inputs, masks)
        shapes = jax.tree.map(_shape_of, inputs, is_leaf=_is_array)
        self._maybe_build(_build_shape(shapes))
        self._check_input_spec(shapes)
        # Keras: a call naming `mask` gets the inputs' masks unless one is given.
        position = _mask_position(type(self))
        if has_masks and kwargs.get("mask") is None and position is not None \
                and len(args) < position:
            kwargs["mask"] = masks
        previous_mask = kwargs.get("mask")
        consumed = previous_mask is not None
        if previous_mask is None and has_masks:
            previous_mask = masks
        outputs = self._call_with_context(inputs, args, kwargs, remat=True)
        outputs = layout_layer_output(self.name, outputs)  # "<layer>/output" layouts
        self._propagate_mask(inputs, outputs, previous_mask, consumed)
        return outputs

    def _call_with_context(self, inputs, args, kwargs, remat: bool = False):
        # Keras 3's resolution: an explicit argument, else the enclosing call's
        # value, else this call's own default. An unresolved (None) value is not
        # passed on, so a Sequential called directly lets a RandomFlip inside it
        # augment (its default True) while a Dropout stays off (its default None).
        training = kwargs.pop("training", None)
        stack = _training_stack()
        if not stack:  # the outermost call: the losses of an earlier call go (Keras)
            for layer in [self] + _flatten_layers(self):
                layer.__dict__.pop("_eager_losses", None)
        if training is None and stack:
            training = stack[-1]
        if training is None:
            training = _training_default(type(self))
        if training is not None and _call_accepts(type(self), "training"):
            kwargs["training"] = training
        trainable = _trainable_stack()
        trainable.append((trainable[-1] if trainable else True) and self._trainable)
        stack.append(training)
        try:
            if self._convert_input_args:
                inputs, args, kwargs = autocast_inputs(self, (inputs, args, kwargs))
            with autocast_scope(self):
                return rematerialized_call(self, remat, (inputs, *args), kwargs)(  # RematScope
                    inputs, *args, **kwargs)
        finally:
            stack.pop()
            trainable.pop()

    def stateless_call(self, trainable_variables, non_trainable_variables, *args,
                       return_losses: bool = False, rng=None, **kwargs):
        """Call the layer without side effects, on explicit variable values (as Keras 3).

        The values stand in for `self.trainable_variables` and
        `self.non_trainable_variables` (same order, one to one); `args` and
        `kwargs` go to `call()`. Nothing is assigned: the new values of the
        non-trainable variables (e.g. BatchNormalization's moving statistics
        with `training=True`) are returned instead. Pure, so it runs under
        `jax.jit` and `jax.grad`: the building block of a custom training step.

        Args:
            trainable_variables: values of `self.trainable_variables`.
            non_trainable_variables: values of `self.non_trainable_variables`.
            *args: positional arguments of `call()`.
            return_losses: also return the losses of the call (`add_loss`,
                activity regularizers) and the weight regularization
                penalties of the trainable variables, as Keras's `losses`.
            rng: a `jax.random.key` for layers that draw random numbers
                (Dropout in training). Keras keeps seed state among the
                non-trainable variables; hoarfrost takes the key here. Eager
                calls without it draw from the global stream; a traced call
                without it raises if a layer draws.
            **kwargs: keyword arguments of `call()` (e.g. `training=True`).

        Returns:
            `(outputs, non_trainable_variables)`, or with `return_losses=True`
            `(outputs, non_trainable_variables, losses)`.

        Example:
            >>> outputs, non_trainable = model.stateless_call(
            ...     [v.value for v in model.trainable_variables],
            ...     [v.value for v in model.non_trainable_variables], x, training=True)
            >>> for variable, value in zip(model.non_trainable_variables, non_trainable):
            ...     variable.assign(value)
        """
        return run_stateless(self, trainable_variables, non_trainable_variables, args, kwargs,
                             return_losses=return_losses, rng=rng)

    def _symbolic_call(self, inputs, args, kwargs):
        shapes = jax.tree.map(lambda t: t.shape, inputs, is_leaf=is_keras_tensor)
        self._maybe_build(shapes)
        self._check_input_spec(shapes)
        # The output's dtype follows the inputs as the layer will see them (autocast).
        spec = autocast_inputs(self, inputs) if self._convert_input_args else inputs
        # Masks as Keras: a call naming `mask` sees the inputs' (symbolic) masks while
        # the graph is built. The node records the call as given; a replay passes the
        # masks of the arrays then.
        masks = masking.masks_of(inputs)
        has_masks = masking.any_mask(masks)
        spec_kwargs = dict(kwargs)
        position = _mask_position(type(self))
        if has_masks and kwargs.get("mask") is None and position is not None \
                and len(args) < position:
            spec_kwargs["mask"] = masks
        previous_mask = spec_kwargs.get("mask")
        consumed = previous_mask is not None
        if previous_mask is None and has_masks:
            previous_mask = masks
        overridden = type(self).compute_output_spec is not Layer.compute_output_spec
        if args or any_symbolic(kwargs) or ("mask" in spec_kwargs and not overridden):
            # several tensor arguments (Keras allows them), or a mask for call()
            outputs = Layer.compute_output_spec(self, spec, *args, **spec_kwargs)
        else:
            outputs = self.compute_output_spec(spec, **spec_kwargs)
        self._propagate_mask(inputs, outputs, previous_mask, consumed)
        node = Node(self, inputs, outputs, dict(kwargs), args=tuple(args))
        for index, tensor in enumerate(node.output_tensors):
            tensor.node, tensor.index = node, index
            tensor.name = self.name
        self._inbound_nodes.append(node)
        return outputs

    def _check_input_spec(self, shapes) -> None:
        check_input_spec(self.input_spec, self.name, shapes)

    # --- config ------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": dtype_policies.serialize(self.dtype_policy)}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        return cls(**config)

    def _build_from_saved(self, args: tuple, kwargs: dict) -> None:
        """`build(*args, **kwargs)` outside any trace (`build_from_config`)."""
        with jax.ensure_compile_time_eval(), _no_scope():
            self.build(*args, **kwargs)
        self.built = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


register_builtin(Layer)  # its subclasses register themselves (`__init_subclass__`)


def _get_regularizer(regularizer):
    if regularizer is None:
        return None
    from hoarfrost import regularizers
    return regularizers.get(regularizer)
