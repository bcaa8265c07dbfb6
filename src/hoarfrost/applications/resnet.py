"""ResNet50, ResNet101, ResNet152 (as `keras.applications.resnet`), and the
residual stacks ResNetV2 shares.

Reference: [Deep Residual Learning for Image Recognition](https://arxiv.org/abs/1512.03385).
Layer names, order and weights are Keras's, so Keras's ImageNet files load.
`preprocess_input` converts RGB to BGR and subtracts the ImageNet channel means
(Keras's "caffe" mode).
"""

from __future__ import annotations

from hoarfrost import layers
from hoarfrost.applications import imagenet_utils

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
# Keras's MD5 of each (top, no-top) file.
WEIGHTS_HASHES = {
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}
_BN_AXIS = 3  # channels_last
_EPSILON = 1.001e-5


def ResNet(stack_fn, preact: bool, use_bias: bool, include_top: bool = True,
           weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
           classes: int = 1000, classifier_activation="softmax", name: str = "resnet",
           weights_name: str | None = None):
    """The ResNet (`preact=False`) and ResNetV2 (`preact=True`) skeleton around `stack_fn`."""
    from hoarfrost.models import Functional

    imagenet_utils.check_weights_argument(weights, include_top, classes, name)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format="channels_last",
        require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape, name)

    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = layers.BatchNormalization(axis=_BN_AXIS, epsilon=_EPSILON, name="conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)

    x = stack_fn(x)

    if preact:
        x = layers.BatchNormalization(axis=_BN_AXIS, epsilon=_EPSILON, name="post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)
    x = imagenet_utils.classifier_head(x, include_top, pooling, classes, classifier_activation,
                                       weights, pool_names=("avg_pool", "max_pool"))

    model = Functional(imagenet_utils.model_inputs(input_tensor, img_input), x, name=name)
    if weights != "imagenet" or weights_name in WEIGHTS_HASHES:
        imagenet_utils.load_tf_kernels(model, weights, include_top, BASE_WEIGHTS_PATH,
                                       weights_name, WEIGHTS_HASHES.get(weights_name, ("", "")))
    return model


def residual_block_v1(x, filters: int, kernel_size: int = 3, stride: int = 1,
                      conv_shortcut: bool = True, name: str | None = None):
    """A bottleneck block of ResNet v1 (post-activation)."""
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = layers.BatchNormalization(axis=_BN_AXIS, epsilon=_EPSILON,
                                             name=f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.BatchNormalization(axis=_BN_AXIS, epsilon=_EPSILON, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, kernel_size, padding="same", name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=_BN_AXIS, epsilon=_EPSILON, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = layers.BatchNormalization(axis=_BN_AXIS, epsilon=_EPSILON, name=f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks_v1(x, filters: int, blocks: int, stride1: int = 2,
                             name: str | None = None):
    """`blocks` v1 blocks; the first one strides and projects the shortcut."""
    x = residual_block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def residual_block_v2(x, filters: int, kernel_size: int = 3, stride: int = 1,
                      conv_shortcut: bool = False, name: str | None = None):
    """A bottleneck block of ResNet v2 (pre-activation)."""
    preact = layers.BatchNormalization(axis=_BN_AXIS, epsilon=_EPSILON,
                                       name=f"{name}_preact_bn")(x)
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = layers.BatchNormalization(axis=_BN_AXIS, epsilon=_EPSILON, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, kernel_size, strides=stride, use_bias=False,
                      name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=_BN_AXIS, epsilon=_EPSILON, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def stack_residual_blocks_v2(x, filters: int, blocks: int, stride1: int = 2,
                             name: str | None = None):
    """`blocks` v2 blocks; the last one strides."""
    x = residual_block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{i}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _resnet_v1(depths, name, weights_name, **kwargs):
    def stack_fn(x):
        x = stack_residual_blocks_v1(x, 64, depths[0], stride1=1, name="conv2")
        x = stack_residual_blocks_v1(x, 128, depths[1], name="conv3")
        x = stack_residual_blocks_v1(x, 256, depths[2], name="conv4")
        return stack_residual_blocks_v1(x, 512, depths[3], name="conv5")

    return ResNet(stack_fn, preact=False, use_bias=True, name=name, weights_name=weights_name,
                  **kwargs)


def ResNet50(include_top: bool = True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes: int = 1000, classifier_activation="softmax",
             name: str = "resnet50"):
    """ResNet50, optionally with Keras's ImageNet weights.

    Args:
        include_top: include the classifier (global average pooling and a
            `Dense(classes)` named "predictions").
        weights: None (random initialization), "imagenet" (Keras's file, from
            hoarfrost's or Keras's cache, or downloaded), or the path of a
            weights file.
        input_tensor: a symbolic tensor to use as the model's input.
        input_shape: the image shape (rows, cols, 3); at least 32x32. Only
            (224, 224, 3) with `include_top` and ImageNet weights.
        pooling: without the top, None (4D feature maps), "avg" or "max".
        classes: the number of classes of the top.
        classifier_activation: the top's activation; None gives logits.
        name: the model's name.

    Example:
        >>> base = ResNet50(include_top=False, weights=None, input_shape=(64, 64, 3))
        >>> base.output_shape
        (None, 2, 2, 2048)
    """
    return _resnet_v1((3, 4, 6, 3), name, "resnet50", include_top=include_top, weights=weights,
                      input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                      classes=classes, classifier_activation=classifier_activation)


def ResNet101(include_top: bool = True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes: int = 1000, classifier_activation="softmax",
              name: str = "resnet101"):
    """ResNet101 (arguments as `ResNet50`)."""
    return _resnet_v1((3, 4, 23, 3), name, "resnet101", include_top=include_top,
                      weights=weights, input_tensor=input_tensor, input_shape=input_shape,
                      pooling=pooling, classes=classes,
                      classifier_activation=classifier_activation)


def ResNet152(include_top: bool = True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes: int = 1000, classifier_activation="softmax",
              name: str = "resnet152"):
    """ResNet152 (arguments as `ResNet50`)."""
    return _resnet_v1((3, 8, 36, 3), name, "resnet152", include_top=include_top,
                      weights=weights, input_tensor=input_tensor, input_shape=input_shape,
                      pooling=pooling, classes=classes,
                      classifier_activation=classifier_activation)


def preprocess_input(x, data_format: str | None = None):
    """RGB to BGR, then subtract the ImageNet channel means (no scaling): see
    `imagenet_utils.preprocess_input` (mode "caffe")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top: int = 5):
    """The top ImageNet classes per sample: see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
