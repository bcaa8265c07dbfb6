"""Keras's names for the operations a functional graph records (`x + y`, `ops.image.resize`).

A Keras 3 config names an operation by its class (`RGBToGrayscale`) and
module (`keras.src.ops.image`); hoarfrost's graph by its `hoarfrost.ops`
name (`image.rgb_to_grayscale`). These functions map one to the other, both
ways, and only to the pure array operations a graph may record
(`tensor_op.ALLOWED_OPS`).
"""

from __future__ import annotations

import inspect

from hoarfrost import ops
from hoarfrost.layers.tensor_op import ALLOWED_OPS
from hoarfrost.saving.keras_op_calls import CALL_PARAMETERS
from hoarfrost.naming import to_snake_case

# Keras operation classes whose hoarfrost.ops name is not their snake-cased name, or whose
# name is not the op's capitalized words (acronyms: keras/src/ops/*.py).
_NAMES = {"GetItem": "getitem", "Absolute": "abs", "AllClose": "allclose", "CDist": "cdist",
          "CTCDecode": "ctc_decode", "CTCLoss": "ctc_loss", "FFT": "fft", "FFT2": "fft2",
          "IFFT2": "ifft2", "IRFFT": "irfft", "RFFT": "rfft", "STFT": "stft",
          "ISTFT": "istft", "IsIn": "isin", "PSNR": "psnr", "SVD": "svd",
          "SearchSorted": "searchsorted", "HSVToRGB": "hsv_to_rgb",
          "RGBToGrayscale": "rgb_to_grayscale", "RGBToHSV": "rgb_to_hsv", "SSIM": "ssim",
          "BatchNorm": "batch_normalization", "LayerNorm": "layer_normalization",
          "RMSNorm": "rms_normalization"}
_CLASSES = {name: class_name for class_name, name in _NAMES.items()}
# Keras records `extract_patches_3d` as the `ExtractPatches` of `extract_patches` (a 3-D
# size makes it 3-D; `op_name` maps it back to `image.extract_patches`, which dispatches so).
_CLASSES["extract_patches_3d"] = "ExtractPatches"
# Keras's `swish` and `hard_swish` are its `silu` and `hard_silu` (one class each).
_CLASSES.update(swish="Silu", hard_swish="HardSilu")
# The Keras module of each operation outside keras.src.ops.numpy (and ops.image's).
_MODULES = {
    "nn": """adaptive_average_pool adaptive_max_pool average_pool batch_normalization
        binary_crossentropy categorical_crossentropy celu conv conv_transpose ctc_decode
        ctc_loss depth_to_space depthwise_conv dot_product_attention elu fold gelu glu
        hard_shrink hard_sigmoid hard_silu hard_tanh layer_normalization leaky_relu
        log_sigmoid log_softmax max_pool moments multi_hot normalize one_hot polar psnr relu
        relu6 rms_normalization selu separable_conv sigmoid silu soft_shrink softmax softplus
        softsign space_to_depth sparse_categorical_crossentropy sparse_plus sparse_sigmoid swish
        hard_swish sparsemax squareplus tanh_shrink threshold unfold""",
    "core": """cast convert_to_tensor saturate_cast scatter scatter_update slice slice_update
        stop_gradient unstack""",
    "math": """cdist erf erfc erfinv extract_sequences fft fft2 ifft2 in_top_k irfft istft
        logdet logsumexp rfft rsqrt segment_max segment_min segment_prod segment_sum stft
        top_k view_as_complex view_as_real""",
    "einops": "rearrange",
    "linalg": """cholesky cholesky_inverse det eig eigh inv lstsq lu_factor matrix_rank norm
        pinv qr solve solve_triangular svd""",
}
_MODULE_OF = {op: module for module, names in _MODULES.items() for op in names.split()}

def _key(class_name: str, module) -> tuple[str, str]:
    return (module.rpartition(".")[2] if isinstance(module, str) else "numpy", class_name)


def _signature(op: str):
    """The `inspect.Signature` of hoarfrost's op `op`, or None (indexing, or none known)."""
    namespace, _, short = op.rpartition(".")
    function = getattr(getattr(ops, namespace, None) if namespace else ops, short, None)
    try:
        return inspect.signature(function)
    except (TypeError, ValueError):
        return None


def call_arguments(class_name: str, module, op: str, args: list,
                   kwargs: dict) -> tuple[list, dict]:
    """A Keras op-layer node's `(args, kwargs)` as hoarfrost's `op` takes them: by name
    where the function orders them otherwise (`BatchNorm.call(x, mean, variance, offset,
    scale)`; `batch_normalization(x, mean, variance, axis, offset, scale)`)."""
    names = CALL_PARAMETERS.get(_key(class_name, module))
    signature = _signature(op)
    if names is None or not args or signature is None:
        return args, kwargs
    names = _call_names(names, signature)
    if list(signature.parameters)[:len(args)] == list(names[:len(args)]):
        return args, kwargs
    if len(args) > len(names) or "**" in names[:len(args)]:
        raise ValueError(f"Keras config: the operation {class_name} is called with "
                         f"{len(args)} arguments; it takes at most {len(names)}.")
    return [], {**dict(zip(names, args)), **kwargs}


def _call_names(names: tuple, signature) -> tuple:
    """Keras's call parameters with the first named as hoarfrost's function names it, where
    Keras names it otherwise (`images` / `volumes`: it is passed by position)."""
    if names[0] in signature.parameters:
        return names
    return (next(iter(signature.parameters)), *names[1:])


def keras_call(op: str, args: list, kwargs: dict, holds_tensor) -> tuple[list, dict, dict]:
    """hoarfrost's recorded call of `op` (TensorOp's JSON) as Keras's op-layer has it:
    `(call args, call kwargs, config)`: the class's call parameters (`CALL_PARAMETERS`;
    the first only, for a class not listed) go to the node, the rest to the config, by
    the function's signature; a tensor is always a call argument."""
    class_name, module = op_class(op), op_module(op)
    signature = _signature(op)
    try:
        bound = signature.bind_partial(*args, **kwargs).arguments
    except (AttributeError, TypeError):  # no signature, or not one call binds
        bound = None
    if bound is None or any(p.kind == p.VAR_POSITIONAL for p in signature.parameters.values()):
        call_kwargs = {k: v for k, v in kwargs.items() if holds_tensor(v)}
        return list(args), call_kwargs, {k: v for k, v in kwargs.items()
                                         if k not in call_kwargs}
    first = next(iter(signature.parameters))
    names = _call_names(CALL_PARAMETERS.get(_key(class_name, module), (first,)), signature)
    call_args, call_kwargs, config = [], {}, {}
    for name, value in bound.items():
        if signature.parameters[name].kind == inspect.Parameter.VAR_KEYWORD:
            (call_kwargs if "**" in names else config).update(value)
        elif name in names and names.index(name) == len(call_args):
            call_args.append(value)
        elif name in names or holds_tensor(value):
            call_kwargs[name] = value
        else:
            config[name] = value
    for name in names[len(call_args):]:  # as Keras's functions pass them: defaults too
        if name == "**":
            continue
        parameter = signature.parameters.get(name)
        if name not in call_kwargs and parameter is not None \
                and parameter.default is not inspect.Parameter.empty:
            call_kwargs[name] = parameter.default
    if op == "image.extract_patches_3d" and isinstance(config.get("size"), int):
        config["size"] = [config["size"]] * 3  # Keras's ExtractPatches is 3-D by its size
    return call_args, call_kwargs, config


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
