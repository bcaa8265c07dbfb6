"""InceptionV3 (as `keras.applications.inception_v3`).

Reference: [Rethinking the Inception Architecture for Computer Vision](
https://arxiv.org/abs/1512.00567). `preprocess_input` scales pixels to [-1, 1]
(Keras's "tf" mode). Its convolutions are unnamed in Keras too, so they take the
session's next free names (`conv2d`, `batch_normalization`, `activation`, ...), in
Keras's creation order, which the builders below keep.
"""

from __future__ import annotations

from hoarfrost import layers
from hoarfrost.applications import imagenet_utils

BASE_WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                     "inception_v3/")
# Keras's MD5 of each (top, no-top) file.
WEIGHTS_HASHES = ("9a0d58056eeedaa3f26cb7ebd46da564", "bcbd6486424b2319ff4ef7d526e38f63")


def conv2d_bn(x, filters: int, num_row: int, num_col: int, padding: str = "same",
              strides=(1, 1), name: str | None = None):
    """Conv2D (no bias), BatchNormalization (no scale), ReLU: Keras's `conv2d_bn`."""
    x = layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding,
                      use_bias=False, name=None if name is None else f"{name}_conv")(x)
    x = layers.BatchNormalization(axis=3, scale=False,
                                  name=None if name is None else f"{name}_bn")(x)
    return layers.Activation("relu", name=name)(x)


def _pool_branch(x, filters: int):
    return conv2d_bn(layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x),
                     filters, 1, 1)


def _block_35(x, pool_filters: int, name: str):
    """mixed0-2: 1x1, 5x5, double 3x3 and pooled branches."""
    branch1x1 = conv2d_bn(x, 64, 1, 1)
    branch5x5 = conv2d_bn(conv2d_bn(x, 48, 1, 1), 64, 5, 5)
    branch3x3dbl = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
    branch_pool = _pool_branch(x, pool_filters)
    return layers.concatenate([branch1x1, branch5x5, branch3x3dbl, branch_pool], axis=3,
                              name=name)


def _block_17(x, width: int, name: str):
    """mixed4-7: 1x1, factorized 7x7, double factorized 7x7 and pooled branches."""
    branch1x1 = conv2d_bn(x, 192, 1, 1)
    branch7x7 = conv2d_bn(x, width, 1, 1)
    branch7x7 = conv2d_bn(branch7x7, width, 1, 7)
    branch7x7 = conv2d_bn(branch7x7, 192, 7, 1)
    branch7x7dbl = conv2d_bn(x, width, 1, 1)
    for filters, rows, cols in ((width, 7, 1), (width, 1, 7), (width, 7, 1), (192, 1, 7)):
        branch7x7dbl = conv2d_bn(branch7x7dbl, filters, rows, cols)
    branch_pool = _pool_branch(x, 192)
    return layers.concatenate([branch1x1, branch7x7, branch7x7dbl, branch_pool], axis=3,
                              name=name)


def _block_8(x, i: int):
    """mixed9-10: 1x1, split 3x3, double split 3x3 and pooled branches."""
    branch1x1 = conv2d_bn(x, 320, 1, 1)
    branch3x3 = conv2d_bn(x, 384, 1, 1)
    branch3x3 = layers.concatenate([conv2d_bn(branch3x3, 384, 1, 3),
                                    conv2d_bn(branch3x3, 384, 3, 1)], axis=3, name=f"mixed9_{i}")
    branch3x3dbl = conv2d_bn(conv2d_bn(x, 448, 1, 1), 384, 3, 3)
    branch3x3dbl = layers.concatenate([conv2d_bn(branch3x3dbl, 384, 1, 3),
                                       conv2d_bn(branch3x3dbl, 384, 3, 1)], axis=3)
    branch_pool = _pool_branch(x, 192)
    return layers.concatenate([branch1x1, branch3x3, branch3x3dbl, branch_pool], axis=3,
                              name=f"mixed{9 + i}")


def InceptionV3(include_top: bool = True, weights="imagenet", input_tensor=None,
                input_shape=None, pooling=None, classes: int = 1000,
                classifier_activation="softmax", name: str = "inception_v3"):
    """InceptionV3, optionally with Keras's ImageNet weights (default input 299x299, at
    least 75x75).

    Args:
        include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name: as `hoarfrost.applications.ResNet50`.
    """
    from hoarfrost.models import Functional

    imagenet_utils.check_weights_argument(weights, include_top, classes, name)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=299, min_size=75, data_format="channels_last",
        require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape, name)

    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)

    x = _block_35(x, 32, "mixed0")
    x = _block_35(x, 64, "mixed1")
    x = _block_35(x, 64, "mixed2")
    branch3x3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")  # mixed3
    branch3x3dbl = conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([branch3x3, branch3x3dbl, branch_pool], axis=3, name="mixed3")

    x = _block_17(x, 128, "mixed4")
    x = _block_17(x, 160, "mixed5")
    x = _block_17(x, 160, "mixed6")
    x = _block_17(x, 192, "mixed7")
    branch3x3 = conv2d_bn(conv2d_bn(x, 192, 1, 1), 320, 3, 3, strides=(2, 2),
                          padding="valid")  # mixed8
    branch7x7x3 = conv2d_bn(x, 192, 1, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 1, 7)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 7, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([branch3x3, branch7x7x3, branch_pool], axis=3, name="mixed8")
    for i in range(2):
        x = _block_8(x, i)

    x = imagenet_utils.classifier_head(x, include_top, pooling, classes, classifier_activation,
                                       weights)
    model = Functional(imagenet_utils.model_inputs(input_tensor, img_input), x, name=name)
    imagenet_utils.load_tf_kernels(model, weights, include_top, BASE_WEIGHTS_PATH, "inception_v3",
                                   WEIGHTS_HASHES)
    return model


def preprocess_input(x, data_format: str | None = None):
    """Scale pixels from [0, 255] to [-1, 1] (`imagenet_utils.preprocess_input`, mode "tf")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top: int = 5):
    """The top ImageNet classes per sample: see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
