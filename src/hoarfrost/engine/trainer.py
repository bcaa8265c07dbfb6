"""The Keras training API (`compile`, `fit`, `evaluate`, `predict`, ...).

The model's Variables always hold the truth between compiled calls: each call
takes their values, runs a chunk of steps, and hands the results straight
back to the Variables. Callbacks, `get_weights` and trainability changes
therefore see and act on the current state, and a failed `fit` leaves the
last good weights in place.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost import optimizers as optimizers_module
from hoarfrost.callbacks import CallbackList, History
from hoarfrost.distribution import current as current_distribution
from hoarfrost.engine import ahead as ahead_module
from hoarfrost.engine import compile_utils
from hoarfrost.engine import data as data_module
from hoarfrost.engine.adapters import is_iterable_input
from hoarfrost.engine.compiled_state import CompiledState
from hoarfrost.engine.custom_step import CustomStepLoops, flatten_logs
from hoarfrost.engine.feeding import DataFeed
from hoarfrost.engine.lazy_logs import LazyLogs as _LazyLogs
from hoarfrost.engine.partition import (FROZEN, STATE, TRAIN, partition,
                                        warn_nothing_trainable)
from hoarfrost.engine.step import Hyper, StepBuilder, TrainCarry
from hoarfrost.engine.step_api import KerasStepAPI
from hoarfrost.host import to_device
from hoarfrost.mixed_precision import loss_scaling
from hoarfrost.random import global_key
from hoarfrost.selectors import selected_variables


class Trainer(CustomStepLoops, KerasStepAPI, DataFeed):
    """Mixin giving a model the Keras training API on the pure engine.

    A model that overrides `train_step` / `test_step` / `predict_step` (Keras's JAX
    form) or a hook they call runs them (`engine.custom_step`); otherwise the
    engine's fused step computes the same thing.
    """

    def __init__(self):
        # Before compile(): no optimizer or loss, one batch per call (predict works).
        self._compiled = CompiledState(None, None, compile_utils.CompileConfig(),
                                       steps_per_execution=1)
        self.stop_training = False
        self.history = None
        self._metric_states = None
        self._results_of = (None, None)  # (states, their results from the compiled step)
        self.trace_counts = {"train": 0, "test": 0, "predict": 0}
        self._every_batch = False  # a callback acts on every training batch
        self._every_test_batch = False  # ... on every evaluation batch
        self._every_predict_batch = False  # ... on every prediction batch
        self._custom_logs = None  # the last logs of a custom step (a pytree on the device)
        self._custom_steps_run = 0  # folds into the keys of custom steps
        self._compile_ahead = ()  # batch sizes of the epoch's later chunks (a ragged last one)
        self._ahead = None  # their loop, compiling on a thread (engine/ahead.py)

    # --- compile -----------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly: bool = False,
                steps_per_execution: int | str = "auto", jit_compile="auto",
                lr_multipliers: dict | None = None, auto_scale_loss: bool = True,
                **kwargs) -> None:
        """Configure training: optimizer, loss and metrics (objects or names, any case).

        Nothing about trainability is recorded here: flags set before or
        after `compile` apply from the next step. Compiling again with the
        same optimizer object, or with the name of the optimizer's own class
        (`'adam'` again), keeps its slots; pass a new optimizer object, or call
        `reset_optimizer_state()`, for a fresh start.

        Args:
            optimizer: an `Optimizer` or a name (`'adam'`, `'SGD'`, ...).
            loss: a `Loss`, a function `(y_true, y_pred)` or a name (`'mse'`); for
                several outputs one for all, a list (output order) or a dict keyed
                by output name.
            loss_weights: factors on the outputs' losses (a list or a dict).
            metrics: a list of `Metric`s, functions or names (`'accuracy'`); for
                several outputs a list per output or a dict keyed by output name.
                They ignore sample weights; `weighted_metrics` use them.
            lr_multipliers: factors on the learning rate by variable path
                (`{"block1/*": 0.1}`; globs or compiled regexes, first match wins);
                stored on the optimizer, changeable between steps.
            steps_per_execution: how many batches one compiled call runs;
                `"auto"` runs 32 at a time, or one at a time when a callback
                acts on every batch (so its changes apply at the next step).
            auto_scale_loss: under a `"mixed_float16"` dtype policy, wrap the
                optimizer in a `LossScaleOptimizer` (as Keras).
        """
        if kwargs:
            raise TypeError(f"compile(): unrecognized arguments {sorted(kwargs)}.")
        # Resolve everything first: a compile that fails changes nothing.
        resolved = optimizers_module.get(optimizer)
        if (isinstance(optimizer, str) and self.optimizer is not None
                and type(loss_scaling.inner_optimizer(self.optimizer)) is type(resolved)):
            resolved = self.optimizer  # a name, not a reset: keep the slots
        resolved = loss_scaling.for_policy(self, resolved, auto_scale_loss)
        if self.compiled:  # Keras keeps the loss, or the metrics, a recompile leaves out
            kept = self._compiled.config
            if loss is None:
                loss, loss_weights = self._compiled.loss, kept.loss_weights
            if metrics is None and weighted_metrics is None:
                metrics, weighted_metrics = kept.metrics, kept.weighted_metrics
        config = compile_utils.CompileConfig(loss, loss_weights, metrics, weighted_metrics)
        if getattr(self, "_outputs_struct", None) is not None:  # functional: check now
            config.check(compile_utils.output_layout(self))
        if steps_per_execution != "auto" and int(steps_per_execution) < 1:
            raise ValueError(f"steps_per_execution must be >= 1, got {steps_per_execution!r}.")
        if lr_multipliers is not None:
            resolved.lr_multipliers = dict(lr_multipliers)
        self._compiled = CompiledState(resolved, loss, config, steps_per_execution)
        self._metric_states = None

    # --- what compile() fixed ---------------------------------------------------------
    @property
    def compiled(self) -> bool:
        """Whether `compile()` was called."""
        return self._compiled.optimizer is not None

    @property
    def optimizer(self):
        """The compiled optimizer (None before `compile()`)."""
        return self._compiled.optimizer

    @property
    def loss(self):
        """The loss as given to `compile()`."""
        return self._compiled.loss

    @property
    def steps_per_execution(self) -> int | str:
        return self._compiled.steps_per_execution

    @property
    def _loss_obj(self):
        """The compiled loss objects (one, a list or a dict, as given)."""
        return self._compiled.config.loss_objects

    @property
    def _metric_identifiers(self) -> list:
        return self._compiled.config.identifiers()

    @property
    def _compile_config(self) -> compile_utils.CompileConfig:
        return self._compiled.config

    @property
    def _builders(self) -> dict:
        return self._compiled.builders

    def _assert_compiled(self, method: str) -> None:
        if not self.compiled:
            raise RuntimeError(
                f"You must call compile() before {method}(): the model does not know its "
                "optimizer and loss yet. Example: model.compile(optimizer='adam', loss='mse')."
            )

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        """Reset every metric of `self.metrics` (the compiled ones and your own)."""
        self._metric_states = None
        self._custom_logs = None
        for metric in self.metrics:
            metric.reset_state()

    def reset_optimizer_state(self, *selectors) -> None:
        """Forget optimizer slots (all, or those of the selected variables).

        Freezing and unfreezing keep a variable's slots; this is the call for
        when you want them gone. Selectors as for `freeze` (layers, names,
        globs, regexes, variables, or lists of them).
        """
        if self.optimizer is None:
            return
        flat = []
        for selector in selectors:
            flat.extend(selector if isinstance(selector, (list, tuple)) else [selector])
        self.optimizer.reset_slots(selected_variables(self, flat) if flat else None)

    # --- preparation shared by fit / evaluate / predict ------------------------------------
    def _output_layout(self, x) -> compile_utils.OutputLayout:
        return self._compiled.output_layout(self, x)

    def _prepare_targets(self, x, y, sample_weight=None) -> None:
        self._compiled.prepare(self, x, y, sample_weight)

    def _fresh_metric_states(self) -> list:
        if self._runs_keras_step("train") or self._runs_keras_step("test"):
            self._custom_logs = None  # custom steps keep the state in the metrics' variables
            for metric in self.metrics:
                metric.reset_state()
        return [m.initial_state() for m in self._compiled.metrics]

    def _set_metric_states(self, states, results=None) -> None:
        """Keep the metrics' states, and their results when the compiled step made them."""
        self._custom_logs = None  # the fused step ran last: its results are the logs
        self._metric_states = states
        self._results_of = (states, results)

    def _current_results(self) -> dict:
        """The current results: those the step computed, or computed now."""
        if self._custom_logs is not None:
            # As Keras: the metrics' results when the step logged exactly those, else the
            # last step's logs.
            logs = flatten_logs(self._custom_logs)
            results = self.get_metrics_result()
            return results if set(results) == set(logs) else logs
        states, results = self._results_of
        if results is None or states is not self._metric_states:
            results = compile_utils.metric_results(self._compiled.metrics, self._metric_states)
        return results

    def _builder(self, part, kind: str) -> StepBuilder:
        compiled = self._compiled
        schedule = id(compiled.optimizer.learning_rate_schedule) if kind == "train" else None
        distribution = current_distribution(self)
        key = (kind, part.key, id(compiled.optimizer), schedule, id(distribution))
        if key not in compiled.builders:
            compiled.builders[key] = StepBuilder(
                self, part, loss_fn=compiled.loss_fn, metrics=compiled.metrics or [],
                optimizer=compiled.optimizer if kind == "train" else None,
                on_trace=self._count_trace, distribution=distribution,
                routes=compiled.routes)
        return compiled.builders[key]

    def _count_trace(self, kind: str) -> None:
        self.trace_counts[kind] += 1

    # --- one chunk of training steps ------------------------------------------------------
    def _train_chunk(self, data, perm, offset: int, steps: int, batch_size: int, rng,
                     step_logs: bool = False, epoch: int | None = None):
        self.optimizer.check_lr_multipliers(self)  # as freeze(): a pattern must match
        if self._runs_keras_step("train"):
            return self._custom_chunk("train", data, perm, offset, steps, batch_size, rng,
                                      step_logs)
        part = partition(self, training=True)
        if not part.trainable:
            warn_nothing_trainable(self, part)
        builder = self._builder(part, "train")
        optimizer = self.optimizer
        carry = TrainCarry(trainable=part.values(TRAIN), state=part.values(STATE),
                           optimizer=optimizer.gather_slots(part.trainable),
                           metrics=self._metric_states)
        multipliers = None
        if optimizer.lr_multipliers:
            multipliers = to_device(np.asarray([optimizer.multiplier_for(v)
                                                for v in part.trainable], np.float32))
        rate = optimizer.learning_rate.value if optimizer.learning_rate_schedule is None else None
        hyper = Hyper(part.values(FROZEN), rate, rng, multipliers,
                      None if epoch is None else np.int32(epoch))
        carry = _unalias(carry, exclude=(hyper, data, perm))
        distribution = current_distribution(self)
        carry, hyper = _place(distribution, part, carry, hyper)
        # Per-step logs for callbacks need a scan of static length; so do some distributions.
        if step_logs or not distribution.traced_loops:
            carry, logs, results = builder.train(carry, hyper, data, perm, offset, steps=steps,
                                                 batch_size=batch_size, step_logs=step_logs)
        else:
            args = (carry, hyper, data, perm, offset, np.int32(steps))
            if self._ahead is not None and batch_size in self._ahead.sizes:
                self._ahead.wait()  # its program is compiled (or failed: the call says why)
            sizes, self._compile_ahead = self._compile_ahead, ()
            specs = ahead_module.specs(args) if sizes else None  # before the call donates
            (carry, results), logs = builder.train_loop(*args, batch_size=batch_size), None
            if sizes:
                self._ahead = ahead_module.Ahead(builder.train_loop, specs, sizes)
        part.write_back(carry.trainable, carry.state)
        optimizer.scatter_slots(carry.optimizer)
        self._set_metric_states(carry.metrics, results)
        return logs

    # --- fit ----------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size: int | None = None, epochs: int = 1,
            verbose="auto", callbacks=None, validation_split: float = 0.0,
            validation_data=None, shuffle: bool = True, class_weight=None, sample_weight=None,
            initial_epoch: int = 0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq: int | list[int] = 1):
        """Train for `epochs` epochs; returns a `History`.

        Arguments, defaults and logs follow Keras (`batch_size=32`,
        `validation_split` takes the last fraction before shuffling). `x` may
        be arrays (put on the device once and shuffled there) or an iterable
        of `(x, y[, sample_weight])` batches (streamed, with prefetch). A
        callback may change any `trainable` flag; the next step honours it.
        """
        self._assert_compiled("fit")
        data_module.check_fit_arguments(epochs, initial_epoch, validation_split,
                                        validation_freq)
        batch_size = data_module.check_batch_size(batch_size, default=None)
        steps_per_epoch = self._check_steps("steps_per_epoch", steps_per_epoch)
        validation_steps = self._check_steps("validation_steps", validation_steps)
        if validation_split and validation_data is None:
            if is_iterable_input(x):
                raise ValueError("validation_split needs array inputs; pass validation_data "
                                 "with a generator.")
            x, y, sample_weight = self._check_data(x, y, sample_weight, "fit")
            (x, y, sample_weight), validation_data = data_module.split_validation(
                x, y, sample_weight, validation_split)
        history = History()
        callback_list = CallbackList(callbacks, model=self, history=history, verbose=verbose,
                                     epochs=epochs, steps=steps_per_epoch)
        self._every_batch = callback_list.needs_every_batch()
        self._every_test_batch = callback_list.needs_every_batch("test")
        adapter = self._adapter(x, y, sample_weight, batch_size, "fit", shuffle=shuffle,
                                steps=steps_per_epoch, class_weight=class_weight)
        validation = None
        if validation_data is not None:
            validation = self._validation_adapter(validation_data, validation_batch_size
                                                  or batch_size, validation_steps)
        callback_list.set_params_steps(getattr(adapter, "display_steps", adapter.steps))
        rng = global_key()
        self.stop_training = False
        self._initial_epoch = None
        callback_list.on_train_begin()
        # As Keras: a callback (BackupAndRestore) may move the start on restore.
        initial_epoch = self._initial_epoch or initial_epoch
        logs: dict[str, Any] = {}
        # Host-side integers for the shuffles; each step's randomness is derived in the
        # compiled step from `rng` and the optimizer's step count (no eager key ops).
        shuffle_seed = np.asarray(jax.random.key_data(rng), np.uint32).ravel()
        if not self._every_batch and current_distribution(self).mesh is None:
            # A ragged last batch runs its own loop: compiled meanwhile, on a thread.
            self._compile_ahead = ahead_module.later_batch_sizes(adapter)
        for epoch in range(initial_epoch, epochs):
            self._metric_states = self._fresh_metric_states()
            callback_list.on_epoch_begin(epoch)
            step = 0
            for chunk in adapter.chunks(np.append(shuffle_seed, np.uint32(epoch))):
                self._run_train_chunk(chunk, rng, epoch, step, callback_list)
                step += chunk.steps
                if self.stop_training:
                    break
            logs = self._pythonify(self._current_results())
            if validation is not None and data_module.should_validate(epoch, validation_freq):
                callback_list.on_test_begin()
                val_logs = self._evaluate_adapter(validation, callback_list)
                callback_list.on_test_end(val_logs)
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callback_list.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        self._compile_ahead = ()
        if self._ahead is not None:  # nothing of this fit runs on after it returns
            self._ahead.wait()
            self._ahead = None
        if self.optimizer is not None and epochs > 0:
            # As Keras: with `use_ema`, the moving averages become the trained weights.
            self.optimizer.finalize_variable_values(self.trainable_weights)
        callback_list.on_train_end(logs)
        return history

    def _run_train_chunk(self, chunk, key, epoch: int, step: int, callback_list) -> None:
        every_batch = self._every_batch
        if every_batch:
            for i in range(chunk.steps):
                callback_list.on_train_batch_begin(step + i)
        chunk_logs = self._train_chunk(chunk.data, chunk.perm, chunk.offset, chunk.steps,
                                       chunk.batch_size, key, step_logs=every_batch,
                                       epoch=epoch)
        if every_batch:
            for i in range(chunk.steps):
                callback_list.on_train_batch_end(step + i, _LazyLogs(
                    lambda i=i: self._pythonify({k: v[i] for k, v in chunk_logs.items()})))
                if self.stop_training:  # as Keras: no batch is reported after the stop
                    break
        else:
            callback_list.on_train_batch_end(step + chunk.steps - 1, self._running_logs())

    # --- evaluate -------------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size: int | None = None, verbose="auto",
                 sample_weight=None, steps=None, callbacks=None, return_dict: bool = False):
        """The loss and metrics on data: a scalar, `[loss, *metrics]`, or a dict."""
        self._assert_compiled("evaluate")
        batch_size = data_module.check_batch_size(batch_size, default=None)
        steps = self._check_steps("steps", steps)
        callback_list = CallbackList(callbacks, model=self, verbose=verbose, epochs=1,
                                     steps=steps)
        self._every_test_batch = callback_list.needs_every_batch("test")
        adapter = self._adapter(x, y, sample_weight, batch_size, "evaluate", steps=steps)
        callback_list.set_params_steps(adapter.display_steps)
        callback_list.on_test_begin()
        logs = self._evaluate_adapter(adapter, callback_list)
        callback_list.on_test_end(logs)
        return self._format_results(logs, return_dict)

    def _running_logs(self) -> _LazyLogs:
        """The metrics' current results, read from the device only if a callback looks."""
        return _LazyLogs(lambda: self._pythonify(self._current_results()))

    def _evaluate_adapter(self, adapter, callbacks: CallbackList) -> dict[str, float]:
        """Run the test steps over the adapter's batches, calling the test batch hooks
        (per compiled call: one batch when a callback acts on every batch)."""
        adapter.reset()  # each evaluation starts at the beginning (as Keras's evaluate)
        if self._runs_keras_step("test"):
            return self._custom_evaluate(adapter, callbacks)
        states = self._fresh_metric_states()
        part = partition(self, training=False)
        builder = self._builder(part, "test")
        frozen = self._inference_values(part)
        distribution = current_distribution(self)
        states = distribution.replicate(states)
        trains = {id(v) for v in partition(self, training=True).trainable}
        penalized = to_device(np.asarray([float(id(part.frozen[i]) in trains)
                                          for i, _ in builder.inference_regularizers], np.float32))
        penalized = distribution.replicate(penalized)
        results, step = None, 0
        for chunk in adapter.chunks(None):
            callbacks.on_test_batch_begin(step)
            states, results = builder.test(states, frozen, chunk.data, chunk.perm, chunk.offset,
                                           np.int32(chunk.steps), penalized,
                                           batch_size=chunk.batch_size)
            self._set_metric_states(states, results)
            step += chunk.steps
            callbacks.on_test_batch_end(step - 1, self._running_logs())
        self._set_metric_states(states, results)
        return self._pythonify(self._current_results())

    def _inference_values(self, part) -> list:
        return current_distribution(self).place_variable_values(part.frozen,
                                                                part.values(FROZEN))

    def _format_results(self, logs: dict, return_dict: bool):
        if return_dict:
            return logs
        # Keras's order (`_flatten_metrics_in_order`): the metrics' names first (the
        # compiled metrics' own names), then other logs by name.
        names = []
        for metric in self.metrics:
            flat = getattr(metric, "flat_names", None)
            names += flat() if flat is not None else [metric.name]
        names = [n for i, n in enumerate(names) if n in logs and n not in names[:i]]
        values = [logs[n] for n in names] + [logs[k] for k in sorted(logs) if k not in names]
        return values[0] if len(values) == 1 else values

    # --- predict --------------------------------------------------------------------------
    def predict(self, x, batch_size: int | None = None, verbose="auto", steps=None,
                callbacks=None):
        """The model's outputs on `x`, batch by batch, as NumPy arrays.

        `x` may be arrays or an iterable of batches (`x` or `(x, ...)` tuples).
        """
        batch_size = data_module.check_batch_size(batch_size, default=None)
        steps = self._check_steps("steps", steps)
        if is_iterable_input(x):
            x = data_module.inputs_only(x)
        callback_list = CallbackList(callbacks, model=self, verbose=verbose, epochs=1,
                                     steps=steps)
        self._every_predict_batch = callback_list.needs_every_batch("predict")
        adapter = self._adapter(x, None, None, batch_size, "predict", steps=steps)
        callback_list.set_params_steps(adapter.display_steps)
        callback_list.on_predict_begin()
        outputs = self._predict_adapter(adapter, callback_list)
        callback_list.on_predict_end()
        return outputs

    def _predict_adapter(self, adapter, callbacks: CallbackList):
        if self._runs_keras_step("predict"):
            return self._custom_predict(adapter, callbacks)
        part = partition(self, training=False)
        builder = self._builder(part, "predict")
        frozen = self._inference_values(part)
        distribution = current_distribution(self)
        step = 0
        if not distribution.traced_loops:  # chunk by chunk; rows of other processes gathered
            outputs = []
            for chunk in adapter.chunks(None):
                callbacks.on_predict_batch_begin(step)
                outputs.append(builder.predict(frozen, chunk.data[0], chunk.perm, chunk.offset,
                                               steps=chunk.steps, batch_size=chunk.batch_size))
                step += chunk.steps
                callbacks.on_predict_batch_end(step - 1, {"outputs": outputs[-1]})
            outputs = distribution.fetch(outputs)
            return jax.tree.map(lambda *parts: np.concatenate([np.asarray(p) for p in parts]),
                                *outputs)
        # One compiled loop per batch size, whatever the chunk's length: the buffer holds
        # the longest chunk, and each chunk keeps the rows it filled.
        plan = getattr(adapter, "plan", None) or [(0, 1, None)]  # iterables: one batch a call
        capacity = max(steps for _, steps, _ in plan)
        parts = []
        for chunk in adapter.chunks(None):
            callbacks.on_predict_batch_begin(step)
            out = builder.predict_loop(frozen, chunk.data[0], chunk.perm, chunk.offset,
                                       np.int32(chunk.steps),
                                       capacity=capacity,
                                       batch_size=chunk.batch_size)
            # Each output has `capacity * rows` rows (rows per batch; see `predict_rows`).
            parts.append(jax.tree.map(
                lambda a: np.asarray(a)[:chunk.steps * (a.shape[0] // capacity)], out))
            step += chunk.steps
            callbacks.on_predict_batch_end(step - 1, {"outputs": parts[-1]})
        return jax.tree.map(lambda *p: np.concatenate(p), *parts)

    # --- single batches -----------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict: bool = False):
        """One training step on exactly this batch; returns loss (and metrics).

        The metrics are reset first, so they describe this batch alone (as Keras 3's
        JAX trainer, which calls `reset_metrics()` in each `train_on_batch`).
        """
        self._assert_compiled("train_on_batch")
        self._every_batch = False
        x, y, sample_weight = self._check_data(x, y, sample_weight, "train_on_batch",
                                               class_weight)
        self._prepare_targets(x, y, sample_weight)
        num = data_module.num_samples(x, "x")
        self._metric_states = self._fresh_metric_states()
        distribution = current_distribution(self)
        if distribution.feeds_local_data:  # this process's rows; the step sees all processes'
            data = distribution.place_local_batch((x, y, sample_weight))
            num *= distribution.num_data_shards
        else:  # the same rows on every process: the global batch
            data = distribution.place_batch((x, y, sample_weight))
        self._train_chunk(data, to_device(np.arange(num, dtype=np.int32)), 0, 1, num,
                          global_key())
        logs = self._pythonify(self._current_results())
        return self._format_results(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict: bool = False):
        """Loss (and metrics) on exactly this batch, without training (the metrics are
        reset first, as Keras's)."""
        self._assert_compiled("test_on_batch")
        x, y, sample_weight = self._check_data(x, y, sample_weight, "test_on_batch")
        num = data_module.num_samples(x, "x")
        return self.evaluate(x, y, batch_size=num, sample_weight=sample_weight, verbose=0,
                             return_dict=return_dict)

    def predict_on_batch(self, x):
        """The model's outputs on exactly this batch."""
        x = data_module.to_numpy(x, "x")
        return self.predict(x, batch_size=data_module.num_samples(x, "x"), verbose=0)

    @staticmethod
    def _pythonify(logs: dict) -> dict[str, float]:
        return {k: float(v) for k, v in jax.device_get(logs).items()}


def _place(distribution, part, carry: TrainCarry, hyper: Hyper):
    """Lay values out as the distribution says (a no-op once they are placed)."""
    replicate = distribution.replicate  # no cross-process traffic (see distribution._put)
    carry = TrainCarry(
        trainable=distribution.place_variable_values(part.trainable, carry.trainable),
        state=distribution.place_variable_values(part.state, carry.state),
        optimizer=carry.optimizer.replace(
            slots=distribution.place_like(part.trainable, carry.optimizer.slots),
            iterations=replicate(carry.optimizer.iterations)),
        metrics=replicate(carry.metrics))
    hyper = Hyper(distribution.place_variable_values(part.frozen, hyper.frozen),
                  replicate(hyper.learning_rate), replicate(hyper.rng),
                  None if hyper.multipliers is None else replicate(hyper.multipliers),
                  None if hyper.epoch is None else replicate(hyper.epoch))
    return carry, hyper


def _unalias(carry, exclude=()):
    """Copy any buffer the carry shares with itself or `exclude`.

    The carry is donated to the compiled step; XLA refuses to donate a buffer
    twice, and a donated buffer must not also be read as another argument.
    """
    seen = {id(leaf) for leaf in jax.tree.leaves(exclude)}

    def fresh(leaf):
        if id(leaf) in seen:
            return jnp.array(leaf, copy=True)
        seen.add(id(leaf))
        return leaf

    return jax.tree.map(fresh, carry)
