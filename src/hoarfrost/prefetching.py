"""Producing the next elements of an iterator on a background thread.

Used by `hoarfrost.data.Dataset.prefetch` and by `fit`'s data adapters; the
thread stops, and the source is closed, as soon as the consumer stops.
"""

from __future__ import annotations

import queue
import threading
from typing import Callable, Iterator


class Closing:
    """Closes an iterator it did not exhaust (so a prefetching thread upstream stops)."""

    def __init__(self, iterator: Iterator):
        self.iterator = iterator

    def __enter__(self) -> Iterator:
        return self.iterator

    def __exit__(self, *exc) -> None:
        close = getattr(self.iterator, "close", None)
        if close is not None:
            close()


def prefetched(make: Callable[[], Iterator], depth: int) -> Iterator:
    """Elements of `make()` produced on a background thread, `depth` ahead of the caller."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def work():
        try:
            with Closing(make()) as source:
                for element in source:
                    if stop.is_set():
                        return
                    buffer.put((element, None))
            buffer.put((done, None))
        except BaseException as error:  # raised in the consumer
            buffer.put((None, error))

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        while True:
            element, error = buffer.get()
            if error is not None:
                raise error
            if element is done:
                return
            yield element
    finally:
        stop.set()
        while thread.is_alive():
            try:
                buffer.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.01)
