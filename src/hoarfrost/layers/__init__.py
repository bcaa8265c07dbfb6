"""Layers, with the names Keras users know."""

from hoarfrost.layers.core import Activation, Dense
from hoarfrost.layers.input_layer import Input, InputLayer
from hoarfrost.layers.layer import InputSpec, Layer
from hoarfrost.layers.regularization import Dropout
from hoarfrost.layers.reshaping import Flatten, Reshape

__all__ = ["Activation", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "InputSpec",
           "Layer", "Reshape"]
