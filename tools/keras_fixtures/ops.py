"""Record what Keras's ops compute on small fixed inputs, for tests/ops/test_keras_values.py.

Run with the Keras environment (never a runtime dependency of hoarfrost):

    KERAS_BACKEND=jax /work/main/.venv-keras/bin/python tools/keras_fixtures/ops.py

Writes tests/fixtures/keras_ops.npz: `manifest` (JSON) lists the cases, each an
op of `keras.ops` (or `image.<name>` of `keras.ops.image`) with its arguments
and Keras's result; `in_<n>` are the input arrays (shared between cases) and
`<case>_<n>` the output arrays. In the manifest, an argument or output is JSON
with markers: `{"a": key}` an array, `{"t": [...]}` a tuple, `{"f": name}` a
function of tests/ops/fixture_functions.py, `{"s": [start, stop, step]}` a
slice; outputs add the array's dtype and whether it is a NumPy array. Every op
of `keras.ops` and `keras.ops.image` has at least one case.

Case kinds: "call" (compare values), "shape_only" (`empty`: shape and dtype),
"custom_gradient" (the value and the gradient of the decorated function),
"vectorize" (the vectorized function applied to the remaining arguments) and
"tensors" (array arguments converted to tensors first, for `is_tensor`).
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fixtures" / "keras_ops.npz"

_spec = importlib.util.spec_from_file_location("fixture_functions",
                                               ROOT / "tests" / "ops" / "fixture_functions.py")
_functions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_functions)
FUNCTIONS = _functions.FUNCTIONS
FUNCTION_NAMES = {id(f): name for name, f in FUNCTIONS.items()}
F = FUNCTIONS

rng = np.random.default_rng(20250101)
f32 = "float32"


def normal(*shape):
    return rng.normal(size=shape).astype(f32)


def uniform(low, high, *shape):
    return rng.uniform(low, high, size=shape).astype(f32)


def integers(low, high, *shape, dtype="int32"):
    return rng.integers(low, high, size=shape).astype(dtype)


# Shared inputs.
A, B = normal(3, 4), normal(3, 4)
V, W = normal(5), normal(5)
V3, V2, V4, V6, V8, V10 = normal(3), normal(2), normal(4), normal(6), normal(8), normal(10)
P = uniform(0.1, 2.0, 3, 4)
U = uniform(-0.9, 0.9, 3, 4)
I, I2 = integers(-5, 6, 3, 4), integers(-5, 6, 3, 4)
IP, IP2 = integers(1, 10, 3, 4), integers(1, 10, 3, 4)
SHIFT = integers(0, 4, 3, 4)
BO, BO2 = rng.random((3, 4)) > 0.5, rng.random((3, 4)) > 0.5
C = (normal(3, 4) + 1j * normal(3, 4)).astype("complex64")
A3 = normal(2, 3, 4)
SQ = normal(3, 3)
SPD = (SQ @ SQ.T + 3 * np.eye(3)).astype(f32)
LOWER = (np.tril(SQ) + 3 * np.eye(3)).astype(f32)
NAN = A.copy()
NAN[0, 1], NAN[2, 3] = np.nan, np.nan
SPECIAL = np.array([[1.0, np.inf, -np.inf, np.nan], [0.0, -0.0, 2.0, -3.0]], f32)
ZEROS_IN = np.array([[1.0, 0.0, -2.0], [0.0, 3.0, 0.0]], f32)
IMG = uniform(0, 1, 2, 6, 5, 3)
IMG2 = np.clip(IMG + normal(2, 6, 5, 3) * 0.1, 0, 1).astype(f32)
IMG1 = uniform(0, 1, 6, 5, 3)
IMG_CF = uniform(0, 1, 2, 3, 6, 5)
IMG_U8 = integers(0, 256, 1, 6, 5, 3, dtype="uint8")
HSV = uniform(0, 1, 2, 4, 4, 3)
SEQ = normal(2, 7, 3)
VOL = normal(1, 4, 4, 4, 2)
PROBS = uniform(0.05, 0.95, 3, 4)
TARGET01 = (rng.random((3, 4)) > 0.5).astype(f32)
ONE_HOT = np.eye(4, dtype=f32)[[0, 3, 1]]
LABELS = np.array([0, 3, 1], "int32")
SOFT = (P / P.sum(-1, keepdims=True)).astype(f32)
SIGNAL = normal(2, 32)

cases: list[dict] = []


def case(op, *args, kind="call", name=None, rtol=None, atol=None, **kwargs):
    """One call of `keras.ops.<op>` (or `image.<op>`) to record."""
    cases.append({"op": op, "args": list(args), "kwargs": kwargs, "kind": kind,
                  "name": name or f"{op}_{sum(c['op'] == op for c in cases)}",
                  "rtol": rtol, "atol": atol})


# ---- numpy -------------------------------------------------------------------------------
for op in ("abs", "absolute", "negative", "square", "sign", "copy", "ravel", "cbrt", "deg2rad",
           "rad2deg", "arcsinh", "arctan", "cos", "cosh", "sin", "sinh", "tan", "tanh", "exp",
           "exp2", "expm1", "ceil", "floor", "trunc", "signbit", "sinc", "i0", "fabs", "fliplr",
           "flipud", "corrcoef", "isreal"):
    case(op, A)
for op in ("ceil", "sqrt", "trunc"):  # ints give floats (or stay ints)
    case(op, IP, name=f"{op}_int")
for op in ("log", "log10", "log1p", "log2", "sqrt", "reciprocal"):
    case(op, P)
for op in ("arccos", "arcsin", "arctanh", "erfinv"):
    case(op, U)
case("arccosh", P + 1.0)
for op in ("isfinite", "isinf", "isnan", "isneginf", "isposinf"):
    case(op, SPECIAL)
for op in ("angle", "conj", "conjugate", "real", "imag", "view_as_real"):
    case(op, C, name=f"{op}_complex")
for op in ("add", "subtract", "multiply", "divide", "true_divide", "maximum", "minimum", "hypot",
           "arctan2", "logaddexp", "logaddexp2", "equal", "not_equal", "greater",
           "greater_equal", "less", "less_equal", "nextafter", "inner", "vdot"):
    case(op, A, B)
for op in ("add", "divide", "floor_divide"):  # a Python float does not widen the dtype
    case(op, I, 2.5, name=f"{op}_weak")
for op in ("mod", "gcd", "lcm", "divide"):
    case(op, IP, IP2, name=f"{op}_int")
case("mod", A, 0.7)
case("fmod", A, P)
case("power", P, A)
case("fmax", NAN, B)
case("fmin", NAN, B)
case("heaviside", ZEROS_IN, 0.5)
case("divide_no_nan", A[:2, :3], ZEROS_IN)
case("ldexp", A, SHIFT)
for op in ("bitwise_and", "bitwise_or", "bitwise_xor"):
    case(op, I, I2)
for op in ("bitwise_invert", "bitwise_not"):
    case(op, I)
for op in ("bitwise_left_shift", "left_shift", "bitwise_right_shift", "right_shift"):
    case(op, IP, SHIFT)
case("left_shift", IP, 2, name="left_shift_int")
for op in ("logical_and", "logical_or", "logical_xor"):
    case(op, BO, BO2)
case("logical_not", BO)
case("all", BO, axis=1)
case("any", BO, axis=0, keepdims=True)
case("allclose", A, A + 1e-9)
case("isclose", A, A + U * 1e-3, atol=5e-4)
case("isin", I, np.array([1, 2, 3], "int32"))
case("clip", A, -0.5, 0.5)
case("clip", BO, 0, 1)
case("where", A > 0, A, B)
case("where", BO)
case("select", [A > 0.5, A < -0.5], [A, B], 9.0)
case("nan_to_num", SPECIAL, nan=1.0, posinf=9.0)
case("matmul", A, B.T)
case("matmul", integers(-3, 4, 2, 3, dtype="int8"), integers(-3, 4, 3, 2, dtype="int8"))
case("dot", A, B.T)
case("outer", V3, V2)
case("kron", SQ[:2, :2], np.eye(2, dtype=f32))
case("cross", normal(4, 3), normal(4, 3))
case("tensordot", A, B, axes=([1], [1]))
case("einsum", "ij,kj->ik", A, B)
case("correlate", V, V3, mode="full")
for op in ("amax", "amin", "sum", "mean", "std", "var", "ptp", "median", "nanmax", "nanmin",
           "nansum", "nanmean", "nanstd", "nanvar", "nanprod", "nanmedian", "prod", "max",
           "min", "argmax", "argmin", "nanargmax", "nanargmin", "logsumexp"):
    case(op, NAN if op.startswith("nan") else A, axis=1)
for op in ("sum", "mean", "argmax", "max"):
    case(op, A, axis=0, keepdims=True, name=f"{op}_keepdims")
case("mean", I, name="mean_int")
case("var", I, name="var_int")
case("sum", A3, axis=(0, 2))
case("max", A, axis=1, initial=0.5)
case("argmax", np.array([[-0.0, 0.0, -0.0], [1.0, 1.0, 0.5]], f32), axis=1, name="argmax_zeros")
case("prod", IP, axis=0, dtype="float32")
case("average", A, axis=1, weights=V4)
case("quantile", A, 0.25, axis=0, method="nearest")
case("percentile", A, [25.0, 50.0], axis=1)
case("nanpercentile", NAN, 30.0, axis=1)
case("nanquantile", NAN, 0.3)
case("count_nonzero", I, axis=0)
case("trace", SQ)
case("trapezoid", A, dx=0.5)
case("cumsum", A, axis=1)
case("cumsum", I, dtype="float32")
case("cumprod", P, axis=0)
case("nancumsum", NAN, axis=1)
case("nancumprod", NAN)
case("diff", A, n=2, axis=1)
case("sort", A, axis=0)
case("argsort", A, axis=1)
case("argsort", np.array(3.0, f32), name="argsort_scalar")
case("argpartition", V, 2)
case("argpartition", A, 1, axis=None)
case("searchsorted", np.sort(V), V3)
case("digitize", V, np.array([-1.0, 0.0, 1.0], f32))
case("bincount", np.array([0, 1, 1, 3], "int32"), weights=V4, minlength=6)
case("bincount", np.array([[0, 1, 1], [2, 2, 0]], "int32"), minlength=4)
case("histogram", V, bins=4, range=(-2.0, 2.0))
case("nonzero", I)
case("unique", np.array([3, 1, 3, 2, 1], "int32"), return_index=True, return_inverse=True,
     return_counts=True)
case("unique", np.array([3, 1, 3, 2, 1], "int32"), size=5, fill_value=-1)
case("arange", 5)
case("arange", 1, 4, 0.5)
case("arange", 2, 10, 3, dtype="int32")
case("array", [[1, 2], [3, 4]])
case("empty", (2, 3), kind="shape_only")
case("empty_like", A, dtype="int32", kind="shape_only")
case("zeros", (2, 3))
case("ones", (2, 3))
case("full", (2, 3), 7)
case("zeros_like", I)
case("ones_like", I, dtype="float32")
case("full_like", A, 2, dtype="int32")
case("eye", 3, 4, k=1)
case("identity", 3)
case("tri", 3, 4)
case("linspace", 0.0, 1.0, 4, endpoint=False, retstep=True)
case("linspace", V3, V3 + 1, num=3, axis=1)
case("logspace", 0, 2, num=4)
case("geomspace", 1, 100, num=5)
case("meshgrid", V3, V2, indexing="ij")
case("diag", V3)
case("diag", SQ, k=1)
case("diagflat", V3)
case("diagonal", A3, offset=1, axis1=1, axis2=2)
case("tril", SQ)
case("triu", A, k=1)
case("vander", V3, N=4)
for op in ("bartlett", "blackman", "hamming", "hanning"):
    case(op, 6)
case("kaiser", 6, 2.0)
case("reshape", A, (2, -1))
case("transpose", A3, (2, 0, 1))
case("swapaxes", A3, 0, 2)
case("moveaxis", A3, 0, -1)
case("expand_dims", A, (0, 3))
case("squeeze", normal(3, 1, 4))
case("broadcast_to", V4, (3, 4))
case("flip", A, axis=1)
case("rot90", A3, k=3, axes=(1, 2))
case("roll", A, 1, axis=1)
case("repeat", A, 2, axis=0)
case("repeat", V3, np.array([1, 0, 2], "int32"))
case("tile", A, (2, 1))
case("pad", A, 1)
case("pad", A, ((1, 0), (0, 2)), mode="reflect")
case("pad", A, (1, 2), constant_values=3.0)
case("pad", A, [[2], [1]], mode="symmetric")
case("append", A, B, axis=0)
case("concatenate", [A, B], axis=1)
case("stack", [A, B], axis=1)
case("hstack", [A, B])
case("vstack", [A, B])
case("dstack", [A, B])
case("split", A, 2, axis=1)
case("split", V6, [1, 4])
case("array_split", V10, 3)
case("hsplit", A, 2)
case("vsplit", normal(4, 3), 2)
case("dsplit", A3, 2)
case("take", A, [0, 2], axis=1)
case("take_along_axis", A, np.argsort(A, axis=1).astype("int32"), axis=1)
case("get_item", A, 1)
case("get_item", A, (slice(1, 3), 0))
case("get_item", A3, (Ellipsis, slice(None, None, 2)))
case("unravel_index", np.array([3, 7], "int32"), (3, 4))
case("ndim", A3)
case("size", A3)
case("view", A, dtype="int32")
case("slogdet", SQ)
case("round", A, 2)
case("round", I * 37, -1)
case("vectorize", F["multiply_add_one"], A, B, kind="vectorize")
case("vectorize", F["row_dot"], A, kind="vectorize", signature="(n)->()")

# ---- nn ----------------------------------------------------------------------------------
for op in ("relu", "relu6", "sigmoid", "sparse_sigmoid", "softplus", "softsign", "sparse_plus",
           "silu", "swish", "log_sigmoid", "hard_sigmoid", "hard_silu", "hard_swish", "selu",
           "tanh_shrink", "hard_tanh", "sparsemax"):
    case(op, A * 3)
case("leaky_relu", A)
case("elu", A, alpha=0.5)
case("celu", A, alpha=2.0)
case("gelu", A)
case("gelu", A, approximate=False)
case("glu", A)
case("soft_shrink", A, threshold=0.3)
case("hard_shrink", A)
case("squareplus", A, b=2)
case("threshold", A, 0.2, -1.0)
case("softmax", A)
case("softmax", A3, axis=(0, 2))
case("log_softmax", A, axis=0)
case("log_softmax", A3, axis=(1, 2))
case("max_pool", IMG, 2, strides=2)  # strides=None fails in Keras 3.15 on JAX
case("max_pool", IMG, (3, 2), strides=(1, 2), padding="same")
case("average_pool", IMG, 2, strides=1, padding="same")
case("average_pool", IMG_CF, (2, 3), strides=(2, 3), data_format="channels_first")
case("average_pool", SEQ, 3, strides=2, padding="SAME")
case("adaptive_average_pool", IMG, (4, 2))
case("adaptive_max_pool", IMG, 3)
case("adaptive_max_pool", IMG_CF, (4, 4), data_format="channels_first")
case("adaptive_average_pool", VOL, 2)
K = normal(3, 3, 3, 4)
case("conv", IMG, K)
case("conv", IMG, K, strides=(1, 2), padding="same", dilation_rate=1)
case("conv", SEQ, normal(2, 3, 5), strides=2)
case("conv", IMG, normal(3, 3, 1, 6), name="conv_groups")
case("conv", IMG_CF, K, data_format="channels_first")
case("conv", VOL, normal(2, 2, 2, 2, 3), padding="same")
KD = normal(3, 3, 3, 2)
case("depthwise_conv", IMG, KD)
case("depthwise_conv", SEQ, normal(3, 3, 1), dilation_rate=2)
case("separable_conv", IMG, KD, normal(1, 1, 6, 4), strides=(2, 1), padding="same")
KT = normal(3, 3, 5, 3)
case("conv_transpose", IMG, KT)
case("conv_transpose", IMG, KT, strides=2, padding="same")
case("conv_transpose", IMG, KT, strides=2, output_padding=1)
case("conv_transpose", SEQ, normal(3, 2, 3), strides=3, padding="same", output_padding=1)
case("conv_transpose", IMG_CF, KT, strides=(2, 1), data_format="channels_first")
case("one_hot", LABELS, 5)
case("one_hot", np.array([[1, -1], [2, 0]], "int32"), 3, axis=0, dtype="int32")
case("multi_hot", np.array([[0, 2], [1, 1]], "int32"), 4)
case("binary_crossentropy", TARGET01, PROBS)
case("binary_crossentropy", TARGET01, A, from_logits=True)
case("categorical_crossentropy", ONE_HOT, SOFT)
case("categorical_crossentropy", ONE_HOT, A, from_logits=True)
case("sparse_categorical_crossentropy", LABELS, SOFT)
case("sparse_categorical_crossentropy", LABELS[:, None], A, from_logits=True)
CTC_LOGITS = normal(2, 6, 4)
CTC_TARGET = np.array([[1, 2, 2], [3, 1, 0]], "int32")
case("ctc_loss", CTC_TARGET, CTC_LOGITS, np.array([3, 2], "int32"), np.array([6, 5], "int32"))
case("ctc_decode", CTC_LOGITS, np.array([6, 4], "int32"))
case("ctc_decode", CTC_LOGITS, np.array([6, 5], "int32"), merge_repeated=False, mask_index=3)
case("ctc_decode", CTC_LOGITS, np.array([6, 4], "int32"), strategy="beam_search", beam_width=3,
     top_paths=2)
case("moments", A, axes=[0])
case("moments", A3, axes=(0, 2), keepdims=True)
case("moments", A.astype("float16"), axes=[1], name="moments_float16")
case("batch_normalization", A, V4, P[0], axis=1, offset=W[:4], scale=V4 + 2)
case("normalize", A, axis=0, order=1)
case("normalize", A3, axis=(1, 2), order=2, epsilon=1e-3)
case("rms_normalization", A, scale=V4 + 1, epsilon=1e-3)
case("rms_normalization", A3, axis=(1, 2))
case("layer_normalization", A, gamma=V4 + 1, beta=W[:4], epsilon=1e-3)
case("layer_normalization", A3, gamma=normal(3), beta=normal(3), axis=1)
case("layer_normalization", A, gamma=V4, rms_scaling=True)
case("polar", P, A)
case("psnr", IMG, IMG2, 1.0)
Q, KEY, VAL = normal(2, 3, 2, 4), normal(2, 5, 2, 4), normal(2, 5, 2, 4)
case("dot_product_attention", Q, KEY, VAL, mask=rng.random((2, 1, 3, 5)) > 0.3, scale=0.3)
case("dot_product_attention", Q, KEY[:, :3], VAL[:, :3], bias=normal(2, 2, 3, 3),
     is_causal=True)
case("dot_product_attention", Q, KEY[:, :, :1], VAL[:, :, :1], name="dot_product_attention_gqa")
case("unfold", normal(2, 1, 5, 5), (2, 3), dilation=1, padding=1, stride=2)
case("fold", normal(1, 8, 4), (4, 4), 2, stride=2)
case("depth_to_space", normal(1, 2, 3, 8), 2)
case("depth_to_space", normal(1, 8, 2, 3), 2, data_format="channels_first")
case("space_to_depth", normal(1, 4, 6, 3), 2)
case("space_to_depth", normal(1, 3, 4, 6), 2, data_format="channels_first")

# ---- linalg ------------------------------------------------------------------------------
case("cholesky", SPD)
case("cholesky", SPD, upper=True)
case("cholesky_inverse", np.linalg.cholesky(SPD).astype(f32))
case("det", SQ)
case("eig", SQ, rtol=1e-4, atol=1e-5)
case("eigh", SPD, rtol=1e-4, atol=1e-5)
case("inv", SQ)
case("jvp", F["twice_square"], (V3,), (np.ones(3, f32),))
case("lstsq", normal(4, 3), V4)
case("lu_factor", SQ)
case("lu_factor", np.stack([SQ, SPD]))
case("matrix_rank", np.outer(V3, V4).astype(f32))
case("norm", A, ord="fro")
case("norm", A, ord=2, axis=(0, 1))
case("norm", I, name="norm_int")
case("pinv", A)
case("qr", A)
case("qr", A, mode="complete")
case("solve", SPD, normal(3, 2))
case("solve_triangular", LOWER, V3, lower=True)
case("svd", A, rtol=1e-4, atol=1e-5)
case("svd", A, compute_uv=False)

# ---- math --------------------------------------------------------------------------------
case("cdist", A3, normal(2, 5, 4))
case("erf", A)
case("erfc", A)
case("extract_sequences", SIGNAL, 8, 5)
case("fft", (A, B))
case("fft2", (A, B))
case("ifft2", (A, B))
case("rfft", A, fft_length=6)
case("irfft", (A, B), fft_length=6)
case("in_top_k", LABELS, A, 2)
case("in_top_k", LABELS, NAN, 1)
case("logdet", SPD)
case("rsqrt", P)
IDS = np.array([0, 0, 2, 1, 2], "int32")
for op in ("segment_sum", "segment_max", "segment_min", "segment_prod"):
    case(op, normal(5, 2), IDS, num_segments=3)
case("stft", SIGNAL, 8, 4, 16, rtol=1e-4, atol=1e-4)
case("stft", SIGNAL, 8, 3, 8, window="hamming", center=False, rtol=1e-4, atol=1e-4)
STFT = [np.asarray(part) for part in keras.ops.stft(SIGNAL, 8, 4, 16)]
case("istft", tuple(STFT), 8, 4, 16, length=30, window="hamming", rtol=1e-4, atol=1e-4)
case("top_k", V, 3, sorted=False)
case("view_as_complex", normal(3, 2))

# ---- core --------------------------------------------------------------------------------
case("associative_scan", F["add"], A, reverse=True, axis=1)
case("cast", A, "int32")
case("cond", True, F["true_branch"], F["false_branch"])
case("cond", False, F["true_branch"], F["false_branch"])
case("convert_to_numpy", A)
case("convert_to_tensor", A, dtype="float16")
case("custom_gradient", F["cube_with_gradient_three"], V, kind="custom_gradient")
case("dtype", A)
case("fori_loop", 0, 5, F["add_index"], 1.0)
case("is_tensor", A, kind="tensors")
case("is_tensor", A, name="is_tensor_numpy")
case("map", F["double_plus_one"], A)
case("saturate_cast", A * 1000, "int8")
case("saturate_cast", np.array([-1.0, 256.0, 3.7], f32), "uint8")
case("scan", F["scan_step"], np.float32(0.0), V)
case("scan", F["scan_step"], V4, A, reverse=True)
case("scatter", np.array([[0, 1], [2, 3]], "int32"), V2, (3, 4))
case("scatter_update", A, np.array([[0, 1], [2, 3]], "int32"), V2)
case("scatter_update", A, np.array([[0, 1], [0, 1]], "int32"), V2, reduction="add")
case("shape", A3)
case("slice", A, (1, 0), (2, -1))
case("slice_update", A, (1, 1), normal(2, 2))
case("stop_gradient", A)
case("switch", 1, [F["plus_one"], F["times_three"]], A)
case("unstack", A, axis=1)
case("unstack", A3, num=2)
case("vectorized_map", F["row_dot"], A)
case("while_loop", F["count_below_five"], F["count_and_double"], (0, 1.0))
case("while_loop", F["count_below_five"], F["count_and_double"], [0, 1.0], maximum_iterations=3)
case("rearrange", IMG, "b h w c -> b c h w")
case("rearrange", normal(4, 6), "(h1 h) w -> h (h1 w)", h1=2)

# ---- image -------------------------------------------------------------------------------
TRANSFORMS = np.array([[1.1, 0.2, -0.5, -0.1, 0.9, 0.7, 0, 0],
                       [0.9, -0.1, 0.4, 0.2, 1.2, -0.3, 0, 0]], f32)
case("image.affine_transform", IMG, TRANSFORMS)
case("image.affine_transform", IMG, TRANSFORMS, interpolation="nearest", fill_mode="reflect")
case("image.affine_transform", IMG_CF, TRANSFORMS, fill_mode="nearest",
     data_format="channels_first")
case("image.crop_images", IMG, top_cropping=1, left_cropping=1, target_height=3, target_width=3)
case("image.crop_images", IMG_CF, top_cropping=1, bottom_cropping=1, left_cropping=2,
     right_cropping=0, data_format="channels_first")
case("image.elastic_transform", IMG1[..., :1], alpha=4.0, sigma=1.0, seed=3,
     data_format="channels_last", rtol=1e-4, atol=1e-5)
case("image.extract_patches", IMG, 2)
case("image.extract_patches", IMG, (2, 3), strides=1, padding="same")
case("image.extract_patches", VOL, (2, 2, 2))
case("image.extract_patches_3d", VOL[0], (2, 3, 2), strides=1, padding="same")
case("image.gaussian_blur", IMG1, kernel_size=(5, 3), sigma=(1.5, 0.7),
     data_format="channels_last")
case("image.gaussian_blur", IMG_CF, data_format="channels_first")
case("image.hsv_to_rgb", HSV)
case("image.rgb_to_hsv", IMG_CF, data_format="channels_first")
case("image.rgb_to_grayscale", IMG_U8)
case("image.rgb_to_grayscale", IMG_CF, data_format="channels_first")
case("image.map_coordinates", A, np.stack([uniform(-0.5, 3, 5), uniform(-0.5, 4.5, 5)]), 1)
case("image.map_coordinates", A, np.stack([uniform(-1, 4, 2, 3), uniform(-1, 5, 2, 3)]), 0,
     fill_mode="reflect")
case("image.pad_images", IMG1, top_padding=0, bottom_padding=2, left_padding=1,
     right_padding=3)
case("image.pad_images", IMG_CF, 1, 2, 0, 1, data_format="channels_first")
START = np.array([[0, 0], [4, 0], [0, 5], [4, 5]], f32)
END = np.array([[0.5, 0.2], [3.6, 0.0], [0.1, 4.8], [4.0, 4.6]], f32)
case("image.perspective_transform", IMG, np.stack([START, START]), np.stack([END, END]))
case("image.perspective_transform", IMG_CF, np.stack([START, END]), np.stack([END, START]),
     data_format="channels_first")
case("image.resize", IMG, (4, 7))
case("image.resize", IMG, (3, 3), interpolation="nearest")
case("image.resize", IMG, (3, 2), interpolation="bicubic", antialias=True)
case("image.resize", IMG1, (4, 4), crop_to_aspect_ratio=True)
case("image.resize", IMG, (3, 6), pad_to_aspect_ratio=True, fill_value=0.25)
case("image.resize", IMG_U8, (4, 3))
case("image.resize", IMG_CF, (3, 4), data_format="channels_first")
case("image.scale_and_translate", IMG, (2, 8, 10, 3), np.array([1.5, 2.0], f32),
     np.array([0.5, -1.0], f32), (1, 2), "linear")
case("image.sobel_edges", IMG)
case("image.sobel_edges", IMG_CF, data_format="channels_first")
case("image.ssim", IMG1, IMG1 * 0.5, max_val=2.0, filter_size=5, filter_sigma=1.0)
case("image.ssim", IMG_CF, IMG_CF[::-1], filter_size=3, data_format="channels_first")


# ---- recording ---------------------------------------------------------------------------

class Recorder:
    """Encodes arguments and outputs as JSON plus named arrays."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}
        self._inputs: dict[int, str] = {}

    def argument(self, value):
        if isinstance(value, np.ndarray) or isinstance(value, np.generic):
            key = self._inputs.get(id(value))
            if key is None:
                key = self._inputs[id(value)] = f"in_{len(self._inputs)}"
                self.arrays[key] = np.asarray(value)
            return {"a": key}
        if callable(value) and id(value) in FUNCTION_NAMES:
            return {"f": FUNCTION_NAMES[id(value)]}
        if isinstance(value, tuple):
            return {"t": [self.argument(v) for v in value]}
        if isinstance(value, list):
            return [self.argument(v) for v in value]
        if isinstance(value, dict):
            return {"d": {k: self.argument(v) for k, v in value.items()}}
        if isinstance(value, slice):
            return {"s": [value.start, value.stop, value.step]}
        if value is Ellipsis:
            return {"e": True}
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise TypeError(f"can not record argument {value!r}")

    def output(self, value, prefix: str, counter: list):
        if hasattr(value, "shape") and hasattr(value, "dtype"):
            key = f"{prefix}_{len(counter)}"
            counter.append(key)
            array = np.asarray(value)
            self.arrays[key] = array
            return {"a": key, "dtype": array.dtype.name,
                    "numpy": isinstance(value, np.ndarray)}
        if isinstance(value, tuple):
            return {"t": [self.output(v, prefix, counter) for v in value]}
        if isinstance(value, list):
            return [self.output(v, prefix, counter) for v in value]
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise TypeError(f"can not record output {value!r}")


def keras_op(op: str):
    namespace, _, name = op.rpartition(".")
    return getattr(keras.ops.image if namespace else keras.ops, name)


def run(spec: dict):
    fn = keras_op(spec["op"])
    args, kwargs = spec["args"], spec["kwargs"]
    if spec["kind"] == "custom_gradient":
        decorated = fn(args[0])
        value = decorated(args[1])
        gradient = jax.grad(lambda x: keras.ops.sum(decorated(x)))(args[1])
        return (value, gradient)
    if spec["kind"] == "vectorize":
        return fn(args[0], **kwargs)(*args[1:])
    if spec["kind"] == "tensors":
        args = [keras.ops.convert_to_tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    return fn(*args, **kwargs)


def main() -> None:
    recorder = Recorder()
    manifest, failed = [], []
    for spec in cases:
        try:
            output = run(spec)
        except Exception as error:  # report every failing case at once
            failed.append(f"{spec['name']}: {type(error).__name__}: {error}")
            continue
        manifest.append({
            "name": spec["name"], "op": spec["op"], "kind": spec["kind"],
            "args": recorder.argument(spec["args"]),
            "kwargs": recorder.argument(spec["kwargs"]),
            "output": recorder.output(output, spec["name"], []),
            "rtol": spec["rtol"], "atol": spec["atol"],
        })
    if failed:
        raise SystemExit("cases that failed in Keras:\n" + "\n".join(failed))
    names = [m["name"] for m in manifest]
    assert len(set(names)) == len(names), "case names must be unique"
    covered = {m["op"] for m in manifest}
    every_op = {n for n in dir(keras.ops) if not n.startswith("_")
                and n not in ("image", "linalg", "nn", "numpy")}
    every_op |= {"image." + n for n in dir(keras.ops.image) if not n.startswith("_")}
    missing = sorted(every_op - covered)
    assert not missing, f"ops without a case: {missing}"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, manifest=np.array(json.dumps(manifest)), **recorder.arrays)
    print(f"{OUT}: {len(manifest)} cases of {len(covered)} ops, {OUT.stat().st_size} bytes, "
          f"Keras {keras.__version__}")


if __name__ == "__main__":
    main()
