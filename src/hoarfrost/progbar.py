"""`Progbar`: Keras's plain-text progress bar, for loops a program writes itself.

The same arguments, averaging rules and output as `keras.utils.Progbar`
(`fit`'s own display is `hoarfrost.progress.ProgbarLogger`). Example::

    bar = Progbar(target=len(batches))
    for i, batch in enumerate(batches, 1):
        loss = step(batch)
        bar.update(i, values=[("loss", loss)])
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time

import numpy as np


def _write(message: str) -> None:
    """To stdout; to the `hoarfrost` logger (INFO) while interactive logging is disabled
    (`hoarfrost.utils.disable_interactive_logging()`), as Keras's `print_msg`."""
    # Looked up, not imported: this module (as the datasets) needs only numpy and the stdlib;
    # logging can only have been disabled through an imported hoarfrost.config.
    config = sys.modules.get("hoarfrost.config")
    if config is not None and not config.is_interactive_logging_enabled():
        logging.getLogger("hoarfrost").info(message.rstrip("\n"))
        return
    try:
        sys.stdout.write(message)
    except UnicodeEncodeError:  # a terminal that cannot print the bar's characters
        encoding = sys.stdout.encoding or "utf-8"
        sys.stdout.write(message.replace("━", "=").encode(encoding, errors="ignore")
                         .decode(encoding))
    sys.stdout.flush()


class Progbar:
    """Displays a progress bar.

    If neither `stateful_metrics` nor `stateless_metrics` is given, every
    value is averaged over the steps before display.

    Args:
        target: total number of steps expected, None if unknown.
        width: the bar's width on screen.
        verbose: 0 (silent), 1 (a bar redrawn in place), 2 (one line at the end).
        interval: least time between two redraws, in seconds.
        stateful_metrics: names of values shown as given (not averaged).
        stateless_metrics: names of values averaged (all others shown as given).
        unit_name: what a step is called ('step', 'sample', ...).
    """

    def __init__(self, target, width: int = 20, verbose: int = 1, interval: float = 0.05,
                 stateful_metrics=None, stateless_metrics=None, unit_name: str = "step"):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Only one of `stateful_metrics` or `stateless_metrics` can be provided. "
                "`stateful_metrics` is used to make metrics stateless by default (with an "
                "exclusion list), while `stateless_metrics` is used to make metrics stateful by "
                "default (with an exclusion list).")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        if stateful_metrics is not None:
            self.stateful_metrics, self.stateless_metrics = set(stateful_metrics), None
        elif stateless_metrics is not None:
            self.stateful_metrics, self.stateless_metrics = None, set(stateless_metrics)
        else:
            self.stateful_metrics, self.stateless_metrics = set(), None
        self._dynamic_display = ((hasattr(sys.stdout, "isatty") and sys.stdout.isatty())
                                 or "ipykernel" in sys.modules or "posix" in sys.modules
                                 or "PYCHARM_HOSTED" in os.environ)
        self._seen_so_far = 0
        self._values: dict = {}
        self._values_order: list = []
        self._start = time.time()
        self._last_update = 0.0
        self._time_at_epoch_start = self._start
        self._time_after_first_step = None
        self._prev_total_width = 0

    def update(self, current: int, values=None, finalize: bool | None = None) -> None:
        """Update the bar to step `current`.

        Args:
            current: index of the current step.
            values: list of `(name, value_for_last_step)`; averaged over
                steps unless the name is stateful.
            finalize: whether this is the last update; defaults to
                `current >= target`.
        """
        if finalize is None:
            finalize = False if self.target is None else current >= self.target
        for k, v in values or []:
            if k not in self._values_order:
                self._values_order.append(k)
            if self.stateful_metrics is not None:
                stateless = k not in self.stateful_metrics
            else:
                stateless = k in self.stateless_metrics
            if stateless:
                if finalize:
                    self._values[k] = [v, 1]
                else:
                    value_base = max(current - self._seen_so_far, 1)
                    if k not in self._values:
                        self._values[k] = [v * value_base, value_base]
                    else:
                        self._values[k][0] += v * value_base
                        self._values[k][1] += value_base
            else:
                self._values[k] = [v, 1]
        self._seen_so_far = current

        message = ""
        special_char_len = 0
        now = time.time()
        time_per_unit = self._estimate_step_duration(current, now)
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            message += "\b" * self._prev_total_width + "\r" if self._dynamic_display else "\n"
            if self.target is not None and self.target > 0:
                numdigits = int(math.log10(self.target)) + 1
                bar = f"\x1b[1m{f'%{numdigits}d/%d' % (current, self.target)}\x1b[0m "
                special_char_len += 8
                prog_width = int(self.width * (float(current) / self.target))
                if prog_width > 0:
                    bar += f"\33[32m{'━' * prog_width}\x1b[0m"
                    special_char_len += 9
                bar += f"\33[37m{'━' * (self.width - prog_width)}\x1b[0m"
                special_char_len += 9
            else:
                bar = "%7d/Unknown" % current
            message += bar
            if self.target is not None and self.target > 0 and not finalize:
                eta = time_per_unit * (self.target - current)
                if eta > 3600:
                    eta_format = "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
                elif eta > 60:
                    eta_format = "%d:%02d" % (eta // 60, eta % 60)
                else:
                    eta_format = "%ds" % eta
                info = f" \x1b[1m{eta_format}\x1b[0m"
            else:
                info = f" \x1b[1m{now - self._start:.0f}s\x1b[0m"
            special_char_len += 8
            info += self._format_time(time_per_unit, self.unit_name)
            for k in self._values_order:
                info += f" - {k}:"
                if isinstance(self._values[k], list):
                    total, count = self._values[k]
                    if not isinstance(total, float):
                        total = np.mean(total)
                    avg = total / max(1, count)
                    info += f" {avg:.4f}" if abs(avg) > 1e-3 else f" {avg:.4e}"
                else:
                    info += f" {self._values[k]}"
            message += info
            total_width = len(bar) + len(info) - special_char_len
            if self._prev_total_width > total_width:
                message += " " * (self._prev_total_width - total_width)
            if finalize:
                message += "\n"
            _write(message)
            self._prev_total_width = total_width
        elif self.verbose == 2:
            if finalize and self.target is not None and self.target > 0:
                numdigits = int(math.log10(self.target)) + 1
                count = f"%{numdigits}d/%d" % (current, self.target)
                info = f"{count} - {now - self._start:.0f}s"
                info += f" -{self._format_time(time_per_unit, self.unit_name)}"
                for k in self._values_order:
                    info += f" - {k}:"
                    total, n = self._values[k]
                    if not isinstance(total, float):
                        total = np.mean(total)
                    avg = total / max(1, n)
                    info += f" {avg:.4f}" if avg > 1e-3 else f" {avg:.4e}"
                _write(info + "\n")
        self._last_update = now

    def add(self, n: int, values=None) -> None:
        """Advance the bar by `n` steps."""
        self.update(self._seen_so_far + n, values)

    @staticmethod
    def _format_time(time_per_unit: float, unit_name: str) -> str:
        if time_per_unit >= 1 or time_per_unit == 0:
            return f" {time_per_unit:.0f}s/{unit_name}"
        if time_per_unit >= 1e-3:
            return f" {time_per_unit * 1000.0:.0f}ms/{unit_name}"
        return f" {time_per_unit * 1000000.0:.0f}us/{unit_name}"

    def _estimate_step_duration(self, current: int, now: float) -> float:
        """Seconds per step, leaving out the (unrepresentative) first step once there are more."""
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            time_per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return time_per_unit
