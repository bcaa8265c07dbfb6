"""Array operations as `keras.ops` has them: Keras's names, signatures and semantics.

Every op accepts arrays, NumPy arrays, Python numbers and hoarfrost Variables
(`ops.matmul(inputs, self.kernel)`), and on the symbolic tensors of a functional
model records a graph node that trains, saves and loads with the model. The
submodules `numpy`, `nn`, `linalg` and `image` are Keras's namespaces
(`ops.image.resize`, `ops.nn.conv`); every name but the image ops is also here.
A name Keras does not have is an AttributeError: no op silently takes another
library's semantics.

Example:
    >>> from hoarfrost import ops
    >>> ops.matmul(ops.ones((1, 2)), ops.ones((2, 3))).shape
    (1, 3)
"""

from hoarfrost.ops import image, linalg, nn, numpy
from hoarfrost.ops._core import *  # noqa: F401,F403
from hoarfrost.ops._core import __all__ as _core_names
from hoarfrost.ops._einops import *  # noqa: F401,F403
from hoarfrost.ops._einops import __all__ as _einops_names
from hoarfrost.ops._linalg import *  # noqa: F401,F403
from hoarfrost.ops._math import *  # noqa: F401,F403
from hoarfrost.ops._math import __all__ as _math_names
from hoarfrost.ops._nn import *  # noqa: F401,F403
from hoarfrost.ops._numpy import *  # noqa: F401,F403

__all__ = sorted({*_core_names, *_einops_names, *linalg.__all__, *_math_names, *nn.__all__,
                  *numpy.__all__, "image", "linalg", "nn", "numpy"})
