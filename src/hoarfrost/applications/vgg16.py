"""VGG16 (as `keras.applications.vgg16`), and the VGG builder VGG19 shares.

Reference: [Very Deep Convolutional Networks for Large-Scale Image Recognition](
https://arxiv.org/abs/1409.1556). `preprocess_input` converts RGB to BGR and
subtracts the ImageNet channel means (Keras's "caffe" mode).
"""

from __future__ import annotations

from hoarfrost import layers
from hoarfrost.applications import imagenet_utils

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/"
# Keras's MD5 of each (top, no-top) file.
WEIGHTS_HASHES = {
    "vgg16": ("64373286793e3c8b2b4e3219cbf3544b", "6d6bbae143d832006294945121d1f1fc"),
    "vgg19": ("cbe5617147190e668d6c5d5026f83318", "253f8cb515780f3b799900260a226db6"),
}


def VGG(convs_per_block, weights_name: str, include_top: bool = True, weights="imagenet",
        input_tensor=None, input_shape=None, pooling=None, classes: int = 1000,
        classifier_activation="softmax", name: str = "vgg"):
    """Five blocks of 3x3 convolutions and max pooling, then the classifier."""
    from hoarfrost.models import Functional

    imagenet_utils.check_weights_argument(weights, include_top, classes, name)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format="channels_last",
        require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape, name)
    x = img_input
    for block, (filters, convs) in enumerate(zip((64, 128, 256, 512, 512), convs_per_block),
                                             start=1):
        for conv in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{block}_conv{conv}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)

    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)

    model = Functional(imagenet_utils.model_inputs(input_tensor, img_input), x, name=name)
    imagenet_utils.load_tf_kernels(model, weights, include_top,
                                   f"{BASE_WEIGHTS_PATH}{weights_name}/", weights_name,
                                   WEIGHTS_HASHES[weights_name])
    return model


def VGG16(include_top: bool = True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes: int = 1000, classifier_activation="softmax",
          name: str = "vgg16"):
    """VGG16, optionally with Keras's ImageNet weights.

    Args:
        include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name: as `hoarfrost.applications.ResNet50`.
            Without `pooling`, the top flattens the 7x7 feature maps of a
            224x224 input (so other sizes change the first Dense's shape).
    """
    return VGG((2, 2, 3, 3, 3), "vgg16", include_top=include_top, weights=weights,
               input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
               classes=classes, classifier_activation=classifier_activation, name=name)


def preprocess_input(x, data_format: str | None = None):
    """RGB to BGR, then subtract the ImageNet channel means (no scaling): see
    `imagenet_utils.preprocess_input` (mode "caffe")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top: int = 5):
    """The top ImageNet classes per sample: see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
