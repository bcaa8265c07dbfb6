"""`keras.ops.numpy`: the NumPy-like ops (each also `hoarfrost.ops.<name>`)."""

from hoarfrost.ops._numpy import *  # noqa: F401,F403
from hoarfrost.ops._numpy import __all__  # noqa: F401
