"""Keras 3's step API on the JAX backend: the stateless calls a custom `train_step` uses,
the hooks it may override, and Keras's default steps written with them.

A model that overrides `train_step(self, state, data)` (or `test_step`,
`predict_step`, or a hook they call: `compute_loss`, `compute_metrics`,
`get_metrics_result`, `metrics`) runs through these in `fit` / `evaluate` /
`predict` (see `engine.custom_step`); a model that overrides none of them runs
the engine's own fused step, which computes the same thing.

`state` is Keras's: `(trainable_variables, non_trainable_variables,
optimizer_variables, metrics_variables)`, lists of arrays in the orders of
`model.trainable_variables`, `model.non_trainable_variables`,
`optimizer.variables` and `model.metrics_variables`. The split follows the
trainable flags at the step's start, and `optimizer.variables` then holds the
slots of the trainable variables only (see `Optimizer.bound_to`).
"""

from __future__ import annotations

import contextlib
import inspect
import threading

import jax
import jax.numpy as jnp

from hoarfrost.engine import compile_utils
from hoarfrost.layers.layer import _call_accepts
from hoarfrost.metrics import Metric
from hoarfrost.utils import unpack_x_y_sample_weight
from hoarfrost.variables import StatelessScope, Variable, current_scope, unwrap

_context = threading.local()


@contextlib.contextmanager
def step_randomness(key):
    """Inside a compiled step: each `stateless_call` draws its keys from `key`."""
    stack = _context.__dict__.setdefault("keys", [])
    stack.append([key, 0])
    try:
        yield
    finally:
        stack.pop()


def _next_key():
    """A key for one `stateless_call` of the running step (None outside a step)."""
    stack = _context.__dict__.get("keys")
    if not stack:
        return None
    entry = stack[-1]
    entry[1] += 1
    return jax.random.fold_in(entry[0], entry[1])


def _values(values) -> list:
    return [unwrap(v) for v in values]


#: The hooks a custom step may override; overriding any runs Keras's default steps.
HOOKS = ("compute_loss", "compute_metrics", "get_metrics_result", "metrics",
         "compute_loss_and_updates", "stateless_compute_loss", "stateless_call")
STEP_METHODS = {"train": "train_step", "test": "test_step", "predict": "predict_step"}
_FORMS = {
    "train": "train_step(self, state, data) with state = (trainable_variables, "
             "non_trainable_variables, optimizer_variables, metrics_variables), returning "
             "(logs, state)",
    "test": "test_step(self, state, data) with state = (trainable_variables, "
            "non_trainable_variables, metrics_variables), returning (logs, state)",
    "predict": "predict_step(self, state, data) with state = (trainable_variables, "
               "non_trainable_variables), returning (outputs, non_trainable_variables)",
}


class KerasStepAPI:
    """Mixin: Keras's stateless model API, its step hooks and default steps."""

    # --- what runs -----------------------------------------------------------------------
    def _overrides(self, name: str) -> bool:
        return inspect.getattr_static(type(self), name) is not inspect.getattr_static(
            KerasStepAPI, name)

    def _runs_keras_step(self, kind: str) -> bool:
        """Whether `kind` ("train", "test", "predict") runs the model's step methods
        (overridden, or called by overridden hooks) instead of the engine's fused step."""
        method = STEP_METHODS[kind]
        if self._overrides(method):
            self._check_step_form(kind)
            return True
        if kind == "predict":
            return self._overrides("stateless_call")
        return any(self._overrides(h) for h in HOOKS) or bool(self._tracked_metrics())

    def _stateful_step(self, kind: str) -> bool:
        """Whether `kind`'s overridden step takes `(self, data)` (the TensorFlow / PyTorch
        form). A test or predict step of that form runs (its reads and writes of
        variables go to the step's state); a train step raises: it needs a tape."""
        method = STEP_METHODS[kind]
        params = [p for p in inspect.signature(getattr(self, method)).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if len(params) != 1:
            return False
        if kind == "train":
            raise TypeError(
                f"{type(self).__name__}.{method}(self, {params[0].name}) is the TensorFlow / "
                "PyTorch form of the step: it updates variables in place and takes gradients "
                "with a tape, which JAX can not do (Keras on the JAX backend can not run it "
                "either). Write the JAX form: " + _FORMS[kind] + ". The guide \"Customizing "
                "what happens in fit() with JAX\" shows it; or override `compute_loss` "
                "(and keep the default step) when only the loss differs.")
        return True

    def _check_step_form(self, kind: str) -> None:
        self._stateful_step(kind)

    # --- metrics -----------------------------------------------------------------------
    def __setattr__(self, name, value):
        # Metrics assigned as attributes are the model's (`self.loss_tracker = Mean()`).
        if isinstance(value, Metric) and not name.startswith("_"):
            tracked = self.__dict__.setdefault("_attribute_metrics", [])
            if not any(value is m for m in tracked):
                tracked.append(value)
        super().__setattr__(name, value)

    def _tracked_metrics(self) -> list:
        return list(self.__dict__.get("_attribute_metrics", ()))

    @property
    def metrics(self) -> list:
        """As Keras's: the loss tracker (`loss`), the compiled metrics as one metric
        (`compile_metrics`, filled at the first batch), each output's loss tracker
        (several outputs), then metrics assigned as attributes of the model."""
        compiled = []
        if self.compiled:
            state = self._compiled
            compiled = [state.loss_tracker, state.compile_metrics] + [
                m for m, r in zip(state.metrics or [], state.routes or []) if r[0] == "part"]
        return compiled + [m for m in self._tracked_metrics()
                           if not any(m is c for c in compiled)]

    @property
    def metrics_variables(self) -> list[Variable]:
        """Every variable of `self.metrics`, in order (the last entry of a step's state)."""
        return [v for metric in self.metrics for v in metric.variables]

    @property
    def _loss_tracker(self):
        return self._compiled.loss_tracker if self.compiled else None

    # --- stateless calls -----------------------------------------------------------------
    def stateless_call(self, trainable_variables, non_trainable_variables, *args,
                       return_losses: bool = False, rng=None, **kwargs):
        """`Layer.stateless_call`; inside a step `fit` runs, layers that draw random numbers
        (Dropout in training) get keys from the step's (a new one each step and call)."""
        if rng is None:
            rng = _next_key()
        return super().stateless_call(trainable_variables, non_trainable_variables, *args,
                                      return_losses=return_losses, rng=rng, **kwargs)

    @property
    def losses(self) -> list:
        """Inside `compute_loss` in a step: the losses of the forward pass and the trainable
        variables' regularization penalties (Keras's `model.losses` there); else as a layer's."""
        override = self.__dict__.get("_losses_override")
        if override is not None:
            return list(override)
        return super().losses

    def _regularization_penalties(self) -> list:
        return [v.regularizer(v.value) for v in self.trainable_variables
                if getattr(v, "regularizer", None) is not None]

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training: bool = True):
        """The total loss of a batch: the compiled loss, plus `self.losses`.

        Override it (Keras 3's backend-agnostic hook; knowledge distillation does) and
        the default `train_step` / `test_step` use yours.
        """
        del x, training
        losses = []
        loss_fn = self._compiled.loss_fn if self.compiled else None
        if loss_fn is not None and loss_fn.entries:
            if y is None:
                raise ValueError(
                    f"compute_loss(): compile() was given a loss ({self.loss!r}), but the "
                    "batch has no targets `y`; pass y to fit(), or compute the loss in your "
                    "own `compute_loss` / `train_step`.")
            total, parts = loss_fn(y, y_pred, sample_weight)
            losses.append(total)
            self._track_output_losses(parts, y_pred)
        for loss in self.losses:
            loss = jnp.asarray(loss)
            if not jnp.issubdtype(loss.dtype, jnp.floating):
                loss = loss.astype(jnp.float32)
            losses.append(jnp.sum(loss))
        if not losses:
            return jnp.zeros(())
        total = losses[0]
        for loss in losses[1:]:
            total = total + loss
        return total

    def _track_output_losses(self, parts, y_pred) -> None:
        """Each output's loss into its tracker (`<output>_loss`), as Keras's compiled
        loss does while it computes them."""
        compiled = self._compiled
        if not parts or not compiled.metrics:
            return
        batch_size = jax.tree.leaves(y_pred)[0].shape[0]
        for metric, route in zip(compiled.metrics, compiled.routes):
            if route[0] == "part":
                metric.update_state(parts[route[1]], batch_size)

    def _compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                      training: bool = True):
        """`compute_loss`, with `training` only when the override takes it (Keras < 3.3)."""
        params = inspect.signature(self.compute_loss).parameters
        if "training" in params or any(p.kind is p.VAR_KEYWORD for p in params.values()):
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def stateless_compute_loss(self, trainable_variables, non_trainable_variables,
                               metrics_variables, x=None, y=None, y_pred=None,
                               sample_weight=None, training: bool = True):
        """`compute_loss` on values: returns `(loss, (trainable_variables,
        non_trainable_variables, metrics_variables))`, the last two as `compute_loss`
        left them (a loss tracker it updates)."""
        trainable, non_trainable = self.trainable_variables, self.non_trainable_variables
        metric_refs = self.metrics_variables
        _check_count("trainable_variables", trainable_variables, trainable, self)
        _check_count("non_trainable_variables", non_trainable_variables, non_trainable, self)
        _check_count("metrics_variables", metrics_variables, metric_refs, self)
        non_values, metric_values = _values(non_trainable_variables), _values(metrics_variables)
        pairs = (list(zip(trainable, _values(trainable_variables)))
                 + list(zip(non_trainable, non_values)) + list(zip(metric_refs, metric_values)))
        with StatelessScope(pairs, rng=_next_key()) as scope:
            own = "_losses_override" not in self.__dict__
            if own:  # called on its own (not from compute_loss_and_updates): the penalties
                self._losses_override = self._regularization_penalties()
            try:
                loss = self._compute_loss(x, y, y_pred, sample_weight=sample_weight,
                                          training=training)
            finally:
                if own:
                    self.__dict__.pop("_losses_override", None)
        return loss, (trainable_variables,
                      [scope.updated_value(v, x) for v, x in zip(non_trainable, non_values)],
                      [scope.updated_value(v, x) for v, x in zip(metric_refs, metric_values)])

    def compute_loss_and_updates(self, trainable_variables, non_trainable_variables,
                                 metrics_variables, x, y, sample_weight, training: bool = False,
                                 optimizer_variables=None):
        """The forward pass and the loss on values, for `jax.value_and_grad(...,
        has_aux=True)`: returns `(loss, (unscaled_loss, y_pred, non_trainable_variables,
        metrics_variables))`; the loss is scaled by the optimizer when training."""
        y_pred, non_trainable_variables, losses = self.stateless_call(
            trainable_variables, non_trainable_variables, x, return_losses=True,
            **self._training_kwargs(training))
        self._losses_override = losses
        try:
            loss, (_, non_trainable_variables, metrics_variables) = self.stateless_compute_loss(
                trainable_variables, non_trainable_variables, metrics_variables, x=x, y=y,
                y_pred=y_pred, sample_weight=sample_weight, training=training)
        finally:
            self.__dict__.pop("_losses_override", None)
        unscaled = loss
        if training and self.optimizer is not None and optimizer_variables is not None:
            pairs = list(zip(self.optimizer.variables, _values(optimizer_variables)))
            with StatelessScope(pairs):
                loss = self.optimizer.scale_loss(loss)
        return loss, (unscaled, y_pred, non_trainable_variables, metrics_variables)

    def compute_metrics(self, x, y, y_pred, sample_weight=None) -> dict:
        """Update the compiled metrics with a batch and return `get_metrics_result()`.

        Override it to update metrics of your own (call `super()` for the compiled ones).
        """
        del x
        compiled = self._compiled
        if compiled.metrics and y is not None:
            flat = jax.tree.leaves(y_pred)
            count = compiled.loss_fn.count if compiled.loss_fn is not None else len(flat)
            for metric, route in zip(compiled.metrics, compiled.routes):
                if route[0] == "output":
                    _, i, weighted = route
                    weight = compile_utils.pick_weight(sample_weight, i) if weighted else None
                    metric.update_state(compile_utils.pick(y, i, count), flat[i], weight)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        """Each metric of `self.metrics` by name (a metric whose result is a dict adds
        its entries)."""
        results = {}
        for metric in self.metrics:
            result = metric.result()
            if isinstance(result, dict):
                results.update(result)
            else:
                results[metric.name] = result
        return results

    def _update_metrics_variables(self, metrics_variables, unscaled_loss, x, y, y_pred,
                                  sample_weight):
        refs = self.metrics_variables
        values = _values(metrics_variables)
        with StatelessScope(list(zip(refs, values))) as scope:
            tracker = self._loss_tracker
            if tracker is not None:
                batch_size = next(a for a in jax.tree.leaves(x) if a is not None).shape[0]
                tracker.update_state(unscaled_loss, batch_size)
            logs = self.compute_metrics(x, y, y_pred, sample_weight)
        return logs, [scope.updated_value(v, x) for v, x in zip(refs, values)]

    # --- Keras's default steps -------------------------------------------------------------
    def train_step(self, state, data):
        """One training step on values (Keras's JAX form): `(logs, new state)`."""
        trainable, non_trainable, optimizer_variables, metrics_variables = state
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
        (_, aux), grads = grad_fn(trainable, non_trainable, metrics_variables, x, y,
                                  sample_weight, training=True,
                                  optimizer_variables=optimizer_variables)
        unscaled_loss, y_pred, non_trainable, metrics_variables = aux
        trainable, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, grads, trainable)
        logs, metrics_variables = self._update_metrics_variables(
            metrics_variables, unscaled_loss, x, y, y_pred, sample_weight)
        return logs, (trainable, non_trainable, optimizer_variables, metrics_variables)

    def test_step(self, state, data):
        """One evaluation step on values (Keras's JAX form): `(logs, new state)`."""
        trainable, non_trainable, metrics_variables = state
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        _, aux = self.compute_loss_and_updates(trainable, non_trainable, metrics_variables, x,
                                               y, sample_weight, training=False)
        unscaled_loss, y_pred, non_trainable, metrics_variables = aux
        logs, metrics_variables = self._update_metrics_variables(
            metrics_variables, unscaled_loss, x, y, y_pred, sample_weight)
        return logs, (trainable, non_trainable, metrics_variables)

    def predict_step(self, state, data):
        """The outputs of one batch (Keras's JAX form): `(outputs, non_trainable_variables)`."""
        trainable, non_trainable = state
        x, _, _ = unpack_x_y_sample_weight(data)
        return self.stateless_call(trainable, non_trainable, x, **self._training_kwargs(False))

    def _training_kwargs(self, training: bool) -> dict:
        """`training=` for `call` when it takes it (Keras's `_call_has_training_arg`)."""
        return {"training": training} if _call_accepts(type(self), "training") else {}


def _check_count(argument: str, values, variables: list, model) -> None:
    if len(values) != len(variables):
        raise ValueError(
            f"Argument `{argument}` must be a list of values corresponding 1:1 to "
            f"model.{argument} of \"{model.name}\" (as the trainable flags are now): expected "
            f"{len(variables)}, received {len(values)}.")
