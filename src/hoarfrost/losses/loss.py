"""The `Loss` base class, `LossFunctionWrapper`, and Keras's reductions and rank rule.

Each loss function returns one value per sample (averaged over the last
axis where Keras does); `Loss` objects reduce them with sample weights.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import jax.numpy as jnp

from hoarfrost import config, masking

EPSILON = 1e-7  # the floor of a sum of sample weights (not `config.epsilon()`)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1: bool = True):
    """Keras's rule before every loss: when the ranks differ by one and the longer
    array ends in an axis of 1, squeeze that axis (or expand the rank-1 array).

    So labels of shape (n,) meet an output of shape (n, 1) as (n, 1), not
    broadcast to (n, n).
    """
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        if x2.ndim == 1 and expand_rank_1:
            x2 = jnp.expand_dims(x2, -1)
        else:
            x1 = jnp.squeeze(x1, -1)
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        if x1.ndim == 1 and expand_rank_1:
            x1 = jnp.expand_dims(x1, -1)
        else:
            x2 = jnp.squeeze(x2, -1)
    return x1, x2


def takes_arrays(fn: Callable) -> Callable:
    """`fn(y_true, y_pred, ...)` that first makes arrays of its two inputs, as Keras's
    loss and metric functions do (`keras.losses.mse([[1.0]], [[0.0]])` takes lists)."""

    @functools.wraps(fn)
    def wrapper(y_true, y_pred, *args, **kwargs):
        return fn(jnp.asarray(y_true), jnp.asarray(y_pred), *args, **kwargs)

    return wrapper


def _match_rank(y_true, y_pred):
    """Keras's squeeze-or-expand: make y_true's rank equal y_pred's when off by one."""
    if y_true.ndim == y_pred.ndim - 1 and (y_pred.ndim == 1 or y_pred.shape[-1] == 1):
        y_true = jnp.expand_dims(y_true, -1)
    elif y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = jnp.squeeze(y_true, -1)
    return y_true


class Loss:
    """Base class: `loss(y_true, y_pred, sample_weight=None)` returns a scalar.

    Args:
        reduction: `"sum_over_batch_size"` (Keras's default: weighted sum
            divided by the number of values; `"mean"` is the same),
            `"sum"`, `"mean_with_sample_weight"` (weighted sum divided by
            the sum of the weights) or `"none"`.
        name: the loss's name.
        dtype: the dtype the loss computes in: `y_true` and `y_pred` are
            converted to it (`floatx()`, float32, by default, so under a mixed
            precision policy the loss of 16-bit outputs is a float32 value).
    """

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size",
                 dtype=None):
        valid = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)
        if reduction not in valid:
            raise ValueError(f"Loss: unknown reduction {reduction!r}; expected one of {valid}.")
        from hoarfrost import dtype_policies
        self.name = name or _snake(type(self).__name__)
        self.reduction = reduction
        self._dtype = dtype_policies.get(dtype or config.floatx()).compute_dtype

    @property
    def dtype(self) -> str:
        return self._dtype

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        in_mask = masking.get_mask(y_pred)
        y_pred = jnp.asarray(y_pred, self.dtype)
        y_true = jnp.asarray(y_true, self.dtype)
        # Keras does this in LossFunctionWrapper (functions, built-in losses); here
        # every loss gets it, subclasses with their own `call` too (see the README).
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        values = self.call(y_true, y_pred)
        # The mask of y_pred (padded timesteps) and of the values (`Circle` masks its
        # zero losses) join the weights, as in Keras.
        out_mask = masking.get_mask(values)
        mask = in_mask if out_mask is None else (
            out_mask if in_mask is None else jnp.logical_and(in_mask, out_mask))
        sample_weight = masking.loss_weights(sample_weight, mask, self.reduction)
        return reduce_values(values, sample_weight, self.reduction)

    def validate(self, y_true_shape: tuple, y_true_dtype, y_pred_shape: tuple, argument: str = "y") -> None:
        """Raise if targets of this shape and dtype can not match the predictions.

        A loss of the user's (a function, a subclass with its own `call`)
        decides for itself what it accepts, as in Keras: nothing is checked.
        The built-in losses check, so a mismatch that would broadcast fails.
        """
        if not self._is_builtin():
            return
        true_rank, pred_rank = len(y_true_shape), len(y_pred_shape)
        adjusted = tuple(y_true_shape)
        if true_rank == pred_rank - 1 and (pred_rank == 1 or y_pred_shape[-1] == 1):
            adjusted = adjusted + (1,)
        elif true_rank == pred_rank + 1 and y_true_shape[-1] == 1:
            adjusted = adjusted[:-1]
        if len(adjusted) != pred_rank or any(
                p is not None and t != p for t, p in zip(adjusted[1:], y_pred_shape[1:])):
            raise ValueError(
                f"Loss '{self.name}': targets `{argument}` of shape {tuple(y_true_shape)} do not "
                f"match the model output of shape {_batched(y_pred_shape)}. Each target must "
                f"have the output's shape {tuple(y_pred_shape[1:])} per sample."
            )

    def validate_values(self, y_true, y_pred_shape: tuple, argument: str = "y") -> None:
        """Raise if target values can not be labels for these predictions (default: any)."""

    def _is_builtin(self) -> bool:
        """A built-in loss whose formula hoarfrost knows (not a user's function or call)."""
        return type(self) in _BUILTIN_CLASSES and (
            not isinstance(self, LossFunctionWrapper) or self.fn in _BUILTIN_FUNCTIONS)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Weight per-sample values and reduce them as Keras does."""
    if sample_weight is not None:
        sample_weight = jnp.asarray(sample_weight, values.dtype)
        while sample_weight.ndim > values.ndim:
            sample_weight = jnp.squeeze(sample_weight, -1)
        while sample_weight.ndim < values.ndim:
            sample_weight = sample_weight[..., None]
        values = values * sample_weight
    if reduction in ("none", None):
        return values
    total = jnp.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return total / jnp.maximum(jnp.sum(jnp.broadcast_to(sample_weight, values.shape)), EPSILON)
    return total / max(1, values.size)


class LossFunctionWrapper(Loss):
    """A `Loss` around a per-sample function `fn(y_true, y_pred, **kwargs)`."""

    def __init__(self, fn: Callable, name: str | None = None,
                 reduction="sum_over_batch_size", dtype=None, **kwargs):
        super().__init__(name=name or fn.__name__, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


def _batched(shape) -> tuple:
    """A shape with its batch axis shown as None."""
    return (None,) + tuple(shape[1:]) if len(shape) else tuple(shape)


def _snake(name: str) -> str:
    from hoarfrost.naming import to_snake_case
    return to_snake_case(name)


#: hoarfrost's built-in loss classes and functions: their formulas are known, so the
#: targets they are given are checked (`Loss.validate`).
_BUILTIN_CLASSES: set[type] = set()
_BUILTIN_FUNCTIONS: set[Callable] = set()


def register_builtin(*objects) -> None:
    """Record built-in loss classes and functions (called by the modules defining them)."""
    for obj in objects:
        (_BUILTIN_CLASSES if isinstance(obj, type) else _BUILTIN_FUNCTIONS).add(obj)
