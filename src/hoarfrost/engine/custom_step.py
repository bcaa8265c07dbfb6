"""Compiled loops around a model's own `train_step` / `test_step` / `predict_step`.

Keras's JAX trainer jits the step and calls it once per batch; here a chunk of
batches runs in one compiled call (`steps_per_execution`), like the engine's
fused step. The state handed to the step is gathered from the variables at
the start of each chunk, split by the trainable flags at that moment, and
written back after it; each distinct split compiles once (cached by it).
Under a custom step the trainability contract holds as in the fused step:
a frozen variable is not in `trainable_variables`, and its optimizer slots
are not in `optimizer_variables` (`Optimizer.bound_to`), so neither can change.

Under a `keras.distribution` distribution the step runs as Keras's JAX trainer
runs it: each batch split over the batch axis (`_distribute_data`), the state
laid out as the distribution says (variables by their layout, optimizer slots
as their variable, the rest replicated) and kept so after every step
(`_enforce_jax_state_sharding`); XLA inserts the collectives.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from hoarfrost.distribution import current as current_distribution
from hoarfrost.distribution import running
from hoarfrost.engine.partition import TRAIN, partition
from hoarfrost.engine.lazy_logs import LazyLogs
from hoarfrost.engine.step import _gather, join_steps, predict_rows
from hoarfrost.engine.step_api import STEP_METHODS, step_randomness
from hoarfrost.engine.xla_options import PlatformJit
from hoarfrost.random import global_key
from hoarfrost.utils import pack_x_y_sample_weight
from hoarfrost.variables import StatelessScope, assign_values


class StepState:
    """The variables behind a step's state, split by the flags at one moment."""

    def __init__(self, model, kind: str):
        self.distribution = current_distribution(model)
        part = partition(model, training=True)
        self.trainable = [v for v, r in zip(part.variables, part.roles) if r == TRAIN]
        self.non_trainable = [v for v, r in zip(part.variables, part.roles) if r != TRAIN]
        self.optimizer = model.optimizer if kind == "train" else None
        self.optimizer_variables = []
        if self.optimizer is not None:
            with self.optimizer.bound_to(self.trainable):
                self.optimizer_variables = list(self.optimizer.variables)
        self.metrics = list(model.metrics) if kind != "predict" else []
        self.metric_variables = [v for m in self.metrics for v in m.variables]
        self.key = (kind, part.key, id(self.optimizer),
                    tuple(id(v) for v in self.metric_variables), _optimizer_key(self),
                    id(self.distribution))
        self.shardings = _shardings(self.distribution, self.groups(kind))

    def groups(self, kind: str) -> list:
        if kind == "train":
            return [self.trainable, self.non_trainable, self.optimizer_variables,
                    self.metric_variables]
        if kind == "test":
            return [self.trainable, self.non_trainable, self.metric_variables]
        return [self.trainable, self.non_trainable]

    def values(self, kind: str) -> tuple:
        """The state's values, laid out as the distribution says (a no-op once they are)."""
        values = tuple([v.value for v in group] for group in self.groups(kind))
        if self.shardings is None:
            return values
        return tuple(self.distribution.place_values(group, shardings)
                     for group, shardings in zip(values, self.shardings))

    def constrain(self, state) -> tuple:
        """Inside a step: the new state laid out as the state it was given (Keras's
        `_enforce_jax_state_sharding`), not as XLA would pick."""
        if self.shardings is None:
            return state
        return tuple([jax.lax.with_sharding_constraint(value, sharding)
                      for value, sharding in zip(group, shardings)]
                     for group, shardings in zip(state, self.shardings))

    def write_back(self, kind: str, state) -> None:
        for group, values in zip(self.groups(kind), state):
            assign_values(group, values)  # a slot view writes into the optimizer's store


def _shardings(distribution, groups: list) -> list | None:
    """Each state value's sharding, group by group (None on one device): model variables
    as their layout says, an optimizer slot as its variable (a slot of another shape,
    the step count, the rate: replicated), metric variables replicated (as the fused
    step's)."""
    if distribution.mesh is None:
        return None
    model_groups = 2  # trainable_variables, non_trainable_variables
    out = [[distribution.variable_sharding(v) for v in group] for group in groups[:model_groups]]
    for group in groups[model_groups:]:
        owners = [getattr(variable, "reference_variable", None) for variable in group]
        out.append([distribution.replicated() if owner is None
                    else distribution.slot_sharding(owner, variable.shape)
                    for owner, variable in zip(owners, group)])
    return out


def _optimizer_key(state: StepState):
    """What the traced update reads from the optimizer as constants: the schedule and the
    per-variable rate factors (a change of either traces again)."""
    optimizer = state.optimizer
    if optimizer is None:
        return None
    multipliers = (tuple(optimizer.multiplier_for(v) for v in state.trainable)
                   if optimizer.lr_multipliers else None)
    return id(optimizer.learning_rate_schedule), multipliers


class CustomStepRunner:
    """The compiled loops over one model's step methods for one split of its variables."""

    def __init__(self, model, state: StepState, kind: str, on_trace=None):
        self.model, self.state, self.kind = model, state, kind
        self.on_trace = on_trace or (lambda kind: None)
        self.loop = PlatformJit(self._loop, static_argnames=("batch_size",))
        # Distributions that need a static number of steps (see `traced_loops`).
        self.static_loop = PlatformJit(self._loop, static_argnames=("steps", "batch_size"))
        self.predict = PlatformJit(self._predict, static_argnames=("steps", "batch_size"))

    def _step(self, state, batch, key):
        """One call of the model's step, checked, with the state's structure kept."""
        model, kind = self.model, self.kind
        x, y, sample_weight = batch
        data = pack_x_y_sample_weight(x, y, sample_weight)
        method = getattr(model, STEP_METHODS[kind])
        optimizer = self.state.optimizer
        with step_randomness(key), running(self.state.distribution):
            if optimizer is not None:
                with optimizer.bound_to(self.state.trainable):
                    out = method(state, data)
            elif model._stateful_step(kind):
                out = self._stateful(method, state, data, key)
            else:
                out = method(state, data)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise TypeError(f"{type(model).__name__}.{STEP_METHODS[kind]} must return a pair "
                            f"(logs, state); it returned {type(out).__name__}.")
        logs, new_state = out
        flatten_logs(logs)  # a dict, or an error now rather than at the epoch's end
        return logs, self.state.constrain(_like(new_state, state, model, kind))

    def _stateful(self, method, state, data, key):
        """Run a step of the form `(self, data)`: every variable it reads or assigns maps
        to the state (Keras's stateful test and predict steps, on values)."""
        groups = self.state.groups(self.kind)
        pairs = [pair for group, values in zip(groups, state) for pair in zip(group, values)]
        with StatelessScope(pairs, rng=key) as scope:
            out = method(data)
        new_state = tuple([scope.updated_value(v, x) for v, x in zip(group, values)]
                          for group, values in zip(groups, state))
        if self.kind == "predict":
            return out, new_state[1]
        return out, new_state

    def _loop(self, state, key, start, data, perm, offset, steps, *, batch_size: int):
        """`steps` calls of the train or test step (a traced count, or a static one where
        the distribution needs it); the state and the last logs."""
        self.on_trace(self.kind)

        distribution = self.state.distribution

        def one(index, state):
            batch = _gather(data, perm, offset, index, batch_size, distribution)
            return self._step(state, batch, jax.random.fold_in(key, start + index))

        spec = jax.eval_shape(lambda s: one(0, s)[0], state)
        logs = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), spec)

        def body(index, carry):
            logs, new_state = one(index, carry[1])
            return jax.tree.map(lambda a, s: jnp.asarray(a, s.dtype), logs, spec), new_state

        logs, state = lax.fori_loop(0, steps, body, (logs, state))
        return self.state.constrain(state), logs

    def _predict(self, state, data, perm, offset, *, steps: int, batch_size: int):
        self.on_trace("predict")

        distribution = self.state.distribution

        def body(state, index):
            x = _gather(data, perm, offset, index, batch_size, distribution)
            with running(distribution):
                if self.model._stateful_step("predict"):
                    out = self._stateful(self.model.predict_step, state,
                                         pack_x_y_sample_weight(x), None)
                else:
                    out = self.model.predict_step(state, pack_x_y_sample_weight(x))
            if not isinstance(out, (tuple, list)) or len(out) != 2:
                raise TypeError(f"{type(self.model).__name__}.predict_step must return "
                                "(outputs, non_trainable_variables); it returned "
                                f"{type(out).__name__}.")
            outputs, non_trainable = out
            predict_rows(self.model, outputs)
            new = _like((state[0], non_trainable), state, self.model, "predict")
            return self.state.constrain(new), outputs

        state, outputs = lax.scan(body, state, jnp.arange(steps))
        state = self.state.constrain(state)
        return state, join_steps(outputs)


_PARTS = {"train": ("trainable_variables", "non_trainable_variables", "optimizer_variables",
                    "metrics_variables"),
          "test": ("trainable_variables", "non_trainable_variables", "metrics_variables"),
          "predict": ("trainable_variables", "non_trainable_variables")}


def _like(new_state, state, model, kind: str) -> tuple:
    """The returned state as lists of arrays of the given shapes and dtypes, or an error
    naming the part that does not fit."""
    names = _PARTS[kind]
    method = f"{type(model).__name__}.{STEP_METHODS[kind]}"
    if not isinstance(new_state, (tuple, list)) or len(new_state) != len(names):
        raise TypeError(f"{method} must return a state of {len(names)} lists ({', '.join(names)})"
                        f"; it returned {type(new_state).__name__}"
                        + (f" of length {len(new_state)}" if hasattr(new_state, "__len__")
                           else "") + ".")
    out = []
    for name, new, old in zip(names, new_state, state):
        new = list(new)
        if len(new) != len(old):
            raise ValueError(f"{method} returned {len(new)} {name}; the state it was given "
                             f"holds {len(old)}.")
        values = []
        for i, (a, b) in enumerate(zip(new, old)):
            a = jnp.asarray(getattr(a, "value", a))
            if a.shape != b.shape:
                raise ValueError(f"{method} returned {name}[{i}] of shape {a.shape}; it was "
                                 f"given one of shape {b.shape}.")
            values.append(a.astype(b.dtype))
        out.append(values)
    return tuple(out)


def flatten_logs(logs) -> dict:
    """Step logs as a flat dict (a nested dict's entries in place, as Keras's
    `pythonify_logs`)."""
    if not isinstance(logs, dict):
        raise TypeError("A custom step's logs must be a dict of metric values (e.g. "
                        f"{{'loss': loss}}); it returned {type(logs).__name__} as logs.")
    flat = {}
    for key, value in logs.items():
        if isinstance(value, dict):
            flat.update(flatten_logs(value))
        else:
            flat[key] = value
    return flat


class CustomStepLoops:
    """The Trainer's loops over a model's own `train_step` / `test_step` / `predict_step`
    (a mixin of `engine.trainer.Trainer`: it uses the trainer's compiled state, metrics
    and logs)."""

    # --- chunks of the model's own steps (Keras's JAX form) -----------------------------
    def _custom_runner(self, kind: str):
        state = StepState(self, kind)
        key = ("custom",) + state.key
        if key not in self._compiled.builders:
            self._compiled.builders[key] = CustomStepRunner(self, state, kind,
                                                            on_trace=self._count_trace)
        runner = self._compiled.builders[key]
        runner.state = state
        return runner

    def _custom_chunk(self, kind: str, data, perm, offset: int, steps: int, batch_size: int,
                      rng, step_logs: bool = False, runner=None, state=None):
        """Run `steps` calls of `train_step` or `test_step`; with `step_logs`, one call at a
        time and each one's logs (for callbacks that act on every batch)."""
        own = runner is None
        if own:
            runner = self._custom_runner(kind)
            state = runner.state.values(kind)
        distribution = runner.state.distribution
        rng = distribution.replicate(rng)
        per_step = []
        for first, count in ([(i, 1) for i in range(steps)] if step_logs else [(0, steps)]):
            start = np.int32(self._custom_steps_run)
            if distribution.traced_loops:
                state, logs = runner.loop(state, rng, start, data, perm,
                                          offset + first * batch_size, np.int32(count),
                                          batch_size=batch_size)
            else:
                state, logs = runner.static_loop(state, rng, start, data, perm,
                                                 offset + first * batch_size, steps=count,
                                                 batch_size=batch_size)
            self._custom_steps_run += count
            per_step.append(logs)
        self._custom_logs = per_step[-1]
        if not own:
            return state
        runner.state.write_back(kind, state)
        if not step_logs:
            return None
        flat = [self._pythonify(flatten_logs(logs)) for logs in per_step]
        return {k: [logs[k] for logs in flat] for k in flat[0]}

    def _custom_evaluate(self, adapter, callbacks) -> dict[str, float]:
        """Run the model's `test_step` over the adapter's batches, calling the test batch
        hooks with each compiled call's last step logs (as Keras's evaluate)."""
        self._custom_logs = None
        for metric in self.metrics:  # as Keras's evaluate: reset_metrics() first
            metric.reset_state()
        runner = self._custom_runner("test")
        state = runner.state.values("test")
        rng = global_key()
        step = 0
        for chunk in adapter.chunks(None):
            callbacks.on_test_batch_begin(step)
            state = self._custom_chunk("test", chunk.data, chunk.perm, chunk.offset, chunk.steps,
                                       chunk.batch_size, rng, runner=runner, state=state)
            step += chunk.steps
            callbacks.on_test_batch_end(step - 1, LazyLogs(
                lambda logs=self._custom_logs: self._pythonify(flatten_logs(logs))))
        runner.state.write_back("test", state)
        return self._pythonify(self._current_results())

    def _custom_predict(self, adapter, callbacks):
        """Run the model's `predict_step` over the adapter's batches, calling the predict
        batch hooks with each compiled call's outputs (as Keras's predict)."""
        runner = self._custom_runner("predict")
        state = runner.state.values("predict")
        parts, step = [], 0
        for chunk in adapter.chunks(None):
            callbacks.on_predict_batch_begin(step)
            state, out = runner.predict(state, chunk.data[0], chunk.perm, chunk.offset,
                                        steps=chunk.steps, batch_size=chunk.batch_size)
            parts.append(runner.state.distribution.fetch(out))  # other processes' rows too
            step += chunk.steps
            callbacks.on_predict_batch_end(step - 1, {"outputs": parts[-1]})
        runner.state.write_back("predict", state)
        return jax.tree.map(lambda *p: np.concatenate(p), *parts)
