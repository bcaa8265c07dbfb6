"""The Trainer's data in: user data checked and wrapped in an adapter (arrays or an
iterable of batches) before anything compiles, with the number of steps per compiled call.

`DataFeed` is a mixin of `engine.trainer.Trainer`: it uses the trainer's compiled
state (the loss, the output layout), its flags for callbacks that act on every
batch, and whether the model runs its own step. The checks themselves are
`engine/data.py`'s.
"""

from __future__ import annotations

from hoarfrost.distribution import current as current_distribution
from hoarfrost.engine import data as data_module
from hoarfrost.engine.adapters import ArrayAdapter, IterableAdapter, is_iterable_input
from hoarfrost.engine.compiled_state import implements_call, output_spec

#: The step each public method runs.
_KIND = {"fit": "train", "train_on_batch": "train", "evaluate": "test", "test_on_batch": "test",
         "validation": "test", "predict": "predict"}


class DataFeed:
    """`fit` / `evaluate` / `predict`'s data as checked adapters (a mixin of the Trainer)."""

    def _adapter(self, x, y, sample_weight, batch_size, method: str, shuffle=False,
                 steps=None, class_weight=None):
        """An adapter over arrays or an iterable, checked before anything compiles."""
        if is_iterable_input(x):
            if y is not None:
                raise ValueError(f"{method}(): when `x` is a generator or iterable of batches, "
                                 "do not pass `y`; yield (x, y) tuples instead.")
            adapter = IterableAdapter(
                x, steps, lambda bx, by, bw: self._check_data(bx, by, bw, method, class_weight,
                                                              batch=True),
                distribution=current_distribution(self), shuffle=shuffle)
            first = adapter.first_batch()
        else:
            first = self._check_data(x, y, sample_weight, method, class_weight)
            distribution = current_distribution(self)
            if batch_size is None:  # Keras: enough rows per batch for `steps` batches, else 32
                num = data_module.num_samples(first[0], "x")
                batch_size = -(-num // steps) if steps else 32
            distribution.check_batch_size(batch_size)
            adapter = ArrayAdapter(first, batch_size, self._spe_for(method), shuffle,
                                   distribution=distribution, steps=steps)
        if method == "predict":
            if implements_call(self) or not self._runs_keras_step("predict"):
                output_spec(self, first[0])
        else:
            self._prepare_targets(*first)
        return adapter

    @staticmethod
    def _check_steps(argument: str, steps) -> int | None:
        if steps is None:
            return None
        if isinstance(steps, bool) or int(steps) != steps or steps < 1:
            raise ValueError(f"`{argument}` must be a positive integer or None, got {steps!r}.")
        return int(steps)

    def _spe_for(self, method: str) -> int:
        per_batch = {"fit": self._every_batch, "evaluate": self._every_test_batch,
                     "validation": self._every_test_batch,
                     "predict": self._every_predict_batch}.get(method, False)
        if per_batch and self.steps_per_execution == "auto":
            return 1  # a callback sees every batch; its change applies at the next step
        return self._compiled.steps_per_call

    def _check_data(self, x, y, sample_weight, method: str, class_weight=None,
                    batch: bool = False):
        """Checked data; with `batch` (each batch of an iterable), its labels are checked
        too against the outputs the first batch fixed (on the host, per batch: cheap)."""
        name = getattr(self._loss_obj, "name", None)
        label = None if self._loss_obj is None else (f"'{name}'." if name else f"{self.loss!r}.")
        kind = _KIND.get(method)
        checked = data_module.check_data(
            x, y, sample_weight, method, class_weight,
            targets_required=kind is None or not self._runs_keras_step(kind),
            loss_label=label,
            layout=self._output_layout,
            per_output=getattr(self, "_outputs_struct", None) is not None, batch=batch)
        if batch and checked[1] is not None and self._compiled.loss_fn is not None:
            self._compiled.loss_fn.check_values(checked[1])
        return checked

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
        return self._adapter(val_x, val_y, rest[0] if rest else None, batch_size, "validation",
                             steps=steps)
