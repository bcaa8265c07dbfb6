"""DenseNet121, DenseNet169, DenseNet201 (as `keras.applications.densenet`).

Reference: [Densely Connected Convolutional Networks](https://arxiv.org/abs/1608.06993).
`preprocess_input` scales pixels to [0, 1] and normalizes each channel by the ImageNet
statistics (Keras's "torch" mode).
"""

from __future__ import annotations

from hoarfrost import layers
from hoarfrost.applications import imagenet_utils

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
# Keras's MD5 of each (top, no-top) file, by the blocks per dense stage.
WEIGHTS = {
    (6, 12, 24, 16): ("densenet121", "9d60b8095a5708f2dcce2bca79d332c7",
                      "30ee3e1110167f948a6b9946edeeb738"),
    (6, 12, 32, 32): ("densenet169", "d699b8f76981ab1b30698df4c175e90b",
                      "b8c4d4c20dd625c148057b9ff1c1176b"),
    (6, 12, 48, 32): ("densenet201", "1ceb130c1ea1b78c3bf6114dbdfd8807",
                      "c13680b51ded0fb44dff2d8f86ac8bb1"),
}
_EPSILON = 1.001e-5


def dense_block(x, blocks: int, name: str):
    """`blocks` conv blocks, each concatenating 32 new channels to its input."""
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction: float, name: str):
    """BatchNormalization, ReLU, a 1x1 convolution to `reduction` of the channels, 2x2
    average pooling."""
    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[3] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def conv_block(x, growth_rate: int, name: str):
    """The bottleneck (BN, ReLU, 1x1 to 4 * growth) then BN, ReLU, 3x3 to `growth_rate`
    channels, concatenated to the input."""
    x1 = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name=f"{name}_0_bn")(x)
    x1 = layers.Activation("relu", name=f"{name}_0_relu")(x1)
    x1 = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name=f"{name}_1_bn")(x1)
    x1 = layers.Activation("relu", name=f"{name}_1_relu")(x1)
    x1 = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(x1)
    return layers.Concatenate(axis=3, name=f"{name}_concat")([x, x1])


def DenseNet(blocks, include_top: bool = True, weights="imagenet", input_tensor=None,
             input_shape=None, pooling=None, classes: int = 1000,
             classifier_activation="softmax", name: str = "densenet"):
    """A DenseNet of four dense stages of `blocks` conv blocks each."""
    from hoarfrost.models import Functional

    imagenet_utils.check_weights_argument(weights, include_top, classes, name)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format="channels_last",
        require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape, name)

    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, count in enumerate(blocks, start=2):
        x = dense_block(x, count, name=f"conv{stage}")
        if stage < 5:
            x = transition_block(x, 0.5, name=f"pool{stage}")
    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)

    x = imagenet_utils.classifier_head(x, include_top, pooling, classes, classifier_activation,
                                       weights, pool_names=("avg_pool", "max_pool"))
    model = Functional(imagenet_utils.model_inputs(input_tensor, img_input), x, name=name)
    known = WEIGHTS.get(tuple(blocks))
    if weights == "imagenet" and known is None:
        raise ValueError(f"{name}: ImageNet weights exist for DenseNet121, 169 and 201 only; "
                         f"got blocks={list(blocks)}.")
    stem, *hashes = known or ("", "", "")
    imagenet_utils.load_tf_kernels(model, weights, include_top, BASE_WEIGHTS_PATH, stem,
                                   tuple(hashes))
    return model


def _variant(blocks, default_name: str):
    def build(include_top: bool = True, weights="imagenet", input_tensor=None,
              input_shape=None, pooling=None, classes: int = 1000,
              classifier_activation="softmax", name: str = default_name):
        return DenseNet(blocks, include_top, weights, input_tensor, input_shape, pooling,
                        classes, classifier_activation, name)
    build.__name__ = build.__qualname__ = default_name.replace("densenet", "DenseNet")
    build.__doc__ = (f"{build.__name__}, optionally with Keras's ImageNet weights.\n\n"
                     "    Args: as `hoarfrost.applications.ResNet50`.\n    ")
    return build


DenseNet121 = _variant((6, 12, 24, 16), "densenet121")
DenseNet169 = _variant((6, 12, 32, 32), "densenet169")
DenseNet201 = _variant((6, 12, 48, 32), "densenet201")


def preprocess_input(x, data_format: str | None = None):
    """Pixels to [0, 1], then each channel normalized by ImageNet's mean and standard
    deviation (`imagenet_utils.preprocess_input`, mode "torch")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


def decode_predictions(preds, top: int = 5):
    """The top ImageNet classes per sample: see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
