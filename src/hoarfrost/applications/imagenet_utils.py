"""What the ImageNet applications share: input preprocessing, decoding
predictions into class names, and the checks and plumbing of their constructors
(as `keras.applications.imagenet_utils`).
"""

from __future__ import annotations

import json
import os
import warnings

import numpy as np

from hoarfrost import activations
from hoarfrost.applications._files import get_pretrained_file
from hoarfrost.symbolic import is_keras_tensor

CLASS_INDEX = None
CLASS_INDEX_PATH = ("https://storage.googleapis.com/download.tensorflow.org/"
                    "data/imagenet_class_index.json")
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"  # Keras's MD5 of that file

_MEANS = {"caffe": [103.939, 116.779, 123.68], "torch": [0.485, 0.456, 0.406]}
_TORCH_STD = [0.229, 0.224, 0.225]


def preprocess_input(x, data_format: str | None = None, mode: str = "caffe"):
    """Preprocess a batch of images (pixel values in [0, 255]) for an ImageNet model.

    As Keras: a float NumPy array is preprocessed in place (and returned); other
    NumPy arrays are converted to float32 first; JAX arrays and symbolic tensors
    (inside a functional model) give a new tensor.

    Args:
        x: images, 3D or 4D, with 3 color channels.
        data_format: `"channels_last"` (the default) or `"channels_first"`.
        mode: `"caffe"` (RGB to BGR, then zero-center each channel with the
            ImageNet means, no scaling), `"tf"` (scale to [-1, 1]) or
            `"torch"` (scale to [0, 1], then normalize each channel with the
            ImageNet means and standard deviations).

    Returns:
        The preprocessed images (float32 for integer input).
    """
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError(f"preprocess_input: expected mode to be one of `caffe`, `tf` or "
                         f"`torch`. Received: mode={mode!r}")
    if data_format is None:
        data_format = "channels_last"
    elif data_format not in ("channels_first", "channels_last"):
        raise ValueError("preprocess_input: expected data_format to be one of "
                         f"`channels_first` or `channels_last`. Received: "
                         f"data_format={data_format!r}")
    if isinstance(x, np.ndarray):
        return _preprocess_numpy_input(x, data_format, mode)
    return _preprocess_tensor_input(x, data_format, mode)


def _preprocess_numpy_input(x, data_format, mode):
    # Keras's NumPy path, step for step: it writes over a float input.
    if not issubclass(x.dtype.type, np.floating):
        x = x.astype("float32", copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    if mode == "torch":
        x /= 255.0
        mean, std = _MEANS["torch"], _TORCH_STD
    else:
        if data_format == "channels_first":
            x = x[::-1, ...] if x.ndim == 3 else x[:, ::-1, ...]
        else:
            x = x[..., ::-1]
        mean, std = _MEANS["caffe"], None
    for channel in range(3):
        if data_format == "channels_last":
            index = (..., channel)
        else:
            index = (channel,) if x.ndim == 3 else (slice(None), channel)
        x[index] -= mean[channel]
        if std is not None:
            x[index] /= std[channel]
    return x


def _preprocess_tensor_input(x, data_format, mode):
    from hoarfrost import ops

    if not is_keras_tensor(x):
        x = ops.convert_to_tensor(x)
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype("float32")
    ndim = len(x.shape)
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":
        x = x / 255.0
        mean, std = _MEANS["torch"], _TORCH_STD
    else:
        if data_format == "channels_first":
            x = (ops.stack([x[i, ...] for i in (2, 1, 0)], axis=0) if ndim == 3
                 else ops.stack([x[:, i] for i in (2, 1, 0)], axis=1))
        else:
            x = ops.stack([x[..., i] for i in (2, 1, 0)], axis=-1)
        mean, std = _MEANS["caffe"], None
    if data_format == "channels_first":
        shape = (3, 1, 1) if ndim == 3 else (1, 3) + (1,) * (ndim - 2)
    else:
        shape = (1,) * (ndim - 1) + (3,)
    dtype = x.dtype.name if hasattr(x.dtype, "name") else str(x.dtype)
    x = x + np.reshape(-np.asarray(mean), shape).astype(dtype)
    if std is not None:
        x = x / np.reshape(np.asarray(std), shape).astype(dtype)
    return x


def decode_predictions(preds, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """The `top` ImageNet classes of each prediction, best first.

    The class names come from Keras's `imagenet_class_index.json`, found in
    hoarfrost's or Keras's cache or downloaded (see `hoarfrost.applications`).

    Args:
        preds: predictions of shape `(samples, 1000)`.
        top: how many classes per sample.

    Returns:
        One list per sample of `(class_id, class_name, score)` tuples.
    """
    global CLASS_INDEX
    preds = np.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError("`decode_predictions` expects a batch of predictions (i.e. a 2D array "
                         f"of shape (samples, 1000)). Received array with shape: {preds.shape}")
    if CLASS_INDEX is None:
        path = get_pretrained_file("imagenet_class_index.json", CLASS_INDEX_PATH,
                                   CLASS_INDEX_HASH, what="ImageNet class index")
        with open(path) as handle:
            CLASS_INDEX = json.load(handle)
    results = []
    for pred in preds:
        top_indices = pred.argsort()[-top:][::-1]
        result = [tuple(CLASS_INDEX[str(i)]) + (pred[i],) for i in top_indices]
        result.sort(key=lambda item: item[2], reverse=True)
        results.append(result)
    return results


# --- the constructors' shared checks and plumbing ------------------------------------------
def obtain_input_shape(input_shape, default_size: int, min_size: int, data_format: str,
                       require_flatten: bool, weights=None):
    """The model's input shape: the given one, checked, or the default (Keras's rules)."""
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        if data_format == "channels_first":
            if input_shape[0] not in {1, 3}:
                warnings.warn("This model usually expects 1 or 3 input channels. However, it "
                              f"was passed an input_shape with {input_shape[0]} input channels.",
                              stacklevel=3)
            default_shape = (input_shape[0], default_size, default_size)
        else:
            if input_shape[-1] not in {1, 3}:
                warnings.warn("This model usually expects 1 or 3 input channels. However, it "
                              f"was passed an input_shape with {input_shape[-1]} input "
                              "channels.", stacklevel=3)
            default_shape = (default_size, default_size, input_shape[-1])
    else:
        default_shape = ((3, default_size, default_size) if data_format == "channels_first"
                         else (default_size, default_size, 3))
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError("When setting `include_top=True` and loading `imagenet` weights, "
                             f"`input_shape` should be {default_shape}.  Received: "
                             f"input_shape={input_shape}")
        return default_shape
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers; received "
                             f"input_shape={input_shape}.")
        channels, rows, cols = ((input_shape[0],) + input_shape[1:] if data_format ==
                                "channels_first" else (input_shape[-1],) + input_shape[:2])
        if channels != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels; Received "
                             f"`input_shape={input_shape}`")
        if (rows is not None and rows < min_size) or (cols is not None and cols < min_size):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; Received: "
                             f"input_shape={input_shape}")
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if data_format == "channels_first" else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError("If `include_top` is True, you should specify a static "
                         f"`input_shape`. Received: input_shape={input_shape}")
    return input_shape


def correct_pad(inputs, kernel_size):
    """Zero padding for a strided 2D convolution, as the pretrained weights expect."""
    input_size = inputs.shape[1:3]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if input_size[0] is None else (1 - input_size[0] % 2, 1 - input_size[1] % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def validate_activation(classifier_activation, weights) -> None:
    """Pretrained weights only go with a softmax (or no) classifier activation."""
    if weights is None:
        return
    fn = activations.get(classifier_activation)
    if fn not in (activations.get("softmax"), activations.get(None)):
        raise ValueError("Only `None` and `softmax` activations are allowed for the "
                         "`classifier_activation` argument when using pretrained weights, "
                         f"with `include_top=True`; Received: "
                         f"classifier_activation={classifier_activation!r}")


def check_weights_argument(weights, include_top: bool, classes: int, model: str) -> None:
    """`weights` is None, "imagenet" or an existing file; 1000 classes with the ImageNet top."""
    if not (weights in ("imagenet", None) or (isinstance(weights, (str, os.PathLike))
                                              and os.path.exists(weights))):
        raise ValueError(f"{model}: the `weights` argument should be either `None` (random "
                         "initialization), 'imagenet' (pre-training on ImageNet), or the path "
                         f"to the weights file to be loaded. Received: weights={weights!r}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(f"{model}: if using `weights='imagenet'` with `include_top=True`, "
                         f"`classes` should be 1000. Received classes={classes}")


def image_input(input_tensor, input_shape, model: str):
    """The model's input tensor: `input_tensor` (symbolic) or a new `Input`."""
    from hoarfrost.layers import Input

    if input_tensor is not None and not is_keras_tensor(input_tensor):
        raise ValueError(f"{model}: `input_tensor` must be a symbolic tensor (from `Input()` or "
                         f"a layer call); received {type(input_tensor).__name__}. Pass "
                         "`input_shape` for arrays of a given shape.")
    shape = tuple(input_tensor.shape[1:]) if input_tensor is not None else tuple(input_shape)
    if None in shape:
        # Keras builds with unknown image sizes; hoarfrost's functional models infer each
        # layer's output shape at stand-in sizes, which a deep network cannot shrink through.
        raise ValueError(f"{model}: hoarfrost needs the image size: pass "
                         f"input_shape=(rows, cols, 3) (at least 32x32; the ImageNet weights "
                         f"fit any size without the top). Received input shape {shape}.")
    return Input(shape=input_shape) if input_tensor is None else input_tensor


def source_inputs(tensor) -> list:
    """The `Input` tensors `tensor` is computed from (Keras's `get_source_inputs`)."""
    from hoarfrost.layers.input_layer import InputLayer

    found, seen, stack = [], set(), [tensor]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current.node.layer, InputLayer):
            found.append(current)
        else:
            stack.extend(reversed(current.node.input_tensors))
    return found


def model_inputs(input_tensor, img_input):
    """The inputs of the built model: `img_input`, or the sources of `input_tensor`."""
    if input_tensor is None:
        return img_input
    inputs = source_inputs(input_tensor)
    return inputs[0] if len(inputs) == 1 else inputs


def load_weights(model, weights, file_name: str | None = None, origin: str | None = None,
                 file_hash: str | None = None) -> None:
    """Load `weights`: a path, or "imagenet" (Keras's file `file_name`, from the caches
    or `origin`), into `model`; None loads nothing."""
    if weights == "imagenet":
        path = get_pretrained_file(file_name, origin, file_hash,
                                   what=f"ImageNet weights for {model.name}")
        model.load_weights(path)
    elif weights is not None:
        model.load_weights(weights)


def load_tf_kernels(model, weights, include_top: bool, base_path: str, stem: str,
                    hashes: tuple[str, str]) -> None:
    """`load_weights` with Keras's file name for "imagenet":
    `{stem}_weights_tf_dim_ordering_tf_kernels[_notop].h5` under `base_path`, checked
    against its MD5 (`hashes`: with the top, without)."""
    suffix, file_hash = ("", hashes[0]) if include_top else ("_notop", hashes[1])
    file_name = f"{stem}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    load_weights(model, weights, file_name, base_path + file_name, file_hash)


def classifier_head(x, include_top: bool, pooling, classes: int, classifier_activation,
                    weights, pool_names=(None, None)):
    """Keras's ending of a backbone: with the top, global average pooling ("avg_pool")
    and the "predictions" Dense; without it, the `pooling` asked for ("avg" or "max",
    named as the family names them), or the feature maps themselves."""
    from hoarfrost import layers

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        validate_activation(classifier_activation, weights)
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=pool_names[0])(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=pool_names[1])(x)
    return x
