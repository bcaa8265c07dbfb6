"""`keras.ops.nn`: activations, convolutions, pooling, normalizations, losses, attention.

Each is also `hoarfrost.ops.<name>`.
"""

from hoarfrost.ops._nn import *  # noqa: F401,F403
from hoarfrost.ops._nn import __all__  # noqa: F401
