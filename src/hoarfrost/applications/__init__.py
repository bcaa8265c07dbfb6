"""Pretrained image backbones, as `keras.applications`.

Each constructor builds a functional `Model` with Keras's layer names, layer
order and weights, so Keras's published ImageNet files load by name, and takes
Keras's arguments (`include_top`, `weights`, `input_tensor`, `input_shape`,
`pooling`, `classes`, `classifier_activation`, `name`). Each family's module has
its `preprocess_input` and `decode_predictions`.

`weights="imagenet"` looks for Keras's file in `$HOARFROST_HOME/models`
(default `~/.hoarfrost/models`), then in Keras's cache (`~/.keras/models`), then
downloads it from Keras's URL (or `$HOARFROST_WEIGHTS_ORIGIN`); offline, the
error names the file, its URL and where to put it. `weights=None` builds the
architecture with fresh initial values; a path loads that file.

Example:
    >>> from hoarfrost.applications import ResNet50, resnet50
    >>> base = ResNet50(include_top=False, weights=None, input_shape=(64, 64, 3),
    ...                 pooling="avg")
    >>> base.output_shape
    (None, 2048)
"""

from hoarfrost.applications import (densenet, efficientnet, imagenet_utils, inception_v3,
                                    mobilenet, mobilenet_v2, mobilenet_v3, resnet, resnet50, resnet_v2, vgg16,
                                    vgg19, xception)
from hoarfrost.applications._files import WeightsUnavailableError
from hoarfrost.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from hoarfrost.applications.efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2,
                                                 EfficientNetB3, EfficientNetB4, EfficientNetB5,
                                                 EfficientNetB6, EfficientNetB7)
from hoarfrost.applications.inception_v3 import InceptionV3
from hoarfrost.applications.mobilenet import MobileNet
from hoarfrost.applications.mobilenet_v2 import MobileNetV2
from hoarfrost.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from hoarfrost.applications.resnet import ResNet50, ResNet101, ResNet152
from hoarfrost.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from hoarfrost.applications.vgg16 import VGG16
from hoarfrost.applications.vgg19 import VGG19
from hoarfrost.applications.xception import Xception

__all__ = [
    "DenseNet121", "DenseNet169", "DenseNet201", "EfficientNetB0", "EfficientNetB1",
    "EfficientNetB2", "EfficientNetB3", "EfficientNetB4", "EfficientNetB5", "EfficientNetB6",
    "EfficientNetB7", "InceptionV3", "MobileNet", "MobileNetV2", "MobileNetV3Large",
    "MobileNetV3Small", "ResNet50", "ResNet50V2",
    "ResNet101", "ResNet101V2", "ResNet152", "ResNet152V2", "VGG16", "VGG19",
    "WeightsUnavailableError", "Xception", "densenet", "efficientnet", "imagenet_utils",
    "inception_v3", "mobilenet", "mobilenet_v2", "mobilenet_v3", "resnet", "resnet50", "resnet_v2", "vgg16",
    "vgg19", "xception",
]
