"""`compile()` arguments laid out per model output, named as Keras 3 names them.

A model with several outputs takes its losses, loss weights and metrics as a
list (one entry per output, in output order) or a dict keyed by output name
(the output layer's name, or the key of a dict of outputs); a single loss
applies to every output. Targets and sample weights come the same way.

Logs, as Keras 3.15 writes them: `loss` (the weighted total, plus the step's
regularization penalties), `<output>_loss` (each output's *unweighted* loss,
only when more than one output has a loss) and `<output>_<metric>`. `metrics`
ignore sample weights; `weighted_metrics` use them (`weighted_<metric>` when
the name is taken). Everything here runs at trace time: the compiled step
sees plain Python lists.
"""

from __future__ import annotations

import numbers
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost import losses as losses_module
from hoarfrost import metrics as metrics_module
# The outputs' layout, also read from here (compile_utils.OutputLayout, ...).
from hoarfrost.engine.outputs import (OutputLayout, _count, _unique,  # noqa: F401
                                      output_layout, pick, pick_weight, standardize)


def _is_structure(value) -> bool:
    """A list, tuple or dict of entries (a Keras config dict is one entry)."""
    if isinstance(value, dict):
        return "class_name" not in value and "custom" not in value
    return isinstance(value, (list, tuple))


def _leaves(value) -> list:
    if value is None:
        return []
    if _is_structure(value):
        items = value.values() if isinstance(value, dict) else value
        return [leaf for item in items for leaf in _leaves(item)]
    return [value]


class CompileConfig:
    """What `compile()` was given, resolved (unknown names fail here) and kept as given."""

    def __init__(self, loss=None, loss_weights=None, metrics=None, weighted_metrics=None):
        self.loss = loss
        self.loss_objects = self._resolve_losses(loss)
        if loss_weights is not None and not (_is_number(loss_weights) or _is_structure(
                loss_weights)):
            raise TypeError(
                "compile(): `loss_weights` must be a number (one output), a list (one weight "
                f"per output) or a dict keyed by output name; got "
                f"{type(loss_weights).__name__}.")
        for weight in _leaves(loss_weights) if _is_structure(loss_weights) else []:
            if not _is_number(weight):
                raise TypeError(f"compile(): `loss_weights` must hold numbers; got {weight!r}.")
        self.loss_weights = loss_weights
        for argument, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if value is not None and not _is_structure(value):
                raise TypeError(
                    f"compile(): `{argument}` must be a list (or, for several outputs, a list "
                    f"per output or a dict keyed by output name), got {type(value).__name__}.")
            for identifier in _leaves(value):
                if not (isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc")):
                    metrics_module.get(identifier)  # unknown names fail here, at compile
        self.metrics = metrics
        self.weighted_metrics = weighted_metrics

    @staticmethod
    def _resolve_losses(loss):
        if loss is None:
            return None
        if isinstance(loss, dict) and _is_structure(loss):
            return {k: None if v is None else _single_loss(v, k) for k, v in loss.items()}
        if isinstance(loss, (list, tuple)):
            return [None if v is None else _single_loss(v, i) for i, v in enumerate(loss)]
        return losses_module.loss_object(loss)

    # --- per output ----------------------------------------------------------------
    def check(self, layout: OutputLayout) -> None:
        """Raise if the arguments do not fit these outputs (at compile: a loss dict that
        leaves outputs out is checked at the first batch, as Keras does)."""
        self.losses_for(layout, partial=True)
        self.weights_for(layout)
        self.metrics_for(layout, weighted=False)
        self.metrics_for(layout, weighted=True)

    def losses_for(self, layout: OutputLayout, partial: bool = False) -> list:
        """A `Loss` (or None) per output.

        A loss dict may leave outputs out when the outputs are a dict (they get no loss,
        as in Keras); for a list of outputs Keras's fit raises, so does this, unless
        `partial` (compile: the dict may be replaced before anything trains).
        """
        loss, n = self.loss_objects, layout.count
        if loss is None:
            return [None] * n
        if isinstance(loss, dict):
            names = _names(layout, "loss")
            unknown = [k for k in loss if k not in names]
            missing = [name for name in names if name not in loss]
            if missing and (layout.keyed or (partial and not unknown)):
                missing = []  # no loss for those outputs (dict outputs), or checked at fit
            if unknown or missing:
                raise ValueError(
                    f"compile(loss=...): the loss dict has keys {list(loss)}, but the model has "
                    f"{layout.describe()}"
                    + (f"; {unknown} are not output names" if unknown else "")
                    + (f"; {missing} have no entry (give None for an output without a loss)"
                       if missing else "") + ".")
            per = [loss.get(name) for name in names]
        elif isinstance(loss, list):
            if len(loss) != n:
                raise ValueError(
                    f"compile(loss=...): a list of {_count(len(loss), 'loss')} for a model with "
                    f"{layout.describe()}; give one per output, in "
                    "output order (None for an output without a loss), or a single loss for "
                    "every output.")
            per = list(loss)
        else:
            per = [loss] * n
        if all(p is None for p in per):
            raise ValueError(
                "compile(loss=...): every output's loss is None; give at least one.")
        return per

    def weights_for(self, layout: OutputLayout) -> list:
        """A weight (or None, meaning 1) per output."""
        weights, n = self.loss_weights, layout.count
        if weights is None:
            return [None] * n
        if _is_number(weights):
            if n == 1:
                return [float(weights)]
            raise ValueError(
                f"compile(loss_weights={weights!r}): the model has {layout.describe()}; give a "
                f"list of {n} weights or a dict keyed by output name.")
        if isinstance(weights, dict):
            names = _names(layout, "loss_weights")
            unknown = [k for k in weights if k not in names]
            if unknown:
                raise ValueError(
                    f"compile(loss_weights=...): keys {unknown} are not output names; the model "
                    f"has {layout.describe()}.")
            return [float(weights.get(name, 1.0)) for name in names]
        if len(weights) != n:
            raise ValueError(
                f"compile(loss_weights=...): {_count(len(weights), 'weight')} for a model with "
                f"{layout.describe()}; give one per output.")
        return [None if w is None else float(w) for w in weights]

    def metrics_for(self, layout: OutputLayout, weighted: bool) -> list[list]:
        """The metric identifiers of each output."""
        argument = "weighted_metrics" if weighted else "metrics"
        value, n = (self.weighted_metrics if weighted else self.metrics), layout.count
        if not value:
            return [[] for _ in range(n)]
        if n == 1:  # one output: every metric is its metric (Keras)
            return [_leaves(value)]
        if isinstance(value, dict):
            names = _names(layout, argument)
            unknown = [k for k in value if k not in names]
            if unknown:
                raise ValueError(
                    f"compile({argument}=...): keys {unknown} are not output names; the model "
                    f"has {layout.describe()}.")
            return [_leaves(value.get(name)) for name in names]
        if len(value) != n:
            raise ValueError(
                f"compile({argument}=...): a list of {_count(len(value), 'entry')} for a model "
                f"with {layout.describe()}. With several outputs Keras 3 reads the list as one "
                "entry per output, in output order (a metric, a list of metrics, or None); "
                "pass a dict keyed by output name to give metrics to some outputs only.")
        return [_leaves(entry) for entry in value]  # a metric, a list of them or None

    def identifiers(self, weighted: bool = False) -> list:
        """Every metric identifier, flat (for saving)."""
        return _leaves(self.weighted_metrics if weighted else self.metrics)


def _single_loss(identifier, where):
    if _is_structure(identifier):
        raise ValueError(
            f"compile(loss=...): the entry for output {where!r} is a "
            f"{type(identifier).__name__}; give one loss per output.")
    return losses_module.loss_object(identifier)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _names(layout: OutputLayout, argument: str) -> list:
    if layout.names is None:
        raise ValueError(
            f"compile({argument}=...): a dict needs output names, but this model's "
            f"{layout.describe()} have none; give a list in output order.")
    return layout.names


class CompiledLoss:
    """A batch's loss: the sum of weight x loss over the outputs that have one.

    Called as `(y, y_pred, sample_weight) -> (total, parts)`, where `parts`
    holds each output's unweighted loss when more than one output has a
    loss (Keras tracks them then), else is empty.
    """

    def __init__(self, losses: list, weights: list, layout: OutputLayout):
        self.count = layout.count
        self.layout = layout
        self.entries = [(i, loss, weight) for i, (loss, weight) in enumerate(zip(losses, weights))
                        if loss is not None]
        self.losses = losses

    @property
    def tracked(self) -> bool:
        return len(self.entries) > 1

    def __call__(self, y, y_pred, sample_weight=None):
        flat = jax.tree.leaves(y_pred)
        total, parts = jnp.zeros((), jnp.float32), []  # no compiled loss: add_loss's alone
        for i, loss, weight in self.entries:
            value = loss(pick(y, i, self.count), flat[i], pick_weight(sample_weight, i))
            parts.append(value)
            value = value if weight is None else value * weight
            total = total + value
        return total, (parts if self.tracked else [])

    def check_targets(self, y, spec, metric_outputs) -> None:
        """Raise if a target is missing or can not match its output, naming the output."""
        flat_spec = jax.tree.leaves(spec)
        layout = self.layout
        standardize(y, layout, "y")
        for i in range(self.count):
            target = pick(y, i, self.count)
            loss = self.losses[i]
            if target is None:
                if loss is not None or i in metric_outputs:
                    what = f"loss '{loss.name}'" if loss is not None else "metrics"
                    raise ValueError(
                        f"`y` has no target for output {layout.output(i)} (it has "
                        f"{what}); the model has {layout.describe()}.")
                continue
            if loss is None:
                continue
            pred_shape = (None,) + tuple(flat_spec[i].shape[1:])
            named = {} if self.count == 1 else {"argument": layout.label(i, "y")}
            loss.validate(np.shape(target), np.asarray(target).dtype, pred_shape, **named)
            loss.validate_values(target, pred_shape, **named)
        self._pred_shapes = [(None,) + tuple(s.shape[1:]) for s in flat_spec]

    def check_values(self, y) -> None:
        """Check a later batch's target values (labels in range) against the outputs
        `check_targets` saw: a host-side pass over the labels, no trace."""
        shapes = getattr(self, "_pred_shapes", None)
        if shapes is None:
            return
        for i, loss, _ in self.entries:
            target = pick(y, i, self.count) if isinstance(y, (list, tuple)) or self.count == 1 \
                else None
            if target is None or i >= len(shapes):
                continue
            named = {} if self.count == 1 else {"argument": self.layout.label(i, "y")}
            loss.validate_values(target, shapes[i], **named)

    def check_sample_weight(self, y, spec, sample_weight) -> None:
        """Raise if a `sample_weight` array can not weight its output's loss values
        (Keras's rule: extra trailing axes of size 1 are dropped, missing ones added,
        then it must broadcast to the values without enlarging them)."""
        if sample_weight is None:
            return
        flat_spec = jax.tree.leaves(spec)
        for i, loss, _ in self.entries:
            weight, target = pick_weight(sample_weight, i), pick(y, i, self.count)
            if weight is None or target is None:
                continue
            try:
                values = _loss_values_shape(loss, target, flat_spec[i])
            except Exception:  # a loss of the user's that shapes need not explain: its call decides
                continue
            shape = tuple(np.shape(weight))
            fitted = shape
            while len(fitted) > len(values) and fitted[-1] == 1:
                fitted = fitted[:-1]
            fitted = fitted + (1,) * (len(values) - len(fitted))
            try:
                fits = np.broadcast_shapes(fitted, values) == tuple(values)
            except ValueError:
                fits = False
            if not fits:
                argument = ("sample_weight" if self.count == 1 or not isinstance(
                    sample_weight, list) else self.layout.label(i, "sample_weight"))
                raise ValueError(
                    f"`{argument}` of shape {shape} does not fit loss '{loss.name}', whose "
                    f"values have shape {tuple(values)} for this batch: give one weight per "
                    f"sample, shape ({values[0]},)"
                    + (f", or one per value, shape {tuple(values)}" if len(values) > 1 else "")
                    + ".")


def _loss_values_shape(loss, target, pred_spec) -> tuple:
    """The shape of a loss's unreduced values for these targets and predictions."""
    from hoarfrost.losses import squeeze_or_expand_to_same_rank

    def values(y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true.astype(jnp.float32),
                                                        y_pred.astype(jnp.float32))
        return loss.call(y_true, y_pred)

    true = jax.ShapeDtypeStruct(np.shape(target), np.asarray(target).dtype)
    pred = jax.ShapeDtypeStruct(pred_spec.shape, pred_spec.dtype)
    return tuple(jax.eval_shape(values, true, pred).shape)


class _OutputLoss(metrics_module.Mean):
    """One output's loss in the logs (`<output>_loss`): a mean, lower is better."""

    _direction = "down"


class _Renamed(metrics_module.Metric):
    """A metric under its log name (`cls_accuracy`), leaving the user's object as it is:
    the same variables, updates and result as the metric it wraps."""

    def __init__(self, inner, name: str):
        super().__init__(name=name)
        object.__setattr__(self, "inner", inner)
        self._direction = getattr(inner, "_direction", None)

    @property
    def variables(self):
        return self.inner.variables

    def initial_state(self):
        return self.inner.initial_state()

    def update(self, state, *args, **kwargs):
        return self.inner.update(state, *args, **kwargs)

    def compute(self, state):
        return self.inner.compute(state)

    def update_state(self, *args, **kwargs):
        return self.inner.update_state(*args, **kwargs)

    def result(self):
        return self.inner.result()

    def reset_state(self):
        return self.inner.reset_state()

    def get_config(self):
        return self.inner.get_config()

    def __getattr__(self, name):
        if name == "inner" or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.inner, name)


class CompileMetrics(metrics_module.Metric):
    """The compiled metrics as one metric, as Keras's `model.metrics[1]` (`compile_metrics`).

    `update_state(y_true, y_pred, sample_weight)` sends each output's targets and
    predictions to that output's metrics (sample weights only to `weighted_metrics`);
    `result()` is a dict by log name (`{"cls_accuracy": ..., "reg_mae": ...}`), which
    `get_metrics_result()` and step logs flatten. Filled at the first batch.
    """

    def __init__(self, name: str = "compile_metrics"):
        super().__init__(name=name)
        self._routes: list = []
        self._count = 1

    def set_metrics(self, metrics: list, routes: list, count: int) -> None:
        """The compiled metrics of the outputs (routes `("output", i, weighted)`)."""
        object.__setattr__(self, "_nested_metrics", list(metrics))
        self._routes, self._count = list(routes), count

    @property
    def metrics(self) -> list:
        return list(self._nested_metrics)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        flat = jax.tree.leaves(y_pred)
        for metric, (_, i, weighted) in zip(self._nested_metrics, self._routes):
            weight = pick_weight(sample_weight, i) if weighted else None
            metric.update_state(pick(y_true, i, self._count), flat[i], weight)

    def result(self) -> dict:
        return {metric.name: metric.result() for metric in self._nested_metrics}

    def flat_names(self) -> list[str]:
        """The inner metrics' own names (Keras's `sub_metric.name`: `mae`, not `reg_mae`),
        which order `evaluate()`'s list."""
        return [getattr(m, "inner", m).name for m in self._nested_metrics]


def build_metrics(config: CompileConfig, layout: OutputLayout, loss: CompiledLoss, y, spec,
                  tracker=None):
    """The loss trackers and compiled metrics, in Keras 3's `evaluate()` order.

    Returns `(metrics, routes)`: a route says what updates each metric:
    `("loss",)` the total (`tracker`, made here if not given), `("part", k)` the k-th
    tracked output loss, `("output", i, weighted)` output i's targets and predictions.
    """
    flat_spec = jax.tree.leaves(spec)
    n = layout.count
    tracker = tracker if tracker is not None else metrics_module.Mean(name="loss")
    entries: list[tuple[Any, tuple]] = [(tracker, ("loss",))]
    used = {"loss"}
    part_names = []
    if loss.tracked:
        raw = [layout.names[i] if layout.names else _loss_name(config.loss, i, loss_fn)
               for i, loss_fn, _ in loss.entries]
        parts = list(enumerate(_unique([f"{r}_loss" for r in raw])))
        if layout.keyed and isinstance(config.loss, dict):  # Keras: in the loss dict's order
            keys = [str(k) for k in config.loss]
            parts.sort(key=lambda part: keys.index(layout.names[loss.entries[part[0]][0]]))
        for k, name in parts:
            part = _OutputLoss(name=name)
            entries.append((part, ("part", k)))
            part_names.append(name)
            used.add(name)
    raw_names = []
    for weighted in (False, True):
        for i, identifiers in enumerate(config.metrics_for(layout, weighted)):
            target = pick(y, i, n) if y is not None else None
            prefix = f"{layout.names[i]}_" if n > 1 and layout.names else ""
            for identifier in identifiers:
                metric = metrics_module.compile_metric(
                    identifier, loss=loss.losses[i],
                    y_true_shape=None if target is None else np.shape(target),
                    y_pred_shape=flat_spec[i].shape)
                if isinstance(identifier, str) and metric.name != identifier:
                    metric.name = identifier  # Keras logs a metric given as "AUC" as "AUC"
                if target is not None:  # state shaped by the data: made now, as Keras
                    metric._build_for(lambda: _specs(target, flat_spec[i]))
                raw_names.append(metric.name)
                name = prefix + metric.name
                if weighted and name in used:
                    name = f"{prefix}weighted_{metric.name}"
                name = _unique(sorted(used) + [name])[-1] if name in used else name
                used.add(name)
                entries.append((metric if metric.name == name else _Renamed(metric, name),
                                ("output", i, weighted)))
    order = []
    for name in ["loss"] + raw_names + part_names:
        if name in used and name not in order:
            order.append(name)
    order += sorted(used - set(order))
    entries.sort(key=lambda entry: order.index(entry[0].name))
    return [m for m, _ in entries], [r for _, r in entries]


def _specs(target, output_spec):
    """Shapes and dtypes of one output's targets and predictions, batch included."""
    target_shape = tuple(np.shape(target))
    target_dtype = jax.dtypes.canonicalize_dtype(np.asarray(target[:1]).dtype)
    batch = target_shape[0] if target_shape else 1
    return (jax.ShapeDtypeStruct(target_shape, target_dtype),
            jax.ShapeDtypeStruct((batch,) + tuple(output_spec.shape[1:]), output_spec.dtype))


def _loss_name(given, index: int, loss) -> str:
    """An unnamed output's loss as Keras names it: the string given, else the loss's name."""
    if isinstance(given, (list, tuple)):
        given = given[index]
    return given if isinstance(given, str) else loss.name


def metric_outputs(config: CompileConfig, layout: OutputLayout) -> set:
    """The outputs that have metrics (they need targets too)."""
    return {i for weighted in (False, True)
            for i, ids in enumerate(config.metrics_for(layout, weighted)) if ids}


def metric_results(metrics, states) -> dict:
    """Each metric's result from its state, by name (inside a step, or eagerly)."""
    return {m.name: m.compute(s) for m, s in zip(metrics, states)}


def update_metrics(metrics, routes, states, loss, parts, y, y_pred, sample_weight, count: int,
                   batch_size) -> list:
    """New metric states after one batch (traced inside the step)."""
    flat = jax.tree.leaves(y_pred)
    new = []
    for metric, state, route in zip(metrics, states, routes):
        if route[0] == "loss":
            new.append(metric.update(state, loss, None, batch_size))
        elif route[0] == "part":
            new.append(metric.update(state, parts[route[1]], None, batch_size))
        else:
            _, i, weighted = route
            weight = pick_weight(sample_weight, i) if weighted else None
            new.append(metric.update(state, pick(y, i, count), flat[i], weight))
    return new
