"""How `fit`'s progress reads: Keras's formats of numbers, times and steps.

The `ProgbarLogger` callback (`hoarfrost.callbacks.progbar_logger`) draws its
bar and lines with them, in Keras 3's layout::

    1875/1875 ━━━━━━━━━━━━━━━━━━━━ 3s 1ms/step - accuracy: 0.9312 - loss: 0.2301
"""

from __future__ import annotations

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
