"""Layers, with the names Keras users know."""

from hoarfrost.layers.core import Activation, Dense
from hoarfrost.layers.embedding import Embedding
from hoarfrost.layers.input_layer import Input, InputLayer
from hoarfrost.layers.layer import InputSpec, Layer
from hoarfrost.layers.regularization import Dropout
from hoarfrost.layers.recurrent import GRU, LSTM, Bidirectional, SimpleRNN
from hoarfrost.layers.reshaping import Flatten, Reshape

__all__ = ["Activation", "Bidirectional", "Dense", "Dropout", "Embedding", "Flatten", "GRU",
           "Input", "InputLayer", "InputSpec", "LSTM", "Layer", "Reshape", "SimpleRNN"]
