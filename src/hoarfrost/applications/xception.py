"""Xception (as `keras.applications.xception`): the backbone of Keras's transfer-learning guide.

Reference: [Xception: Deep Learning with Depthwise Separable Convolutions](
https://arxiv.org/abs/1610.02357). `preprocess_input` scales pixels to [-1, 1]
(Keras's "tf" mode). The residual shortcuts' layers are unnamed in Keras too, so
they take the session's next free names (`conv2d`, `batch_normalization`, ...).
"""

from __future__ import annotations

from hoarfrost import layers
from hoarfrost.applications import imagenet_utils

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
# Keras's MD5 of each (top, no-top) file.
WEIGHTS_HASHES = ("0a58e3b7378bc2990ea3b43d5981f1f6", "b0042744bf5b25fce3cb969f33bebb97")


def _sepconv_bn(x, filters: int, name: str):
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return layers.BatchNormalization(axis=-1, name=f"{name}_bn")(x)


def _shortcut(x, filters: int):
    residual = layers.Conv2D(filters, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    return layers.BatchNormalization(axis=-1)(residual)


def _entry_block(x, block: int, filters: int, relu_first: bool = True, out: int | None = None):
    """Two separable convolutions and a strided max pooling, added to a strided 1x1 shortcut."""
    residual = _shortcut(x, out or filters)
    if relu_first:
        x = layers.Activation("relu", name=f"block{block}_sepconv1_act")(x)
    x = _sepconv_bn(x, filters, f"block{block}_sepconv1")
    x = layers.Activation("relu", name=f"block{block}_sepconv2_act")(x)
    x = _sepconv_bn(x, out or filters, f"block{block}_sepconv2")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return layers.add([x, residual])


def Xception(include_top: bool = True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes: int = 1000, classifier_activation="softmax",
             name: str = "xception"):
    """Xception, optionally with Keras's ImageNet weights (default input 299x299, at
    least 71x71).

    Args:
        include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name: as `hoarfrost.applications.ResNet50`.

    Example:
        >>> base = Xception(include_top=False, weights=None, input_shape=(71, 71, 3))
        >>> base.output_shape
        (None, 3, 3, 2048)
    """
    from hoarfrost.models import Functional

    imagenet_utils.check_weights_argument(weights, include_top, classes, name)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=299, min_size=71, data_format="channels_last",
        require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape, name)

    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = layers.BatchNormalization(axis=-1, name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=-1, name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)

    x = _entry_block(x, 2, 128, relu_first=False)
    x = _entry_block(x, 3, 256)
    x = _entry_block(x, 4, 728)
    for i in range(8):  # the middle flow
        residual = x
        prefix = f"block{i + 5}"
        for conv in (1, 2, 3):
            x = layers.Activation("relu", name=f"{prefix}_sepconv{conv}_act")(x)
            x = _sepconv_bn(x, 728, f"{prefix}_sepconv{conv}")
        x = layers.add([x, residual])
    residual = _shortcut(x, 1024)  # the exit flow
    x = layers.Activation("relu", name="block13_sepconv1_act")(x)
    x = _sepconv_bn(x, 728, "block13_sepconv1")
    x = layers.Activation("relu", name="block13_sepconv2_act")(x)
    x = _sepconv_bn(x, 1024, "block13_sepconv2")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name="block13_pool")(x)
    x = layers.add([x, residual])
    x = _sepconv_bn(x, 1536, "block14_sepconv1")
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = _sepconv_bn(x, 2048, "block14_sepconv2")
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)

    x = imagenet_utils.classifier_head(x, include_top, pooling, classes, classifier_activation,
                                       weights)
    model = Functional(imagenet_utils.model_inputs(input_tensor, img_input), x, name=name)
    imagenet_utils.load_tf_kernels(model, weights, include_top, BASE_WEIGHTS_PATH, "xception",
                                   WEIGHTS_HASHES)
    return model


def preprocess_input(x, data_format: str | None = None):
    """Scale pixels from [0, 255] to [-1, 1] (`imagenet_utils.preprocess_input`, mode "tf")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top: int = 5):
    """The top ImageNet classes per sample: see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
