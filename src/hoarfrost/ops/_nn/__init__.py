"""`keras.ops.nn`: activations, convolutions and pooling, normalizations, losses, attention.

Keras 3's `keras/src/ops/nn.py` as its JAX backend runs it. Image-like ops
take Keras's layouts: inputs `(batch, *spatial, channels)` ("channels_last",
the default) or `(batch, channels, *spatial)`, kernels `(*spatial, in, out)`.
One module per family: `activations`, `convolution` (and pooling), `encoding`,
`losses`, `normalization`, `attention`, `blocks` (im2col, depth / space).
"""

from __future__ import annotations

# What the single module imported, still importable from it.
import math  # noqa: F401
import warnings  # noqa: F401

import jax  # noqa: F401
import jax.numpy as jnp  # noqa: F401
from jax import lax  # noqa: F401
from jax import nn as jnn  # noqa: F401

from hoarfrost.ops._nn import (activations, attention, blocks, convolution, encoding, losses,
                               normalization)
from hoarfrost.ops._nn.activations import *  # noqa: F401,F403
from hoarfrost.ops._nn.activations import _over_axes  # noqa: F401
from hoarfrost.ops._nn.attention import *  # noqa: F401,F403
from hoarfrost.ops._nn.blocks import *  # noqa: F401,F403
from hoarfrost.ops._nn.blocks import _pair_of  # noqa: F401
from hoarfrost.ops._nn.convolution import *  # noqa: F401,F403
from hoarfrost.ops._nn.convolution import (_adaptive_pool, _channels,  # noqa: F401
                                           _check_in_channels, _check_padding,
                                           _dimension_numbers, _spatial, _transpose_padding,
                                           _windows, _with_batch_and_channels)
from hoarfrost.ops._nn.encoding import *  # noqa: F401,F403
from hoarfrost.ops._nn.losses import *  # noqa: F401,F403
from hoarfrost.ops._nn.losses import (_ctc_beam_search_decode,  # noqa: F401
                                      _ctc_greedy_decode, _log_probabilities)
from hoarfrost.ops._nn.normalization import *  # noqa: F401,F403
from hoarfrost.ops._operation import compiled, keras_op, standardize_data_format  # noqa: F401
from hoarfrost.ops._operation import epsilon as config_epsilon  # noqa: F401
from hoarfrost.ops._operation import standardize_dtype, tensor  # noqa: F401

__all__ = sorted([*activations.__all__, *attention.__all__, *blocks.__all__,
                  *convolution.__all__, *encoding.__all__, *losses.__all__,
                  *normalization.__all__])

# Each op keeps the module it had before the package was split, so that what records a
# function's module (a Lambda layer's saved config, a pickle) writes the same as before.
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
