"""Pure step functions: a model's call, loss, gradient and update, traced once
per trainable set and run many batches per compiled call.

Every function here takes values, never Variables: (trainable values,
frozen values, state, optimizer slots, batch, rng) in, new values out. The
model's layer code runs inside a `StatelessScope` that maps each Variable to
its traced value, so the user-facing objects are never mutated by a trace.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from hoarfrost import masking
from hoarfrost.distribution import SINGLE_DEVICE, Distribution, running
from hoarfrost.engine.compile_utils import metric_results, update_metrics
from hoarfrost.engine.xla_options import PlatformJit
from hoarfrost.engine.partition import Partition
from hoarfrost.optimizers import OptimizerState
from hoarfrost.variables import StatelessScope


class TrainCarry(NamedTuple):
    """What a training step updates (donated between calls)."""

    trainable: list
    state: list
    optimizer: OptimizerState  # the trainable variables' slots, and the step count
    metrics: list


class Hyper(NamedTuple):
    """What a step reads but does not update."""

    frozen: list
    learning_rate: Any
    rng: Any  # the base key; each step folds in its step count
    multipliers: Any = None  # per trainable variable factors on the rate, or None
    epoch: Any = None  # folded into the key too (fit), so a reset step count repeats no key


def _gather(data, perm, offset, index, batch_size: int, distribution=SINGLE_DEVICE):
    start = offset + index * batch_size
    rows = lax.dynamic_slice_in_dim(perm, start, batch_size)
    batch = jax.tree.map(lambda a: jnp.take(a, rows, axis=0), data)
    return distribution.constrain_batch(batch)


def predict_rows(model, spec) -> None:
    """Check a batch's predicted outputs (`spec`: their shapes) can be concatenated.

    `predict` joins each batch's outputs along their first axis (Keras's
    `np.concatenate`), whether or not that axis is the batch: an output of
    `ops.reshape(x, (-1, 2))` gives twice the rows. A scalar output has no axis to
    join along, so it fails here, naming the output (Keras's JAX trainer fails too,
    with "zero-dimensional arrays cannot be concatenated").
    """
    leaves = jax.tree_util.tree_flatten_with_path(spec)[0]
    names = list(getattr(model, "output_names", None) or [])
    for k, (path, leaf) in enumerate(leaves):
        if len(leaf.shape) == 0:
            name = names[k] if len(names) == len(leaves) else (
                jax.tree_util.keystr(path) or "0")
            raise ValueError(
                f"{type(model).__name__}.predict: output {name!r} is a scalar (shape ()) "
                "for each batch; predict concatenates the batches' outputs along their "
                "first axis, so every output needs at least one dimension (return "
                "ops.expand_dims(value, 0) or ops.reshape(value, (1,))).")


def join_steps(outputs):
    """`(steps, rows, ...)` stacked outputs as `(steps * rows, ...)`."""
    return jax.tree.map(lambda a: a.reshape((-1,) + a.shape[2:]), outputs)


class StepBuilder:
    """Builds the jitted functions of one model for one partition.

    Args:
        model: the model (its `__call__` is traced).
        partition: which variables train, stay frozen or update as state.
        loss_fn: a `CompiledLoss`, `(y, y_pred, sample_weight) -> (total, parts)`,
            or None for predict.
        metrics: the loss trackers and compiled metrics.
        routes: what updates each metric (see `compile_utils.build_metrics`).
        optimizer: the optimizer, or None for evaluate and predict.
        on_trace: called each time a function is traced (for compile counts).
    """

    def __init__(self, model, partition: Partition, loss_fn=None, metrics=(), optimizer=None,
                 on_trace=None, distribution: Distribution = SINGLE_DEVICE, routes=None):
        self.model = model
        self.distribution = distribution
        self.partition = partition
        self.loss_fn = loss_fn
        self.metrics = list(metrics)
        self.routes = list(routes) if routes is not None else (
            [("loss",)] + [("output", 0, True)] * (len(self.metrics) - 1))
        self.optimizer = optimizer
        self.on_trace = on_trace or (lambda kind: None)
        self.train_vars = partition.trainable
        self.frozen_vars = partition.frozen
        self.state_vars = partition.state
        # In evaluate every variable is an input; penalties count for those trainable now.
        self.inference_regularizers = [(i, v.regularizer) for i, v in enumerate(self.frozen_vars)
                                       if getattr(v, "regularizer", None) is not None]
        self.regularizers = [(i, v.regularizer) for i, v in enumerate(self.train_vars)
                             if getattr(v, "regularizer", None) is not None]
        self.constraints = [(i, v.constraint) for i, v in enumerate(self.train_vars)
                            if getattr(v, "constraint", None) is not None]
        self.train = PlatformJit(self._train_steps,
                                 static_argnames=("steps", "batch_size", "step_logs"),
                                 donate_argnums=(0,))
        # The step count is a traced value here: a chunk of any length (the last one of
        # an epoch is usually short) reuses the same compiled loop.
        self.train_loop = PlatformJit(self._train_loop, static_argnames=("batch_size",),
                                      donate_argnums=(0,))
        self.test = PlatformJit(self._test_steps, static_argnames=("batch_size",),
                                donate_argnums=(0,))
        self.predict = PlatformJit(self._predict_steps,
                                   static_argnames=("steps", "batch_size"))
        self.predict_loop = PlatformJit(self._predict_loop,
                                        static_argnames=("capacity", "batch_size"))

    # --- one batch ---------------------------------------------------------------
    def _forward(self, trainable, frozen, state, x, training: bool, rng):
        pairs = (list(zip(self.train_vars, trainable)) + list(zip(self.frozen_vars, frozen))
                 + list(zip(self.state_vars, state)))
        with StatelessScope(pairs, rng=rng) as scope, running(self.distribution):
            y_pred = self.model(x, training=training)
            extra = list(scope.losses)
            new_state = [scope.updated_value(v, s) for v, s in zip(self.state_vars, state)]
        return y_pred, extra, new_state

    def _loss(self, trainable, frozen, state, batch, rng):
        x, y, sample_weight = batch
        y_pred, extra, new_state = self._forward(trainable, frozen, state, x, True, rng)
        loss, parts = self.loss_fn(y, y_pred, sample_weight)
        for value in extra:
            loss = loss + value
        for i, regularizer in self.regularizers:
            loss = loss + regularizer(trainable[i])
        # The output mask (padded timesteps) rides along: metrics weight by it too.
        return loss, (y_pred, new_state, masking.masks_of(y_pred), parts)

    def _update_metrics(self, states, loss, parts, batch, y_pred):
        _, y, sample_weight = batch
        batch_size = jax.tree.leaves(batch[0])[0].shape[0]
        return update_metrics(self.metrics, self.routes, states, loss, parts, y, y_pred,
                              sample_weight, self.loss_fn.count, batch_size)

    def _scaled_loss(self, trainable, frozen, state, batch, rng, optimizer_state):
        """The loss the gradients are taken of: scaled by the optimizer (loss scaling);
        the unscaled loss rides along for the metrics."""
        loss, aux = self._loss(trainable, frozen, state, batch, rng)
        return self.optimizer.stateless_scale_loss(loss, optimizer_state), (loss, aux)

    def _train_one(self, carry: TrainCarry, hyper: Hyper, batch) -> TrainCarry:
        # Derived, not split: XLA drops it entirely when no layer draws randomness.
        base = hyper.rng if hyper.epoch is None else jax.random.fold_in(hyper.rng, hyper.epoch)
        step_rng = jax.random.fold_in(base, carry.optimizer.iterations)
        grad_fn = jax.value_and_grad(self._scaled_loss, has_aux=True)
        (_, (loss, (y_pred, new_state, output_masks, parts))), grads = grad_fn(
            carry.trainable, hyper.frozen, carry.state, batch, step_rng, carry.optimizer)
        masking.set_masks(y_pred, output_masks)  # y_pred came out of grad without it
        new_values, optimizer = self.optimizer.stateless_update(
            grads, carry.trainable, carry.optimizer, hyper.learning_rate, hyper.multipliers)
        # A step the optimizer skipped (loss scaling: a non-finite gradient) leaves the step
        # count, and then the values, as they were: Keras applies no constraint there either.
        taken = optimizer.iterations != carry.optimizer.iterations
        for i, constraint in self.constraints:
            new_values[i] = jnp.where(taken, constraint(new_values[i]), new_values[i])
        metrics = self._update_metrics(carry.metrics, loss, parts, batch, y_pred)
        return self._pin(TrainCarry(new_values, new_state, optimizer, metrics))

    def _pin(self, carry: TrainCarry) -> TrainCarry:
        """Variables and slots laid out as the distribution says.

        Otherwise XLA picks the layout of a step's outputs, and a variable the
        layout replicates may come back split (the next call would reshard it).
        """
        d = self.distribution
        return carry._replace(
            trainable=d.constrain_variables(self.train_vars, carry.trainable),
            state=d.constrain_variables(self.state_vars, carry.state),
            optimizer=carry.optimizer.replace(
                slots=d.constrain_like(self.train_vars, carry.optimizer.slots)))

    # --- many batches per call ------------------------------------------------------
    def _train_steps(self, carry, hyper, data, perm, offset, *, steps: int, batch_size: int,
                     step_logs: bool = False):
        """Run `steps` training steps; per-step logs only when a callback wants them.

        Returns the carry, the logs and the metrics' results after the last step
        (computed here, so reading them costs a transfer, not an eager op).
        """
        self.on_trace("train")

        def body(carry, index):
            batch = _gather(data, perm, offset, index, batch_size, self.distribution)
            carry = self._train_one(carry, hyper, batch)
            logs = metric_results(self.metrics, carry.metrics) if step_logs else None
            return carry, logs

        carry, logs = lax.scan(body, carry, jnp.arange(steps))
        return self._pin(carry), logs, metric_results(self.metrics, carry.metrics)

    def _train_loop(self, carry, hyper, data, perm, offset, steps, *, batch_size: int):
        """`steps` training steps (a traced count), no per-step logs; the carry and
        the metrics' results."""
        self.on_trace("train")

        def body(index, carry):
            batch = _gather(data, perm, offset, index, batch_size, self.distribution)
            return self._train_one(carry, hyper, batch)

        carry = self._pin(lax.fori_loop(0, steps, body, carry))
        return carry, metric_results(self.metrics, carry.metrics)

    def _test_steps(self, metric_states, frozen, data, perm, offset, steps, penalized=None, *,
                    batch_size: int):
        """`penalized`: 1.0 per regularised variable that trains now (Keras counts the
        weight penalties of trainable variables in `evaluate`'s loss too)."""
        self.on_trace("test")
        penalty = 0.0
        for k, (i, regularizer) in enumerate(self.inference_regularizers):
            penalty = penalty + penalized[k] * regularizer(frozen[i])

        def body(index, states):
            batch = _gather(data, perm, offset, index, batch_size, self.distribution)
            y_pred, extra, _ = self._forward([], frozen, [], batch[0], False, None)
            loss, parts = self.loss_fn(batch[1], y_pred, batch[2])
            for value in extra:
                loss = loss + value
            loss = loss + penalty
            return self._update_metrics(states, loss, parts, batch, y_pred)

        states = lax.fori_loop(0, steps, body, metric_states)
        return states, metric_results(self.metrics, states)

    def _predict_steps(self, frozen, data, perm, offset, *, steps: int, batch_size: int):
        self.on_trace("predict")

        def body(_, index):
            x = _gather(data, perm, offset, index, batch_size, self.distribution)
            y_pred, _, _ = self._forward([], frozen, [], x, False, None)
            predict_rows(self.model, y_pred)
            return None, y_pred

        _, outputs = lax.scan(body, None, jnp.arange(steps))
        return join_steps(outputs)

    def _predict_loop(self, frozen, data, perm, offset, steps, *, capacity: int,
                      batch_size: int):
        """Up to `capacity` batches (`steps`, a traced count) written into one buffer of
        `capacity * rows` rows, `rows` each output's first dimension per batch (usually
        `batch_size`, not always: see `predict_rows`); the caller keeps the first
        `steps * rows`.

        So a short chunk (the end of the data) reuses the compiled loop.
        """
        self.on_trace("predict")

        def one(index):
            x = _gather(data, perm, offset, index, batch_size)
            return self._forward([], frozen, [], x, False, None)[0]

        spec = jax.eval_shape(one, 0)
        predict_rows(self.model, spec)
        buffers = jax.tree.map(
            lambda a: jnp.zeros((capacity * a.shape[0],) + a.shape[1:], a.dtype), spec)

        def body(index, buffers):
            return jax.tree.map(
                lambda buffer, rows: lax.dynamic_update_slice_in_dim(
                    buffer, rows, index * rows.shape[0], 0), buffers, one(index))

        return lax.fori_loop(0, steps, body, buffers)
