"""`MonitorCallback`: the base of callbacks that watch one logged quantity."""

from __future__ import annotations

import operator
import warnings

from hoarfrost.callbacks.callback import Callback


class MonitorCallback(Callback):
    """Base of callbacks that watch one logged quantity (`monitor`) for improvement.

    Args:
        monitor: the key in the epoch logs (`"val_loss"`, `"accuracy"`, ...).
        mode: `"min"`, `"max"` or `"auto"` (from the metric: `loss` and errors
            go down, accuracies, AUC, precision and recall go up).
        baseline: an initial reference value (see each subclass).
        min_delta: the least change that counts as an improvement.
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", baseline=None,
                 min_delta: float = 0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto "
                          "mode.", stacklevel=2)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self) -> None:
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            name = self.monitor.removeprefix("val_")
            if name == "loss":
                self.monitor_op = operator.lt
            metrics = []
            for metric in getattr(self.model, "metrics", None) or []:
                inner = getattr(metric, "metrics", None)  # `compile_metrics` holds several
                metrics.extend(inner if isinstance(inner, list) else [metric])
            for metric in metrics:
                direction = getattr(metric, "_direction", None)
                if metric.name == name and direction is not None:
                    self.monitor_op = operator.gt if direction == "up" else operator.lt
            if self.monitor_op is None:
                raise ValueError(
                    f"{type(self).__name__} callback received monitor={self.monitor!r}, but "
                    "can not tell whether that metric should be maximized or minimized. Pass "
                    "mode='max' to monitor its highest value, or mode='min' for its lowest."
                )
        if self.monitor_op is operator.lt:
            self.min_delta *= -1

    def _is_improvement(self, monitor_value, reference_value) -> bool:
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))
