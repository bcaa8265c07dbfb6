"""Backend helpers Keras programs call: `clear_session`, `floatx`."""

from hoarfrost.naming import clear_session


def floatx() -> str:
    return "float32"


def backend() -> str:
    return "jax"


__all__ = ["clear_session", "floatx", "backend"]
