"""`keras.ops.linalg`: decompositions, solvers, norms (each also `hoarfrost.ops.<name>`)."""

from hoarfrost.ops._linalg import *  # noqa: F401,F403
from hoarfrost.ops._linalg import __all__  # noqa: F401
