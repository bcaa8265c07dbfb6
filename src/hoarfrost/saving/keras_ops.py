"""Keras's names for the operations a functional graph records (`x + y`, `ops.image.resize`).

A Keras 3 config names an operation by its class (`RGBToGrayscale`) and
module (`keras.src.ops.image`); hoarfrost's graph by its `hoarfrost.ops`
name (`image.rgb_to_grayscale`). These functions map one to the other, both
ways, and only to the pure array operations a graph may record
(`tensor_op.ALLOWED_OPS`).
"""

from __future__ import annotations

from hoarfrost import ops
from hoarfrost.layers.tensor_op import ALLOWED_OPS
from hoarfrost.naming import to_snake_case

# Keras operation classes whose hoarfrost.ops name is not their snake-cased name, or whose
# name is not the op's capitalized words (acronyms: keras/src/ops/*.py).
_NAMES = {"GetItem": "getitem", "Absolute": "abs", "AllClose": "allclose", "CDist": "cdist",
          "CTCDecode": "ctc_decode", "CTCLoss": "ctc_loss", "FFT": "fft", "FFT2": "fft2",
          "IFFT2": "ifft2", "IRFFT": "irfft", "RFFT": "rfft", "STFT": "stft",
          "ISTFT": "istft", "IsIn": "isin", "PSNR": "psnr", "SVD": "svd",
          "SearchSorted": "searchsorted", "HSVToRGB": "hsv_to_rgb",
          "RGBToGrayscale": "rgb_to_grayscale", "RGBToHSV": "rgb_to_hsv", "SSIM": "ssim"}
_CLASSES = {name: class_name for class_name, name in _NAMES.items()}
# The Keras module of each operation outside keras.src.ops.numpy (and ops.image's).
_MODULES = {
    "nn": """adaptive_average_pool adaptive_max_pool average_pool binary_crossentropy
        categorical_crossentropy celu conv conv_transpose ctc_decode ctc_loss depth_to_space
        depthwise_conv dot_product_attention elu fold gelu glu hard_shrink hard_sigmoid
        hard_silu hard_tanh leaky_relu log_sigmoid log_softmax max_pool moments multi_hot
        normalize one_hot polar psnr relu relu6 selu separable_conv sigmoid silu soft_shrink
        softmax softplus softsign space_to_depth sparse_categorical_crossentropy sparse_plus
        sparse_sigmoid sparsemax squareplus tanh_shrink threshold unfold""",
    "core": """cast convert_to_tensor saturate_cast scatter scatter_update slice slice_update
        stop_gradient unstack""",
    "math": """cdist erf erfc erfinv extract_sequences fft fft2 ifft2 in_top_k irfft istft
        logdet logsumexp rfft rsqrt segment_max segment_min segment_prod segment_sum stft
        top_k view_as_complex view_as_real""",
    "linalg": """cholesky cholesky_inverse det eig eigh inv lstsq lu_factor matrix_rank norm
        pinv qr solve solve_triangular svd""",
}
_MODULE_OF = {op: module for module, names in _MODULES.items() for op in names.split()}


def op_name(class_name: str, module=None) -> str:
    """The `hoarfrost.ops` name of a Keras operation class (`image.resize` for `Resize` of
    `keras.src.ops.image`), only from the allowlist of pure array operations a graph may
    record (`tensor_op.ALLOWED_OPS`)."""
    if not isinstance(class_name, str):
        raise ValueError(f"Keras config: an operation names the class {class_name!r}.")
    name = _NAMES.get(class_name, to_snake_case(class_name))
    if isinstance(module, str) and module.endswith("ops.image"):
        name = f"image.{name}"
    if name not in ALLOWED_OPS:
        raise ValueError(f"Keras config: the operation {class_name} ({name!r}) is not one of "
                         "the pure array operations a graph may record "
                         "(hoarfrost.layers.tensor_op.ALLOWED_OPS); it is refused.")
    if name == "getitem":
        return name
    namespace, _, short = name.rpartition(".")
    if not callable(getattr(getattr(ops, namespace, None) if namespace else ops, short, None)):
        raise ValueError(f"Keras config: the operation {class_name} ({name}) has no "
                         "hoarfrost.ops equivalent.")
    return name


def op_class(op: str) -> str:
    """Keras's class name for the hoarfrost op `op` (`image.rgb_to_grayscale` ->
    `RGBToGrayscale`)."""
    short = op.rpartition(".")[2]
    return _CLASSES.get(short) or "".join(part.capitalize() for part in short.split("_"))


def op_module(op: str) -> str:
    """Keras's module for the hoarfrost op `op` (`keras.src.ops.image`, `...nn`, ...)."""
    if op.startswith("image."):
        return "keras.src.ops.image"
    return f"keras.src.ops.{_MODULE_OF.get(op, 'numpy')}"
