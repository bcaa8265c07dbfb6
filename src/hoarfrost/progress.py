"""The progress display of `fit` (Keras's `ProgbarLogger`), drawn with `rich`.

`verbose=1`: a live bar per epoch, redrawn at most every `interval` seconds
(so it never forces a device sync per step), in Keras 3's layout::

    1875/1875 ━━━━━━━━━━━━━━━━━━━━ 3s 1ms/step - accuracy: 0.9312 - loss: 0.2301

`verbose=2`: one such line per epoch, without the bar. `verbose=0`: nothing.
Over several processes only process 0 prints (as Keras). After
`config.disable_interactive_logging()` the lines go to Python's `logging`
(logger "hoarfrost", level INFO) and no bar is drawn, as Keras's absl logging.
"""

from __future__ import annotations

import logging
import sys
import time

from rich.console import Console
from rich.live import Live
from rich.text import Text

from hoarfrost import config
from hoarfrost.callbacks import Callback

BAR_WIDTH = 20


def format_value(value) -> str:
    """Keras's number format: 4 decimals, scientific below 1e-3."""
    value = float(value)
    return f"{value:.4e}" if value != 0 and abs(value) < 1e-3 else f"{value:.4f}"


def format_logs(logs: dict) -> str:
    return "".join(f" - {key}: {format_value(logs[key])}" for key in sorted(logs))


def format_time(seconds: float) -> str:
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{seconds:.0f}s"


def format_per_step(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


class ProgbarLogger(Callback):
    """Prints `fit`'s progress: a live bar (`verbose=1`) or a line per epoch (`verbose=2`).

    Args:
        verbose: 1 or 2, as `fit`'s `verbose` (`'auto'` is resolved by `fit`:
            1 on a terminal, 2 otherwise).
        interval: the least time between two redraws of the bar, in seconds.
        console: where to draw (stdout by default).
    """

    def __init__(self, verbose: int = 1, interval: float = 0.1, console: Console | None = None):
        super().__init__()
        self.verbose = int(verbose)
        self.interval = interval
        self.console = console or Console(file=sys.stdout, highlight=False, soft_wrap=True)
        self._live: Live | None = None
        self._quiet = False

    def on_epoch_begin(self, epoch, logs=None):
        from hoarfrost.distribution import is_writer
        self._start = time.perf_counter()
        self._last_draw = 0.0
        self._seen = 0
        self._quiet = not is_writer()  # several processes: process 0 alone prints
        if self._quiet:
            return
        self._interactive = config.is_interactive_logging_enabled()
        self._write(f"Epoch {epoch + 1}/{self.params.get('epochs', 1)}")
        if self.verbose == 1 and self._interactive:
            self._live = Live(Text(self._line({}, final=False)), console=self.console,
                              auto_refresh=False, transient=True)
            self._live.start()

    def on_train_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        if self._live is None:
            return
        now = time.perf_counter()
        if now - self._last_draw >= self.interval:
            self._last_draw = now
            self._live.update(Text(self._line(dict(logs or {}), final=False)), refresh=True)

    def on_epoch_end(self, epoch, logs=None):
        if self._live is not None:  # the live bar goes; the full final line stays
            self._live.stop()
            self._live = None
        if not self._quiet:
            self._write(self._line(logs or {}, final=True))

    def _write(self, line: str) -> None:
        if getattr(self, "_interactive", True):
            self.console.print(line)
        else:
            logging.getLogger("hoarfrost").info(line)

    def on_train_end(self, logs=None):
        if self._live is not None:  # training stopped mid-epoch
            self._live.stop()
            self._live = None

    def _line(self, logs: dict, final: bool) -> str:
        steps = self.params.get("steps") or self._seen or 1
        elapsed = time.perf_counter() - self._start
        per_step = elapsed / max(1, self._seen)
        metrics = format_logs({k: v for k, v in logs.items()})
        width = len(str(steps))
        if self.verbose == 2:
            return (f"{steps}/{steps} - {format_time(elapsed)} - "
                    f"{format_per_step(per_step)}{metrics}")
        done = min(BAR_WIDTH, int(BAR_WIDTH * self._seen / steps))
        bar = "━" * done + ("╸" if 0 < done < BAR_WIDTH else "") + " " * (BAR_WIDTH - done - (
            1 if 0 < done < BAR_WIDTH else 0))
        timing = elapsed if final else per_step * max(0, steps - self._seen)
        return (f"{self._seen:>{width}}/{steps} {bar} {format_time(timing)} "
                f"{format_per_step(per_step)}{metrics}")
