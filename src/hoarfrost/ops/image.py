"""`keras.ops.image`: resizing, warps, colour spaces, patches, filters (only here, as in Keras)."""

from hoarfrost.ops._image import *  # noqa: F401,F403
from hoarfrost.ops._image import __all__  # noqa: F401
