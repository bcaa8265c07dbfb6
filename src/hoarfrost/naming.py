"""Keras-style unique names: `dense`, `dense_1`, `dense_2`, ..."""

from __future__ import annotations

import re
from collections import defaultdict

_counters: dict[str, int] = defaultdict(int)
_uids: dict[str, int] = defaultdict(int)


def to_snake_case(name: str) -> str:
    """Keras's rule, digits included: `Conv2D` -> `conv2d`, `MaxPooling1D` -> `max_pooling1d`."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name)
    return name.lower()


def unique_name(base: str) -> str:
    """The first free name in the sequence `base`, `base_1`, `base_2`, ..."""
    count = _counters[base]
    _counters[base] += 1
    return base if count == 0 else f"{base}_{count}"


def get_uid(prefix: str = "") -> int:
    """1, 2, 3, ... per prefix, as Keras's `backend.get_uid` (reset by `clear_session`)."""
    _uids[prefix] += 1
    return _uids[prefix]


def clear_session() -> None:
    """Reset the name counters, as `keras.backend.clear_session()` does."""
    _counters.clear()
    _uids.clear()
