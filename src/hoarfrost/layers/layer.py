"""The `Layer` base class: a stateful object for the user, pure in the engine."""

from __future__ import annotations

import functools
import inspect
import threading
import warnings
from typing import Any, Iterator

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost import config
from hoarfrost import constraints as constraints_module
from hoarfrost import initializers as initializers_module
from hoarfrost import masking
from hoarfrost.naming import to_snake_case, unique_name
from hoarfrost.random import SeedGenerator
from hoarfrost.symbolic import KerasTensor, Node, any_symbolic, is_keras_tensor
from hoarfrost.variables import StatelessScope, Variable, current_scope

_context = threading.local()



def _training_stack() -> list:
    if not hasattr(_context, "training"):
        _context.training = []
    return _context.training


def _trainable_stack() -> list:
    if not hasattr(_context, "trainable"):
        _context.trainable = []
    return _context.trainable


def trainable_in_context(layer) -> bool:
    """Whether `layer`, now running, trains: its flag and every enclosing caller's.

    A layer inside a frozen model is frozen even if its own flag is set, so
    e.g. BatchNormalization must run in inference mode there.
    """
    stack = _trainable_stack()
    return stack[-1] if stack else layer.trainable


def _shape_of(x) -> tuple:
    return tuple(x.shape)


class InputSpec:
    """What a layer accepts: rank and fixed sizes of given axes.

    Args:
        ndim: exact rank, or None.
        min_ndim: minimum rank, or None.
        axes: map of axis -> required size.
    """

    def __init__(self, ndim: int | None = None, min_ndim: int | None = None,
                 axes: dict[int, int] | None = None):
        self.ndim, self.min_ndim, self.axes = ndim, min_ndim, dict(axes or {})

    def check(self, layer_name: str, shape: tuple) -> None:
        rank = len(shape)
        if self.ndim is not None and rank != self.ndim:
            raise ValueError(
                f'Input of layer "{layer_name}" is incompatible with the layer: expected '
                f"ndim={self.ndim}, found ndim={rank}. Full shape received: {shape}"
            )
        if self.min_ndim is not None and rank < self.min_ndim:
            raise ValueError(
                f'Input of layer "{layer_name}" is incompatible with the layer: expected '
                f"min_ndim={self.min_ndim}, found ndim={rank}. Full shape received: {shape}"
            )
        for axis, size in self.axes.items():
            if -rank <= axis < rank and shape[axis] is not None and shape[axis] != size:
                raise ValueError(
                    f'Input of layer "{layer_name}" is incompatible with the layer: expected '
                    f"axis {axis} of input shape to have value {size}, but received input "
                    f"with shape {shape}"
                )


@functools.lru_cache(maxsize=None)
def _call_accepts(cls, argument: str) -> bool:
    params = inspect.signature(cls.call).parameters
    return argument in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


@functools.lru_cache(maxsize=None)
def _training_default(cls) -> bool | None:
    """The `training` a layer gets when neither its caller nor an enclosing call
    set one (Keras 3's rule): its `call`'s default when that is a bool (the
    augmentation layers default to True), False when `training` is a required
    argument, else None (unresolved: the call's own default applies, and the
    layers it calls resolve theirs in turn)."""
    param = inspect.signature(cls.call).parameters.get("training")
    if param is None or param.kind is param.VAR_KEYWORD:
        return None
    if param.default is param.empty:
        return False
    return param.default if isinstance(param.default, bool) else None


@functools.lru_cache(maxsize=None)
def _mask_position(cls) -> int | None:
    """Where `mask` sits among call's arguments (inputs = 0), or None when
    call names no `mask` parameter (as Keras: `**kwargs` gets no mask)."""
    params = [p for p in inspect.signature(cls.call).parameters.values() if p.name != "self"]
    for index, param in enumerate(params):
        if param.name == "mask" and param.kind is not param.VAR_KEYWORD:
            return index if param.kind is not param.KEYWORD_ONLY else len(params)
    return None


class Layer:
    """Base class of all layers: subclass it, create weights in `build`,
    compute in `call`.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: a unique name; defaults to the snake-cased class name, made
            unique (`dense`, `dense_1`, ...).
        dtype: the dtype of the layer's weights (`config.floatx()`, float32
            unless set, by default).
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

    def __init__(self, *, trainable: bool = True, name: str | None = None, dtype=None,
                 input_shape=None, input_dim: int | None = None, batch_input_shape=None,
                 batch_size: int | None = None, **kwargs):
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}: unrecognized keyword arguments "
                f"{sorted(kwargs)}."
            )
        object.__setattr__(self, "_layers", [])
        object.__setattr__(self, "_seed_generators", [])
        self._variables: list[Variable] = []
        self._trainable = bool(trainable)
        self.name = name if name is not None else unique_name(to_snake_case(type(self).__name__))
        self.dtype = np.dtype(dtype or config.layer_dtype()).name
        self.built = False
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
        variable._path = f"{self.name}/{variable._short_name}"
        self._variables.append(variable)

    # --- weights ---------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable: bool = True,
                   regularizer=None, constraint=None, name: str | None = None,
                   **kwargs) -> Variable:
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
        """
        shape = tuple(int(d) for d in (shape or ()))
        dtype = np.dtype(dtype or self.dtype)
        if initializer is None:
            initializer = "glorot_uniform" if jnp.issubdtype(dtype, jnp.floating) else "zeros"
        init = initializers_module.get(initializer)
        name = name or f"variable_{len(self._variables)}"
        # Weights are always created eagerly, even when the first call is traced.
        with jax.ensure_compile_time_eval(), _no_scope():
            value = init(shape, dtype)
        variable = Variable(value, name=name, trainable=trainable, dtype=dtype)
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
        """
        value = bool(value)
        self._trainable = value
        for variable in self._variables:
            if not variable._is_state:
                variable.trainable = value
        for layer in self._layers:
            layer.trainable = value

    @property
    def losses(self) -> list:
        scope = current_scope()
        return list(scope.losses_of(self)) if scope is not None else []

    def add_loss(self, loss) -> None:
        """Add a scalar to the training loss of the current step."""
        scope = current_scope()
        if scope is not None:
            scope.add_loss(self, loss)

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

    def compute_output_spec(self, inputs, **kwargs):
        """KerasTensors describing the output for symbolic `inputs`."""
        def run(concrete):
            # A scope of its own: state a layer assigns while traced is dropped.
            with StatelessScope(symbolic=True):
                return self._call_with_context(concrete, (), dict(kwargs))

        def evaluate(fill):
            abstract = jax.tree.map(
                lambda t: jax.ShapeDtypeStruct(fill(t.shape), t.dtype), inputs,
                is_leaf=is_keras_tensor)
            with _no_scope():
                return jax.eval_shape(run, abstract)

        # Unknown sizes (None) are evaluated as symbolic dimensions (one per axis
        # position, shared by all inputs), so an output axis that depends on one is
        # unknown. Code that needs a concrete size falls back to two placeholder sizes
        # (as Keras does): an output axis whose size follows the placeholder is unknown.
        try:
            out = evaluate(_symbolic_fill)
            return jax.tree.map(
                lambda a: KerasTensor(tuple(None if jax.export.is_symbolic_dim(d) else int(d)
                                            for d in a.shape), a.dtype), out)
        except Exception:  # noqa: BLE001 - the concrete evaluation raises the real error
            pass
        first = evaluate(lambda shape: _placeholder(shape, _PLACEHOLDERS[0]))
        second = evaluate(lambda shape: _placeholder(shape, _PLACEHOLDERS[1]))
        return jax.tree.map(
            lambda a, b: KerasTensor(tuple(None if x != y else x for x, y in zip(a.shape, b.shape)),
                                     a.dtype), first, second)

    def __call__(self, inputs, *args, **kwargs):
        if any_symbolic(inputs):
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
        outputs = self._call_with_context(inputs, args, kwargs)
        self._propagate_mask(inputs, outputs, previous_mask, consumed)
        return outputs

    def _call_with_context(self, inputs, args, kwargs):
        # Keras 3's resolution: an explicit argument, else the enclosing call's
        # value, else this call's own default. An unresolved (None) value is not
        # passed on, so a Sequential called directly lets a RandomFlip inside it
        # augment (its default True) while a Dropout stays off (its default None).
        training = kwargs.pop("training", None)
        stack = _training_stack()
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
            return self.call(inputs, *args, **kwargs)
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
        if not self.built:
            raise ValueError(
                f"To call stateless_call, {type(self).__name__} must be built (i.e. its "
                "variables must have been already created). You can build it by calling it on "
                "some data.")
        trainable, non_trainable = self.trainable_variables, self.non_trainable_variables
        for argument, given, expected in (("trainable_variables", trainable_variables, trainable),
                                          ("non_trainable_variables", non_trainable_variables,
                                           non_trainable)):
            if len(given) != len(expected):
                raise ValueError(
                    f"Argument `{argument}` must be a list of tensors corresponding 1:1 to "
                    f"{type(self).__name__}().{argument}. Received list with length "
                    f"{len(given)}, but expected {len(expected)} variables.")
        mapping = list(zip(trainable, trainable_variables)) + list(
            zip(non_trainable, non_trainable_variables))
        traced = any(isinstance(leaf, jax.core.Tracer)
                     for leaf in jax.tree.leaves((trainable_variables, non_trainable_variables,
                                                  args, kwargs)))
        if rng is not None:
            scope = StatelessScope(mapping, rng=rng)
        elif traced:
            scope = _KeylessScope(mapping, self.name)
        else:
            from hoarfrost.random import global_key
            scope = StatelessScope(mapping, rng=global_key())
        with scope:
            outputs = self.call(*args, **kwargs)
            if return_losses:
                losses = [loss for layer in [self] + _flatten_layers(self)
                          for loss in scope.losses_of(layer)]
                losses += [v.regularizer(v.value) for v in trainable
                           if getattr(v, "regularizer", None) is not None]
        new_values = [scope.updated_value(v, value)
                      for v, value in zip(non_trainable, non_trainable_variables)]
        if return_losses:
            return outputs, new_values, losses
        return outputs, new_values

    def _symbolic_call(self, inputs, args, kwargs):
        if args:
            raise ValueError(
                f'Layer "{self.name}": only the first argument of a functional call may '
                "hold symbolic tensors; pass other arguments as keywords."
            )
        shapes = jax.tree.map(lambda t: t.shape, inputs, is_leaf=is_keras_tensor)
        self._maybe_build(shapes)
        self._check_input_spec(shapes)
        outputs = self.compute_output_spec(inputs, **kwargs)
        node = Node(self, inputs, outputs, dict(kwargs))
        for index, tensor in enumerate(node.output_tensors):
            tensor.node, tensor.index = node, index
            tensor.name = self.name
        self._inbound_nodes.append(node)
        return outputs

    def _check_input_spec(self, shapes) -> None:
        if self.input_spec is None:
            return
        leaves = jax.tree.leaves(shapes, is_leaf=_is_shape)
        for shape in leaves[:1]:
            self.input_spec.check(self.name, tuple(shape))

    # --- config ------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _is_array(x) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype")


def _is_shape(s) -> bool:
    # A dimension may be symbolic: `jax.export` traces with a symbolic batch size.
    return isinstance(s, tuple) and all(
        d is None or isinstance(d, int) or jax.export.is_symbolic_dim(d) for d in s)


def _build_shape(shapes):
    """Shapes as build() sees them: the batch axis unknown, as in Keras (and any
    other symbolic dimension unknown too)."""
    return jax.tree.map(
        lambda s: (None,) + tuple(None if jax.export.is_symbolic_dim(d) else d for d in s[1:])
        if len(s) else s, shapes, is_leaf=_is_shape)


def _flatten_layers(layer) -> list:
    """Every layer nested in `layer`, depth first, each once (Keras's `_flatten_layers`)."""
    found: list = []
    seen: set[int] = {id(layer)}

    def visit(parent) -> None:
        for sub in parent._layers:
            if id(sub) not in seen:
                seen.add(id(sub))
                found.append(sub)
                visit(sub)

    visit(layer)
    return found


class _KeylessScope(StatelessScope):
    """The scope of a traced `stateless_call` given no `rng`: drawing is an error, not a
    key baked into the trace (which would repeat the same dropout mask every call)."""

    def __init__(self, values, owner: str):
        super().__init__(values)
        self._owner = owner

    def next_rng(self):
        raise ValueError(
            f'stateless_call of "{self._owner}": a layer draws random numbers (e.g. Dropout '
            "with training=True) inside a traced function, but no key was given. Pass "
            "rng=jax.random.key(...) (a different key for each step); Keras keeps this seed "
            "state among the non-trainable variables, hoarfrost takes it as an argument.")


def _placeholder(shape, size: int) -> tuple:
    return tuple(size if d is None else d for d in shape)


# Placeholder sizes for unknown axes when symbolic evaluation fails: large enough for
# kernels and pools, and primes, so that no stride or pool maps both to one size (Keras).
_PLACEHOLDERS = (83, 89)


@functools.lru_cache(maxsize=None)
def _axis_symbols() -> tuple:
    """One symbolic dimension per axis position (`d0` the batch), in one scope, shared by
    every input (so inputs with unknown sizes on the same axis combine)."""
    return jax.export.symbolic_shape(", ".join(f"d{i}" for i in range(_MAX_SYMBOLIC_RANK)))


_MAX_SYMBOLIC_RANK = 8


def _symbolic_fill(shape) -> tuple:
    if None not in shape:
        return tuple(shape)
    if len(shape) > _MAX_SYMBOLIC_RANK:
        raise ValueError("rank too high for symbolic evaluation")  # the fallback handles it
    symbols = _axis_symbols()
    return tuple(symbols[i] if d is None else d for i, d in enumerate(shape))


def _shape_to_spec(input_shape):
    if isinstance(input_shape, (list, tuple)) and input_shape and isinstance(input_shape[0], (list, tuple)):
        return [KerasTensor(s) for s in input_shape]
    return KerasTensor(input_shape)


class _no_scope:
    """Suspend the stateless scope (weights are created outside any trace)."""

    def __enter__(self):
        from hoarfrost.variables import _scopes
        self._saved = list(_scopes())
        _scopes().clear()

    def __exit__(self, *exc):
        from hoarfrost.variables import _scopes
        _scopes().extend(self._saved)


def _get_regularizer(regularizer):
    if regularizer is None:
        return None
    from hoarfrost import regularizers
    return regularizers.get(regularizer)
