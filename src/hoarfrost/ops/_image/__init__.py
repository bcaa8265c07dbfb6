"""`keras.ops.image`: resizing, affine and perspective warps, colour spaces, patches, filters.

Keras 3's `keras/src/ops/image.py` as its JAX backend runs it. Images are
`(height, width, channels)` or batched `(batch, height, width, channels)`
("channels_last", the default), or channels first with `data_format`.
One module per family: `color`, `sizing`, `warps`, `filters`, `patches`, and
what they share in `common`.
"""

from __future__ import annotations

# What the single module imported, still importable from it.
import functools  # noqa: F401

import jax  # noqa: F401
import jax.numpy as jnp  # noqa: F401
import numpy as np  # noqa: F401

from hoarfrost.ops._core import saturate_cast  # noqa: F401
from hoarfrost.ops._image import color, filters, patches, sizing, warps
from hoarfrost.ops._image.color import *  # noqa: F401,F403
from hoarfrost.ops._image.color import _float_images  # noqa: F401
from hoarfrost.ops._image.common import (FILL_MODES, RESIZE_INTERPOLATIONS,  # noqa: F401
                                         SCALE_AND_TRANSLATE_METHODS, WARP_INTERPOLATIONS,
                                         _batched, _channels_axis, _check_choice, _check_rank,
                                         _image_op)
from hoarfrost.ops._image.filters import *  # noqa: F401,F403
from hoarfrost.ops._image.filters import _depthwise_nchw, _gaussian_kernel  # noqa: F401
from hoarfrost.ops._image.patches import *  # noqa: F401,F403
from hoarfrost.ops._image.patches import _patches  # noqa: F401
from hoarfrost.ops._image.sizing import *  # noqa: F401,F403
from hoarfrost.ops._image.sizing import _check_two_of, _edges, _spatial_axes  # noqa: F401
from hoarfrost.ops._image.warps import *  # noqa: F401,F403
from hoarfrost.ops._image.warps import _elastic, _homography, _seed_key  # noqa: F401
from hoarfrost.ops._nn import conv  # noqa: F401
from hoarfrost.ops._operation import (compiled, keras_op,  # noqa: F401
                                      standardize_data_format, tensor)
from hoarfrost.random import draw_key  # noqa: F401

__all__ = sorted([*color.__all__, *filters.__all__, *patches.__all__, *sizing.__all__,
                  *warps.__all__])

# Each op keeps the module it had before the package was split, so that what records a
# function's module (a Lambda layer's saved config, a pickle) writes the same as before.
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
