"""ResNet50V2, ResNet101V2, ResNet152V2 (as `keras.applications.resnet_v2`).

Reference: [Identity Mappings in Deep Residual Networks](https://arxiv.org/abs/1603.05027).
Pre-activation blocks; `preprocess_input` scales pixels to [-1, 1] (Keras's "tf" mode).
"""

from __future__ import annotations

from hoarfrost.applications import imagenet_utils
from hoarfrost.applications.resnet import ResNet, stack_residual_blocks_v2


def _resnet_v2(depths, name, weights_name, **kwargs):
    def stack_fn(x):
        x = stack_residual_blocks_v2(x, 64, depths[0], name="conv2")
        x = stack_residual_blocks_v2(x, 128, depths[1], name="conv3")
        x = stack_residual_blocks_v2(x, 256, depths[2], name="conv4")
        return stack_residual_blocks_v2(x, 512, depths[3], stride1=1, name="conv5")

    return ResNet(stack_fn, preact=True, use_bias=True, name=name, weights_name=weights_name,
                  **kwargs)


def ResNet50V2(include_top: bool = True, weights="imagenet", input_tensor=None,
               input_shape=None, pooling=None, classes: int = 1000,
               classifier_activation="softmax", name: str = "resnet50v2"):
    """ResNet50V2 (arguments as `hoarfrost.applications.ResNet50`)."""
    return _resnet_v2((3, 4, 6, 3), name, "resnet50v2", include_top=include_top,
                      weights=weights, input_tensor=input_tensor, input_shape=input_shape,
                      pooling=pooling, classes=classes,
                      classifier_activation=classifier_activation)


def ResNet101V2(include_top: bool = True, weights="imagenet", input_tensor=None,
                input_shape=None, pooling=None, classes: int = 1000,
                classifier_activation="softmax", name: str = "resnet101v2"):
    """ResNet101V2 (arguments as `hoarfrost.applications.ResNet50`)."""
    return _resnet_v2((3, 4, 23, 3), name, "resnet101v2", include_top=include_top,
                      weights=weights, input_tensor=input_tensor, input_shape=input_shape,
                      pooling=pooling, classes=classes,
                      classifier_activation=classifier_activation)


def ResNet152V2(include_top: bool = True, weights="imagenet", input_tensor=None,
                input_shape=None, pooling=None, classes: int = 1000,
                classifier_activation="softmax", name: str = "resnet152v2"):
    """ResNet152V2 (arguments as `hoarfrost.applications.ResNet50`)."""
    return _resnet_v2((3, 8, 36, 3), name, "resnet152v2", include_top=include_top,
                      weights=weights, input_tensor=input_tensor, input_shape=input_shape,
                      pooling=pooling, classes=classes,
                      classifier_activation=classifier_activation)


def preprocess_input(x, data_format: str | None = None):
    """Scale pixels from [0, 255] to [-1, 1] (`imagenet_utils.preprocess_input`, mode "tf")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top: int = 5):
    """The top ImageNet classes per sample: see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
