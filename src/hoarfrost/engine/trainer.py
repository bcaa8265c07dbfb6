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
from hoarfrost.engine import compile_utils
from hoarfrost.engine import data as data_module
from hoarfrost.engine.adapters import ArrayAdapter, IterableAdapter, is_iterable_input
from hoarfrost.distribution import current as current_distribution
from hoarfrost.engine.partition import partition
from hoarfrost.engine.step import Hyper, StepBuilder, TrainCarry
from hoarfrost.random import global_key
from hoarfrost.variables import StatelessScope


class Trainer:
    """Mixin giving a model the Keras training API on the pure engine."""

    def __init__(self):
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self.steps_per_execution = 1
        self._loss_obj = None
        self._metric_identifiers: list = []
        self._compile_config = compile_utils.CompileConfig()
        self._compiled_loss = None
        self._layout = None
        self._metric_routes = None
        self._metrics: list | None = None
        self._metric_states = None
        self._results_of = (None, None)  # (states, their results from the compiled step)
        self._builders: dict = {}
        self.trace_counts = {"train": 0, "test": 0, "predict": 0}
        self._every_batch = False

    # --- compile -----------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly: bool = False,
                steps_per_execution: int | str = "auto", jit_compile="auto",
                lr_multipliers: dict | None = None, **kwargs) -> None:
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
        """
        if kwargs:
            raise TypeError(f"compile(): unrecognized arguments {sorted(kwargs)}.")
        # Resolve everything first: a compile that fails changes nothing.
        resolved = optimizers_module.get(optimizer)
        if (isinstance(optimizer, str) and self.optimizer is not None
                and type(self.optimizer) is type(resolved)):
            resolved = self.optimizer  # a name, not a reset: keep the slots
        config = compile_utils.CompileConfig(loss, loss_weights, metrics, weighted_metrics)
        if getattr(self, "_outputs_struct", None) is not None:  # functional: check now
            config.check(compile_utils.output_layout(self))
        if steps_per_execution != "auto" and int(steps_per_execution) < 1:
            raise ValueError(f"steps_per_execution must be >= 1, got {steps_per_execution!r}.")
        self.optimizer = resolved
        if lr_multipliers is not None:
            resolved.lr_multipliers = dict(lr_multipliers)
        self.loss = loss
        self._loss_obj = config.loss_objects
        self._metric_identifiers = config.identifiers()
        self._compile_config = config
        self._compiled_loss = None
        self._layout = None
        self._metrics = None
        self._metric_states = None
        self._builders.clear()
        self.steps_per_execution = steps_per_execution
        self.compiled = True

    def _assert_compiled(self, method: str) -> None:
        if not self.compiled:
            raise RuntimeError(
                f"You must call compile() before {method}(): the model does not know its "
                "optimizer and loss yet. Example: model.compile(optimizer='adam', loss='mse')."
            )
        if self._loss_obj is None:
            raise ValueError(
                f"{method}(): no loss was given to compile(); pass loss=... (e.g. 'mse')."
            )

    @property
    def metrics(self) -> list:
        """The loss tracker followed by the compiled metrics (once resolved)."""
        return list(self._metrics or [])

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        self._metric_states = None

    def reset_optimizer_state(self, *selectors) -> None:
        """Forget optimizer slots (all, or those of the selected variables).

        Freezing and unfreezing keep a variable's slots; this is the call for
        when you want them gone. Selectors as for `freeze` (layers, names,
        globs, regexes, variables, or lists of them).
        """
        from hoarfrost.selectors import selected_variables
        if self.optimizer is None:
            return
        flat = []
        for selector in selectors:
            flat.extend(selector if isinstance(selector, (list, tuple)) else [selector])
        self.optimizer.reset_slots(selected_variables(self, flat) if flat else None)

    # --- preparation shared by fit / evaluate / predict ------------------------------------
    def _output_spec(self, x):
        """Abstractly run the model on one batch: checks shapes before any compile."""
        spec = jax.tree.map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype), x)
        # A symbolic scope: what layers assign (seed generators' states) is dropped.
        with StatelessScope(symbolic=True):
            return jax.eval_shape(lambda inputs: self(inputs, training=False), spec)

    def _output_layout(self, x, spec=None) -> compile_utils.OutputLayout:
        """How many outputs the model has and their names (cached until `compile`)."""
        if self._layout is None:
            if getattr(self, "_outputs_struct", None) is None and spec is None:
                spec = self._output_spec(x)
            self._layout = compile_utils.output_layout(self, spec)
        return self._layout

    def _prepare_targets(self, x, y) -> None:
        spec = self._output_spec(x)
        layout = self._output_layout(x, spec)
        config = self._compile_config
        if self._compiled_loss is None:
            self._compiled_loss = compile_utils.CompiledLoss(
                config.losses_for(layout), config.weights_for(layout), layout)
        if y is not None:
            self._compiled_loss.check_targets(y, spec, compile_utils.metric_outputs(config, layout))
        if self._metrics is None:
            self._metrics, self._metric_routes = compile_utils.build_metrics(
                config, layout, self._compiled_loss, y, spec)

    def _fresh_metric_states(self) -> list:
        return [m.initial_state() for m in self._metrics]

    def _set_metric_states(self, states, results=None) -> None:
        """Keep the metrics' states, and their results when the compiled step made them."""
        self._metric_states = states
        self._results_of = (states, results)

    def _current_results(self) -> dict:
        """The current results: those the step computed, or computed now."""
        states, results = self._results_of
        if results is None or states is not self._metric_states:
            results = _metric_results(self._metrics, self._metric_states)
        return results

    def _builder(self, part, kind: str) -> StepBuilder:
        schedule = id(self.optimizer._schedule) if kind == "train" else None
        distribution = current_distribution(self)
        key = (kind, part.key, id(self.optimizer), schedule, id(distribution))
        if key not in self._builders:
            self._builders[key] = StepBuilder(
                self, part, loss_fn=self._compiled_loss, metrics=self._metrics or [],
                optimizer=self.optimizer if kind == "train" else None,
                on_trace=self._count_trace, distribution=distribution,
                routes=self._metric_routes)
        return self._builders[key]

    def _count_trace(self, kind: str) -> None:
        self.trace_counts[kind] += 1

    # --- one chunk of training steps ------------------------------------------------------
    def _train_chunk(self, data, perm, offset: int, steps: int, batch_size: int, rng,
                     step_logs: bool = False, epoch: int | None = None):
        part = partition(self, training=True)
        builder = self._builder(part, "train")
        optimizer = self.optimizer
        carry = TrainCarry(
            trainable=[v.value for v in part.trainable],
            state=[v.value for v in part.state],
            slots=optimizer.slots_of(part.trainable),
            iterations=optimizer.iterations.value,
            metrics=self._metric_states,
        )
        multipliers = None
        if optimizer.lr_multipliers:
            multipliers = jnp.asarray([optimizer.multiplier_for(v) for v in part.trainable],
                                      jnp.float32)
        hyper = Hyper([v.value for v in part.frozen], optimizer._learning_rate.value, rng,
                      multipliers, None if epoch is None else np.int32(epoch))
        carry = _unalias(carry, exclude=(hyper, data, perm))
        distribution = current_distribution(self)
        if distribution is not None:
            carry, hyper = _place(distribution, part, carry, hyper)
        # Per-step logs for callbacks need a scan of static length; so do collectives
        # over virtual CPU devices (seen stalling in a loop of traced length on 2 cores).
        if step_logs or distribution is not None:
            carry, logs, results = builder.train(carry, hyper, data, perm, offset, steps=steps,
                                                 batch_size=batch_size, step_logs=step_logs)
        else:
            (carry, results), logs = builder.train_loop(carry, hyper, data, perm, offset,
                                                        np.int32(steps),
                                                        batch_size=batch_size), None
        for variable, value in zip(part.trainable, carry.trainable):
            variable._value = value
        for variable, value in zip(part.state, carry.state):
            variable._value = value
        for variable, slots in zip(part.trainable, carry.slots):
            optimizer._slots[variable] = slots
        optimizer.iterations._value = carry.iterations
        self._set_metric_states(carry.metrics, results)
        return logs

    # --- data ----------------------------------------------------------------------------
    def _adapter(self, x, y, sample_weight, batch_size, method: str, shuffle=False,
                 steps=None, class_weight=None):
        """An adapter over arrays or an iterable, checked before anything compiles."""
        if is_iterable_input(x):
            if y is not None:
                raise ValueError(f"{method}(): when `x` is a generator or iterable of batches, "
                                 "do not pass `y`; yield (x, y) tuples instead.")
            adapter = IterableAdapter(
                x, steps, lambda bx, by, bw: self._check_data(bx, by, bw, method, class_weight),
                distribution=current_distribution(self))
            first = adapter.first_batch()
        else:
            first = self._check_data(x, y, sample_weight, method, class_weight)
            distribution = current_distribution(self)
            if distribution is not None:
                distribution.check_batch_size(batch_size)
            adapter = ArrayAdapter(first, batch_size, self._spe_for(method), shuffle,
                                   distribution=distribution)
        if method == "predict":
            self._output_spec(first[0])
        else:
            self._prepare_targets(first[0], first[1])
        return adapter

    def _spe_for(self, method: str) -> int:
        if method == "fit" and self._every_batch and self.steps_per_execution == "auto":
            return 1  # so a callback's change applies at the very next step
        return self._steps_per_execution_value()

    def _steps_per_execution_value(self) -> int:
        return 32 if self.steps_per_execution == "auto" else int(self.steps_per_execution)

    def _check_data(self, x, y, sample_weight, method: str, class_weight=None):
        if x is None:
            raise ValueError(f"{method}(): `x` is required.")
        x = data_module.to_numpy(x, "x")
        y = data_module.to_numpy(y, "y")
        sample_weight = data_module.to_numpy(sample_weight, "sample_weight")
        if y is None and method != "predict":
            name = getattr(self._loss_obj, "name", None)
            raise ValueError(f"{method}(): targets `y` are required with loss "
                             + (f"'{name}'." if name else f"{self.loss!r}."))
        data_module.check_same_count(x, y, sample_weight)
        data_module.check_finite(x, "x")
        if y is not None:
            data_module.check_finite(y, "y")
        if sample_weight is not None:
            data_module.check_finite(sample_weight, "sample_weight")
        if y is not None and (getattr(self, "_outputs_struct", None) is not None
                              or isinstance(y, (list, tuple, dict))
                              or isinstance(sample_weight, (list, tuple, dict))):
            layout = self._output_layout(x)  # one array per output, in output order
            y = compile_utils.standardize(y, layout, "y")
            sample_weight = compile_utils.standardize(sample_weight, layout, "sample_weight")
            if class_weight is not None and layout.count > 1:
                raise ValueError(
                    f"{method}(): `class_weight` works for one output; this model has "
                    f"{layout.describe()}. Pass `sample_weight` per output instead.")
        if class_weight is not None:
            sample_weight = _class_sample_weights(y, class_weight, sample_weight)
        return x, y, sample_weight

    # --- fit ----------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size: int | None = None, epochs: int = 1,
            verbose="auto", callbacks=None, validation_split: float = 0.0,
            validation_data=None, shuffle: bool = True, class_weight=None, sample_weight=None,
            initial_epoch: int = 0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq: int = 1):
        """Train for `epochs` epochs; returns a `History`.

        Arguments, defaults and logs follow Keras (`batch_size=32`,
        `validation_split` takes the last fraction before shuffling). `x` may
        be arrays (put on the device once and shuffled there) or an iterable
        of `(x, y[, sample_weight])` batches (streamed, with prefetch). A
        callback may change any `trainable` flag; the next step honours it.
        """
        from hoarfrost.callbacks import CallbackList, History
        self._assert_compiled("fit")
        batch_size = _check_batch_size(batch_size)
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
            if validation is not None and (epoch + 1) % validation_freq == 0:
                callback_list.on_test_begin()
                val_logs = self._evaluate_adapter(validation)
                callback_list.on_test_end(val_logs)
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callback_list.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
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
                callback_list.on_train_batch_end(
                    step + i, {k: v[i] for k, v in chunk_logs.items()})
        else:
            callback_list.on_train_batch_end(step + chunk.steps - 1, _LazyLogs(self))

    def _validation_adapter(self, validation_data, batch_size, steps):
        if is_iterable_input(validation_data):
            return self._adapter(validation_data, None, None, batch_size, "validation",
                                 steps=steps)
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError(
                "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
                f"val_sample_weight), or an iterable of batches; got "
                f"{type(validation_data).__name__}"
                + (f" of length {len(validation_data)}" if hasattr(validation_data, "__len__")
                   else "") + "."
            )
        val_x, val_y, *rest = validation_data
        return self._adapter(val_x, val_y, rest[0] if rest else None, batch_size, "validation")

    # --- evaluate -------------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size: int | None = None, verbose="auto",
                 sample_weight=None, steps=None, callbacks=None, return_dict: bool = False):
        """The loss and metrics on data: a scalar, `[loss, *metrics]`, or a dict."""
        self._assert_compiled("evaluate")
        batch_size = _check_batch_size(batch_size)
        adapter = self._adapter(x, y, sample_weight, batch_size, "evaluate", steps=steps)
        # User callbacks get evaluate's begin and end (the batches run in compiled chunks).
        from hoarfrost.callbacks import CallbackList
        callback_list = CallbackList(callbacks, model=self, verbose=0)
        callback_list.on_test_begin()
        logs = self._evaluate_adapter(adapter)
        callback_list.on_test_end(logs)
        return self._format_results(logs, return_dict)

    def _evaluate_adapter(self, adapter) -> dict[str, float]:
        states = self._fresh_metric_states()
        part = partition(self, training=False)
        builder = self._builder(part, "test")
        frozen = self._inference_values(part)
        distribution = current_distribution(self)
        if distribution is not None:
            states = distribution.replicate(states)
        trains = {id(v) for v in partition(self, training=True).trainable}
        penalized = jnp.asarray([float(id(part.frozen[i]) in trains)
                                 for i, _ in builder.inference_regularizers], jnp.float32)
        if distribution is not None:
            penalized = distribution.replicate(penalized)
        results = None
        for chunk in adapter.chunks(None):
            states, results = builder.test(states, frozen, chunk.data, chunk.perm, chunk.offset,
                                           np.int32(chunk.steps), penalized,
                                           batch_size=chunk.batch_size)
        self._set_metric_states(states, results)
        return self._pythonify(self._current_results())

    def _inference_values(self, part) -> list:
        values = [v.value for v in part.frozen]
        distribution = current_distribution(self)
        if distribution is not None:
            values = distribution.place_variable_values(part.frozen, values)
        return values

    def _format_results(self, logs: dict, return_dict: bool):
        if return_dict:
            return logs
        values = [logs[m.name] for m in self._metrics]
        return values[0] if len(values) == 1 else values

    # --- predict --------------------------------------------------------------------------
    def predict(self, x, batch_size: int | None = None, verbose="auto", steps=None,
                callbacks=None):
        """The model's outputs on `x`, batch by batch, as NumPy arrays.

        `x` may be arrays or an iterable of batches (`x` or `(x, ...)` tuples).
        """
        batch_size = _check_batch_size(batch_size)
        if is_iterable_input(x):
            x = _inputs_only(x)
        adapter = self._adapter(x, None, None, batch_size, "predict", steps=steps)
        from hoarfrost.callbacks import CallbackList
        callback_list = CallbackList(callbacks, model=self, verbose=0)
        callback_list.on_predict_begin()
        outputs = self._predict_adapter(adapter)
        callback_list.on_predict_end()
        return outputs

    def _predict_adapter(self, adapter):
        part = partition(self, training=False)
        builder = self._builder(part, "predict")
        frozen = self._inference_values(part)
        distribution = current_distribution(self)
        if distribution is not None:  # rows other processes computed are gathered too
            outputs = distribution.fetch([
                builder.predict(frozen, chunk.data[0], chunk.perm, chunk.offset,
                                steps=chunk.steps, batch_size=chunk.batch_size)
                for chunk in adapter.chunks(None)])
            return jax.tree.map(lambda *parts: np.concatenate([np.asarray(p) for p in parts]),
                                *outputs)
        # One compiled loop per batch size, whatever the chunk's length: the buffer holds
        # the longest chunk, and each chunk keeps the rows it filled.
        plan = getattr(adapter, "plan", None) or [(0, 1, None)]  # iterables: one batch a call
        capacity = max(steps for _, steps, _ in plan)
        parts = []
        for chunk in adapter.chunks(None):
            out = builder.predict_loop(frozen, chunk.data[0], chunk.perm, chunk.offset,
                                       np.int32(chunk.steps),
                                       capacity=capacity,
                                       batch_size=chunk.batch_size)
            rows = chunk.steps * chunk.batch_size
            parts.append(jax.tree.map(lambda a: np.asarray(a)[:rows], out))
        return jax.tree.map(lambda *p: np.concatenate(p), *parts)

    # --- single batches -----------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict: bool = False):
        """One training step on exactly this batch; returns loss (and metrics).

        Metrics accumulate across calls until `reset_metrics()`, as in Keras 3.
        """
        self._assert_compiled("train_on_batch")
        self._every_batch = False
        x, y, sample_weight = self._check_data(x, y, sample_weight, "train_on_batch",
                                               class_weight)
        self._prepare_targets(x, y)
        num = data_module.num_samples(x, "x")
        if self._metric_states is None:
            self._metric_states = self._fresh_metric_states()
        distribution = current_distribution(self)
        if distribution is None:
            data = data_module.to_device((x, y, sample_weight))
        elif distribution.feeds_local_data:  # this process's rows; the step sees all processes'
            data = distribution.place_local_batch((x, y, sample_weight))
            num *= distribution.num_data_shards
        else:  # the same rows on every process: the global batch
            data = distribution.place_batch((x, y, sample_weight))
        self._train_chunk(data, jnp.asarray(np.arange(num, dtype=np.int32)), 0, 1, num,
                          global_key())
        logs = self._pythonify(self._current_results())
        return self._format_results(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict: bool = False):
        """Loss (and metrics) on exactly this batch, without training."""
        self._assert_compiled("test_on_batch")
        x, y, sample_weight = self._check_data(x, y, sample_weight, "test_on_batch")
        num = data_module.num_samples(x, "x")
        return self.evaluate(x, y, batch_size=num, sample_weight=sample_weight,
                             return_dict=return_dict)

    def predict_on_batch(self, x):
        """The model's outputs on exactly this batch."""
        x = data_module.to_numpy(x, "x")
        return self.predict(x, batch_size=data_module.num_samples(x, "x"))

    @staticmethod
    def _pythonify(logs: dict) -> dict[str, float]:
        return {k: float(v) for k, v in jax.device_get(logs).items()}


class _LazyLogs(dict):
    """Running logs read from the device only if a callback looks at them."""

    def __init__(self, model):
        super().__init__()
        self._model = model

    def _load(self):
        if not super().__len__():
            self.update(self._model._current_results())

    def __getitem__(self, key):
        self._load()
        return super().__getitem__(key)

    def items(self):
        self._load()
        return super().items()

    def keys(self):
        self._load()
        return super().keys()

    def __iter__(self):
        self._load()
        return super().__iter__()

    def __len__(self):
        self._load()
        return super().__len__()


def _place(distribution, part, carry: TrainCarry, hyper: Hyper):
    """Lay values out as the distribution says (a no-op once they are placed)."""
    replicate = distribution.replicate  # no cross-process traffic (see distribution._put)
    carry = TrainCarry(
        trainable=distribution.place_variable_values(part.trainable, carry.trainable),
        state=distribution.place_variable_values(part.state, carry.state),
        slots=distribution.place_like(part.trainable, carry.slots),
        iterations=replicate(carry.iterations),
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


def _metric_results(metrics, states) -> dict:
    return {m.name: m.compute(s) for m, s in zip(metrics, states)}


def _inputs_only(iterable):
    """Batches of inputs from an iterable of `x` or `(x, ...)` (for predict)."""

    class Inputs:
        def __iter__(self):
            for batch in iterable:
                yield (batch[0] if isinstance(batch, tuple) else batch,)

    return Inputs()


def _class_sample_weights(y, class_weight: dict, sample_weight):
    """Per-sample weights from a `{class: weight}` dict (labels or one-hot targets)."""
    labels = np.asarray(y)
    if labels.ndim > 1 and labels.shape[-1] > 1:
        labels = labels.argmax(-1)
    labels = labels.reshape(len(labels), -1)[:, 0].astype(np.int64)
    unknown = sorted(set(np.unique(labels).tolist()) - set(int(k) for k in class_weight))
    if unknown:
        raise ValueError(f"class_weight has no weight for classes {unknown}; it covers "
                         f"{sorted(int(k) for k in class_weight)}.")
    table = np.zeros(max(int(k) for k in class_weight) + 1, np.float32)
    for key, value in class_weight.items():
        table[int(key)] = value
    weights = table[labels]
    return weights if sample_weight is None else weights * np.asarray(sample_weight, np.float32)


def _check_batch_size(batch_size) -> int:
    if batch_size is None:
        return 32
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    return int(batch_size)
