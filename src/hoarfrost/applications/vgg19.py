"""VGG19 (as `keras.applications.vgg19`): VGG16 with a fourth convolution in blocks 3-5."""

from __future__ import annotations

from hoarfrost.applications.vgg16 import VGG, decode_predictions, preprocess_input


def VGG19(include_top: bool = True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes: int = 1000, classifier_activation="softmax",
          name: str = "vgg19"):
    """VGG19, optionally with Keras's ImageNet weights (arguments as
    `hoarfrost.applications.VGG16`)."""
    return VGG((2, 2, 4, 4, 4), "vgg19", include_top=include_top, weights=weights,
               input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
               classes=classes, classifier_activation=classifier_activation, name=name)


__all__ = ["VGG19", "decode_predictions", "preprocess_input"]
