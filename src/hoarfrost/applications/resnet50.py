"""`keras.applications.resnet50`: ResNet50 and its preprocessing, by that module's name."""

from hoarfrost.applications.resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "decode_predictions", "preprocess_input"]
