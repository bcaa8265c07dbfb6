"""MobileNet, the first one (as `keras.applications.mobilenet`).

Reference: [MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
Applications](https://arxiv.org/abs/1704.04861). `preprocess_input` scales pixels
to [-1, 1] (Keras's "tf" mode).
"""

from __future__ import annotations

import warnings

from hoarfrost import layers
from hoarfrost.applications import imagenet_utils

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
_PRETRAINED_ALPHAS = {1.0: "1_0", 0.75: "7_5", 0.50: "5_0", 0.25: "2_5"}
_PRETRAINED_ROWS = (128, 160, 192, 224)
# (pointwise filters, stride) of blocks 1..13.
_PLAN = ([(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5
         + [(1024, 2), (1024, 1)])


def MobileNet(input_shape=None, alpha: float = 1.0, depth_multiplier: int = 1,
              dropout: float = 1e-3, include_top: bool = True, weights="imagenet",
              input_tensor=None, pooling=None, classes: int = 1000,
              classifier_activation="softmax", name: str | None = None):
    """MobileNet, optionally with Keras's ImageNet weights.

    Args:
        input_shape: the image shape (rows, cols, 3); at least 32x32. ImageNet
            weights exist for square inputs of 128, 160, 192 or 224 pixels
            (other shapes load the 224 ones, with a warning, as Keras).
        alpha: the width multiplier (ImageNet weights: 0.25, 0.5, 0.75, 1.0).
        depth_multiplier: the depthwise convolutions' multiplier (1 for ImageNet).
        dropout: the rate of the dropout before the classifier.
        include_top, weights, input_tensor, pooling, classes,
        classifier_activation: as `hoarfrost.applications.ResNet50`.
        name: the model's name; defaults to `mobilenet_{alpha:.2f}_{rows}`.
    """
    from hoarfrost.models import Functional

    imagenet_utils.check_weights_argument(weights, include_top, classes, "MobileNet")
    default_size = 224
    if input_shape is not None and input_shape[0] == input_shape[1] \
            and input_shape[0] in _PRETRAINED_ROWS:
        default_size = input_shape[0]
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32, data_format="channels_last",
        require_flatten=include_top, weights=weights)
    rows, cols = input_shape[0], input_shape[1]
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError("MobileNet: if imagenet weights are being loaded, depth "
                             f"multiplier must be 1. Received depth_multiplier={depth_multiplier}")
        if alpha not in _PRETRAINED_ALPHAS:
            raise ValueError("MobileNet: if imagenet weights are being loaded, alpha can be "
                             "one of `0.25`, `0.50`, `0.75` or `1.0` only. Received "
                             f"alpha={alpha}")
        if rows != cols or rows not in _PRETRAINED_ROWS:
            rows = 224
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not in "
                          "[128, 160, 192, 224]. Weights for input shape (224, 224) will be "
                          "loaded as the default.", stacklevel=2)
    img_input = imagenet_utils.image_input(input_tensor, input_shape, "MobileNet")

    x = layers.Conv2D(int(32 * alpha), (3, 3), padding="same", use_bias=False, strides=(2, 2),
                      name="conv1")(img_input)
    x = layers.BatchNormalization(axis=-1, name="conv1_bn")(x)
    x = layers.ReLU(6.0, name="conv1_relu")(x)
    for block_id, (filters, stride) in enumerate(_PLAN, start=1):
        x = _depthwise_conv_block(x, filters, alpha, depth_multiplier, stride, block_id)

    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)

    if name is None:
        name = f"mobilenet_{alpha:0.2f}_{rows}"
    model = Functional(imagenet_utils.model_inputs(input_tensor, img_input), x, name=name)
    if weights == "imagenet":
        file_name = (f"mobilenet_{_PRETRAINED_ALPHAS[alpha]}_{rows}_tf"
                     f"{'' if include_top else '_no_top'}.h5")
        # Keras publishes no hash for these files.
        imagenet_utils.load_weights(model, weights, file_name, BASE_WEIGHT_PATH + file_name)
    else:
        imagenet_utils.load_weights(model, weights)
    return model


def _depthwise_conv_block(inputs, pointwise_filters: int, alpha: float, depth_multiplier: int,
                          stride: int, block_id: int):
    """Depthwise 3x3, BatchNormalization, ReLU6, pointwise 1x1, BatchNormalization, ReLU6."""
    x = inputs
    if stride != 1:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D((3, 3), padding="same" if stride == 1 else "valid",
                               depth_multiplier=depth_multiplier, strides=(stride, stride),
                               use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(axis=-1, name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(int(pointwise_filters * alpha), (1, 1), padding="same", use_bias=False,
                      strides=(1, 1), name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(axis=-1, name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def preprocess_input(x, data_format: str | None = None):
    """Scale pixels from [0, 255] to [-1, 1] (`imagenet_utils.preprocess_input`, mode "tf")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top: int = 5):
    """The top ImageNet classes per sample: see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
