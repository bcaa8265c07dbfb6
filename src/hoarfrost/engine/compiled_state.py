"""What `compile()` fixes, in one object: the next `compile()` replaces it whole.

The optimizer, the loss and metric arguments and `steps_per_execution` are
resolved by `compile()`; the loss function, the metrics and their routes are
derived at the first batch (they need the output shapes and the targets);
the compiled steps are cached here too, so a new `compile()` drops them all
in the same assignment. Trainability is not part of it: flags are read at
every step.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import jax

from hoarfrost.engine import compile_utils
from hoarfrost.layers.layer import Layer
from hoarfrost.metrics import Mean, Metric
from hoarfrost.optimizers import Optimizer
from hoarfrost.variables import StatelessScope


@dataclasses.dataclass(eq=False)
class CompiledState:
    """A model's compile-time state.

    Attributes:
        optimizer: the resolved optimizer.
        loss: the loss argument as given (for `model.loss` and saving).
        config: the loss, metric and weight arguments laid out per output.
        steps_per_execution: batches per compiled call, or `"auto"`.
        layout, loss_fn, metrics, routes: derived at the first batch (None before).
        builders: the compiled steps, by (kind, partition, optimizer, schedule,
            distribution).
        loss_tracker, compile_metrics: `model.metrics[0]` and `[1]`, as Keras's.
    """

    optimizer: Optimizer
    loss: Any
    config: compile_utils.CompileConfig
    steps_per_execution: int | str = "auto"
    layout: compile_utils.OutputLayout | None = None
    loss_fn: compile_utils.CompiledLoss | None = None
    metrics: list | None = None
    routes: list | None = None
    builders: dict = dataclasses.field(default_factory=dict)
    model_adds_losses: bool = False  # checked (once) when compile() was given no loss
    # Keras's `model.metrics` from compile() on: the loss tracker and the compiled metrics
    # as one metric (filled at the first batch).
    loss_tracker: Metric = dataclasses.field(default_factory=lambda: Mean(name="loss"))
    compile_metrics: compile_utils.CompileMetrics = dataclasses.field(
        default_factory=compile_utils.CompileMetrics)

    def output_layout(self, model, x, spec=None) -> compile_utils.OutputLayout:
        """How many outputs the model has and their names (once per compile)."""
        if self.layout is None:
            if getattr(model, "_outputs_struct", None) is None and spec is None:
                spec = output_spec(model, x)
            self.layout = compile_utils.output_layout(model, spec)
        return self.layout

    def prepare(self, model, x, y, sample_weight=None) -> None:
        """Check the targets (and sample weights) against the model's outputs on one
        batch; derive the loss function and the metrics at the first batch.

        A model without `call()` (a GAN whose `train_step` calls its parts) is not run
        here, as Keras builds nothing it does not need: it must compute its loss and
        metrics itself, so compile() must have been given none.
        """
        if not implements_call(model):
            self._prepare_without_call(model)
            return
        spec = output_spec(model, x)
        layout = self.output_layout(model, x, spec)
        config = self.config
        if self.loss_fn is None:
            self.loss_fn = compile_utils.CompiledLoss(
                config.losses_for(layout), config.weights_for(layout), layout)
        if config.loss_objects is None and not self.model_adds_losses:
            # A model's own step or loss hook (Keras's JAX form) needs no compiled loss.
            own = any(model._overrides(name) for name in ("train_step", "test_step", "compute_loss",
                                                           "compute_loss_and_updates",
                                                           "stateless_compute_loss"))
            self.model_adds_losses = own or _adds_losses(model, x)
            if not self.model_adds_losses:
                raise ValueError(
                    f'compile() was given no loss, and model "{model.name}" adds none (no '
                    "add_loss() in its call, no weight regularizer): there is nothing to "
                    "minimize. Pass loss=... to compile() (e.g. loss='mse').")
        if y is not None:
            self.loss_fn.check_targets(y, spec, compile_utils.metric_outputs(config, layout))
            self.loss_fn.check_sample_weight(y, spec, sample_weight)
        elif compile_utils.metric_outputs(config, layout):
            raise ValueError(
                "The compiled metrics need targets `y`, and none were given; pass `y` (or "
                "compile without metrics when the model adds its own loss).")
        if self.metrics is None:
            self.metrics, self.routes = compile_utils.build_metrics(
                config, layout, self.loss_fn, y, spec, tracker=self.loss_tracker)
            # Keras's order: the metrics, then the weighted metrics, each by output.
            outputs = sorted([(m, r) for m, r in zip(self.metrics, self.routes)
                              if r[0] == "output"], key=lambda entry: (entry[1][2], entry[1][1]))
            self.compile_metrics.set_metrics([m for m, _ in outputs], [r for _, r in outputs],
                                             self.loss_fn.count)

    def _prepare_without_call(self, model) -> None:
        config = self.config
        given = [name for name, value in (("loss", config.loss_objects),
                                          ("metrics", config.metrics),
                                          ("weighted_metrics", config.weighted_metrics))
                 if value is not None and value != [] and value != {}]
        if given:
            raise ValueError(
                f"compile() was given {' and '.join(given)}, which need the outputs of model "
                f'"{model.name}", but {type(model).__name__} does not implement call(). '
                "Implement call(), or compute the loss and metrics in your own train_step "
                "and compile() without them.")
        self.model_adds_losses = True  # its own steps compute whatever it minimizes
        if self.metrics is None:
            self.metrics, self.routes = [], []

    @property
    def steps_per_call(self) -> int:
        """Batches per compiled call: `steps_per_execution`, or 32 for `"auto"`."""
        return 32 if self.steps_per_execution == "auto" else int(self.steps_per_execution)


def implements_call(model) -> bool:
    """Whether the model defines `call()` (a Model subclass that only overrides its steps
    need not, as in Keras)."""
    return inspect.getattr_static(type(model), "call") is not Layer.call


def output_spec(model, x):
    """Abstractly run the model on one batch: checks shapes before any compile."""
    spec = jax.tree.map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype), x)
    # A symbolic scope: what layers assign (seed generators' states) is dropped.
    with StatelessScope(symbolic=True):
        return jax.eval_shape(lambda inputs: model(inputs, training=False), spec)


def _adds_losses(model, x) -> bool:
    """Whether a training call of the model adds losses (`add_loss`, activity
    regularizers) or it has weight regularizers: traced abstractly, in a scope of
    its own."""
    if any(getattr(v, "regularizer", None) is not None for v in model.weights):
        return True
    spec = jax.tree.map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype), x)
    with StatelessScope(symbolic=True) as scope:
        jax.eval_shape(lambda inputs: model(inputs, training=True), spec)
        return bool(scope.losses)
