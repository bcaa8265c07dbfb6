"""Rematerialization (gradient checkpointing), as Keras 3's `keras.remat` and
`keras.RematScope`: recompute a function's intermediates in the backward pass
instead of keeping them, trading compute for memory (`jax.checkpoint`).

A layer takes the scope open when it is *created*; when it is later called on
arrays, its `call` (or only its activation, or only when its output is large)
is wrapped in `jax.checkpoint`, as Keras selects. Values and gradients are
those of the plain call.
"""

from __future__ import annotations

import functools
import math
import threading
from collections import namedtuple

from hoarfrost.naming import on_clear_session
from hoarfrost.variables import StatelessScope, current_scope

_state = threading.local()
_MODES = {"full", "activations", "larger_than", "list_of_layers", None}

RematMode = namedtuple("RematMode", ["mode", "output_size_threshold", "layer_names"])


@on_clear_session
def _clear() -> None:
    _state.stack = []


def _stack() -> list:
    if not hasattr(_state, "stack"):
        _state.stack = []
    return _state.stack


class RematScope:
    """Rematerialize the layers created inside, as Keras 3's `keras.RematScope`.

    Args:
        mode: `"full"` (every layer's call), `"activations"` (the `activation` of
            layers that have one), `"larger_than"` (layers whose output has more
            than `output_size_threshold` elements), `"list_of_layers"` (layers
            named in `layer_names`), or `None` (none).
        output_size_threshold: the size for `"larger_than"` (default 1024).
        layer_names: the names for `"list_of_layers"` (default none).

    Example:
        >>> with hoarfrost.RematScope(mode="list_of_layers", layer_names=["dense_1"]):
        ...     layer = hoarfrost.layers.Dense(128, name="dense_1")
    """

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None):
        if mode not in _MODES:
            raise ValueError(
                f"Invalid mode '{mode}'. Supported modes are: 'full', 'activations', "
                "'larger_than', 'list_of_layers', or  None.")
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = layer_names or []
        self._pop_on_exit = False

    def __enter__(self):
        _stack().append(self)
        self._pop_on_exit = True
        return self

    def __exit__(self, *args):
        if self._pop_on_exit:
            _stack().pop()
            self._pop_on_exit = False


def get_current_remat_mode():
    """The innermost open `RematScope` as a `RematMode`, or None outside any."""
    stack = _stack()
    if not stack:
        return None
    scope = stack[-1]
    return RematMode(scope.mode, scope.output_size_threshold, scope.layer_names)


def remat(f):
    """`f` rematerialized: its intermediates are recomputed in the backward pass
    (`jax.checkpoint`), as Keras 3's `keras.remat` on JAX. Same values and gradients.

    Arguments that are not arrays (a `training` flag, `None`) are passed through
    as they are rather than traced, so a `call` can branch on them.
    Variables assigned inside (BatchNormalization's moving statistics, a seed
    generator's state) and losses added inside (`add_loss`, activity regularizers)
    are returned out of the checkpoint and replayed after it, so none leaks a tracer.
    """
    import jax

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        leaves, treedef = jax.tree.flatten((args, kwargs))
        traced = [i for i, leaf in enumerate(leaves) if _is_array(leaf)]
        outer = current_scope()
        effects = {}

        def run(*values):
            filled = list(leaves)
            for i, value in zip(traced, values):
                filled[i] = value
            call_args, call_kwargs = jax.tree.unflatten(treedef, filled)
            with _ChainedScope(outer) as inner:
                outputs = f(*call_args, **call_kwargs)
            effects["variables"] = [v for v, _ in inner.assigned.values()]
            effects["owners"] = [owner for owner, _ in inner._losses]
            return outputs, [value for _, value in inner.assigned.values()], inner.losses

        outputs, assigned, losses = jax.checkpoint(run)(*[leaves[i] for i in traced])
        for variable, value in zip(effects["variables"], assigned):
            variable.assign(value)  # into the enclosing scope, or the variable when eager
        for owner, loss in zip(effects["owners"], losses):
            if outer is not None:
                outer.add_loss(owner, loss)
            else:
                owner.add_loss(loss)
        return outputs

    return wrapper


class _ChainedScope(StatelessScope):
    """The scope inside a checkpoint: reads fall through to the enclosing scope (or the
    variable), random keys come from it, assignments and losses stay here."""

    def __init__(self, outer):
        super().__init__(symbolic=getattr(outer, "symbolic", False))
        self._outer = outer
        self.assigned: dict[int, tuple] = {}  # id -> (variable, value), in assignment order

    def read(self, variable):
        if id(variable) in self._updates:
            return self._updates[id(variable)]
        if self._outer is not None:
            return self._outer.read(variable)
        return variable._value  # eager: the stored value, as a read with no scope

    def write(self, variable, value):
        super().write(variable, value)
        self.assigned[id(variable)] = (variable, value)

    def next_rng(self):
        return None if self._outer is None else self._outer.next_rng()


def _is_array(x) -> bool:
    import jax
    import numpy as np
    return isinstance(x, (jax.Array, np.ndarray, np.generic)) or \
        isinstance(x, jax.core.Tracer)


def rematerialized_call(layer, active: bool, args: tuple, kwargs: dict):
    """The layer's `call`, rematerialized as the scope it was created in selects
    (Keras's `Layer.rematerialized_call`); plain `call` when `active` is False (a
    symbolic call) or no scope applies. `args` and `kwargs` are those of the call."""
    mode = getattr(layer, "_remat_mode", None)
    call = layer.call
    if not active or not mode:
        return call
    if mode.mode == "activations":
        if getattr(layer, "activation", None) is None:
            return call

        @functools.wraps(call)
        def with_remat_activation(*a, **k):
            original = layer.activation
            object.__setattr__(layer, "activation", remat(original))
            try:
                return call(*a, **k)
            finally:
                object.__setattr__(layer, "activation", original)

        return with_remat_activation
    if mode.mode == "list_of_layers":
        return remat(call) if layer.name in mode.layer_names else call
    if mode.mode == "full":
        return remat(call)
    if mode.mode == "larger_than":
        size = _output_size(layer, args, kwargs)
        if size and size > mode.output_size_threshold:
            return remat(call)
    return call


def _output_size(layer, args, kwargs) -> int:
    """Elements in the layer's outputs (Keras: `compute_output_spec`, None counted as 1)."""
    import jax
    from hoarfrost.symbolic import KerasTensor, is_keras_tensor
    specs = jax.tree.map(lambda x: KerasTensor(x.shape, x.dtype) if _is_array(x) else x,
                         (args, kwargs))
    out = layer.compute_output_spec(*specs[0], **specs[1])
    return sum(math.prod(d or 1 for d in t.shape)
               for t in jax.tree.leaves(out, is_leaf=is_keras_tensor) if is_keras_tensor(t))
