"""`TensorOp`: an operation on symbolic tensors, as a layer of a functional model.

In Keras 3, `x + y`, `x[:, 0]` or `ops.mean(x, axis=1)` on the symbolic
tensors of a functional model add a node to the graph. Here such a call makes
a `TensorOp`: it records the operation's name and its arguments (tensors by
position, everything else as JSON), replays it on arrays, and saves with the
model like any layer.

A saved graph names its operations by string, so they are resolved only from
`ALLOWED_OPS`, a fixed set of pure array operations (Keras's op names): a
crafted file can not reach `load`, `save` or anything else with effects.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from hoarfrost import ops
from hoarfrost.layers.layer import Layer
from hoarfrost.naming import unique_name
from hoarfrost.symbolic import is_keras_tensor, set_op_recorder

# The operations a graph node may name: Keras's `keras.ops` names that are pure
# array operations (without those taking Python callables: cond, scan, map,
# while_loop, ...), `ops.image`'s as `image.<name>`, and indexing. Kept literal, so
# that nothing a file says can widen it.
ALLOWED_OPS = frozenset("""
abs absolute adaptive_average_pool adaptive_max_pool add all allclose amax amin angle any
append arange arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax argmin
argpartition argsort array array_split average average_pool bartlett batch_normalization
binary_crossentropy bincount bitwise_and bitwise_invert bitwise_left_shift bitwise_not
bitwise_or bitwise_right_shift bitwise_xor blackman broadcast_to cast
categorical_crossentropy cbrt cdist ceil celu cholesky cholesky_inverse clip concatenate
conj conjugate conv conv_transpose convert_to_tensor copy corrcoef correlate cos cosh
count_nonzero cross ctc_decode ctc_loss cumprod cumsum deg2rad depth_to_space depthwise_conv
det diag diagflat diagonal diff digitize divide divide_no_nan dot dot_product_attention
dsplit dstack eig eigh einsum elu empty empty_like equal erf erfc erfinv exp exp2
expand_dims expm1 extract_sequences eye fabs fft fft2 flip fliplr flipud floor floor_divide
fmax fmin fmod fold full full_like gcd gelu geomspace get_item getitem glu greater
greater_equal hamming hanning hard_shrink hard_sigmoid hard_silu hard_swish hard_tanh
heaviside histogram hsplit hstack hypot i0 identity ifft2 imag in_top_k inner inv irfft
isclose isfinite isin isinf isnan isneginf isposinf isreal istft kaiser kron
layer_normalization lcm ldexp leaky_relu left_shift less less_equal linspace log log10
log1p log2 log_sigmoid log_softmax logaddexp logaddexp2 logdet logical_and logical_not
logical_or logical_xor logspace logsumexp lstsq lu_factor matmul matrix_rank max max_pool
maximum mean median meshgrid min minimum mod moments moveaxis multi_hot multiply nan_to_num
nanargmax nanargmin nancumprod nancumsum nanmax nanmean nanmedian nanmin nanpercentile
nanprod nanquantile nanstd nansum nanvar ndim negative nextafter nonzero norm normalize
not_equal one_hot ones ones_like outer pad percentile pinv polar positive power prod psnr
ptp qr quantile rad2deg ravel real rearrange reciprocal relu relu6 remainder repeat reshape
rfft right_shift rms_normalization roll rot90 round rsqrt saturate_cast scatter
scatter_update searchsorted segment_max segment_min segment_prod segment_sum select selu
separable_conv shape sigmoid sign signbit silu sin sinc sinh size slice slice_update slogdet
soft_shrink softmax softplus softsign solve solve_triangular sort space_to_depth
sparse_categorical_crossentropy sparse_plus sparse_sigmoid sparsemax split sqrt square
squareplus squeeze stack std stft stop_gradient subtract sum svd swapaxes swish take
take_along_axis tan tanh tanh_shrink tensordot threshold tile top_k trace transpose
trapezoid tri tril triu true_divide trunc unfold unique unravel_index unstack vander var
vdot view view_as_complex view_as_real vsplit vstack where zeros zeros_like
image.affine_transform image.crop_images image.elastic_transform image.extract_patches
image.extract_patches_3d image.gaussian_blur image.hsv_to_rgb image.map_coordinates
image.pad_images image.perspective_transform image.resize image.rgb_to_grayscale
image.rgb_to_hsv image.scale_and_translate image.sobel_edges image.ssim
""".split())


def _encode(value, tensors: list):
    """JSON for `value`, each symbolic tensor replaced by its position in `tensors`."""
    if is_keras_tensor(value):
        tensors.append(value)
        return {"__tensor__": len(tensors) - 1}
    if isinstance(value, (list, tuple)):
        return [_encode(v, tensors) for v in value]
    if isinstance(value, dict):
        return {"__dict__": {k: _encode(v, tensors) for k, v in value.items()}}
    if isinstance(value, slice):
        return {"__slice__": [_encode(v, tensors) for v in (value.start, value.stop, value.step)]}
    if value is Ellipsis:
        return {"__ellipsis__": True}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (np.ndarray,)) or (hasattr(value, "shape") and hasattr(value, "dtype")):
        array = np.asarray(value)
        return {"__array__": array.tolist(), "dtype": array.dtype.name}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return {"__dtype__": np.dtype(value).name}
    raise TypeError(f"TensorOp: can not record argument {value!r} of type {type(value).__name__} "
                    "(expected tensors, numbers, strings, slices, arrays or lists of them).")


def _decode(value, tensors: list):
    """The inverse of `_encode`, lists restored as tuples (shapes and axes want tuples)."""
    if isinstance(value, list):
        return tuple(_decode(v, tensors) for v in value)
    if isinstance(value, dict):
        if "__tensor__" in value:
            return tensors[value["__tensor__"]]
        if "__slice__" in value:
            return slice(*(_decode(v, tensors) for v in value["__slice__"]))
        if "__ellipsis__" in value:
            return Ellipsis
        if "__array__" in value:
            return np.asarray(value["__array__"], value["dtype"])
        if "__dtype__" in value:
            return np.dtype(value["__dtype__"])
        return {k: _decode(v, tensors) for k, v in value["__dict__"].items()}
    return value


# Names hoarfrost recorded before its ops were Keras's own, and what they run now.
LEGACY_NAMES = {"remainder": "mod", "positive": "copy"}


def _resolve(op, layer_name):
    """The function of an allowed operation name; anything else is refused by name."""
    if not (isinstance(op, str) and op in ALLOWED_OPS):
        raise ValueError(
            (f'TensorOp layer "{layer_name}"' if layer_name else "A TensorOp layer")
            + f": operation {op!r} is not one of the pure array "
            "operations a functional graph may record (Keras's `ops` names, Python operators "
            "and indexing; see hoarfrost.layers.tensor_op.ALLOWED_OPS). A saved graph names "
            "its operations, so nothing else is resolved from a file; put other code in a "
            "Layer subclass registered with @hoarfrost.saving.register_keras_serializable()."
        )
    if op == "getitem":
        return operator.getitem
    name = LEGACY_NAMES.get(op, op)
    namespace, _, name = name.rpartition(".")
    return getattr(ops.image if namespace else ops, name)


class TensorOp(Layer):
    """A `hoarfrost.ops` function (or `getitem`) applied to symbolic tensors.

    Args:
        op: the operation's name in `hoarfrost.ops` (or "getitem"), one of
            `ALLOWED_OPS`.
        arguments: `[args, kwargs]` as `_encode` records them.
    """

    def __init__(self, op: str, arguments, **kwargs):
        fn = _resolve(op, kwargs.get("name"))  # refused before anything else runs
        kwargs.setdefault("name", unique_name(op))
        super().__init__(**kwargs)
        self.op, self.arguments = op, arguments
        self._fn = fn
        self.built = True

    @classmethod
    def apply(cls, op: str, args: tuple, kwargs: dict):
        """Record `op(*args, **kwargs)` on symbolic tensors; returns its symbolic output."""
        tensors: list = []
        arguments = [_encode(list(args), tensors), _encode(kwargs, tensors)]
        return cls(op, arguments)(tensors)

    def call(self, inputs):
        args, kwargs = (_decode(part, list(inputs)) for part in self.arguments)
        return self._fn(*args, **kwargs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "op": self.op, "arguments": self.arguments}


set_op_recorder(TensorOp.apply)
