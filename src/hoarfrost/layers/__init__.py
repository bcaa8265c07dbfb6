"""Layers, with the names Keras users know."""

from hoarfrost.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from hoarfrost.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from hoarfrost.layers.convolutional import (Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose,
                                             Conv3D, Conv3DTranspose, Convolution1D,
                                             Convolution1DTranspose, Convolution2D,
                                             Convolution2DTranspose, Convolution3D,
                                             Convolution3DTranspose, DepthwiseConv1D,
                                             DepthwiseConv2D, SeparableConv1D, SeparableConv2D,
                                             SeparableConvolution1D, SeparableConvolution2D)
from hoarfrost.layers.core import Activation, Dense, Identity, Lambda, Masking
from hoarfrost.layers.einsum_dense import EinsumDense
from hoarfrost.layers.embedding import Embedding
from hoarfrost.layers.input_layer import Input, InputLayer
from hoarfrost.layers.layer import InputSpec, Layer
from hoarfrost.layers.merging import (Add, Average, Concatenate, Maximum, Minimum, Multiply,
                                      Subtract, add, average, concatenate, maximum, minimum,
                                      multiply, subtract)
from hoarfrost.layers.categorical import (CategoryEncoding, Discretization, HashedCrossing,
                                          Hashing)
from hoarfrost.layers.image_preprocessing import (CenterCrop, RandomBrightness, RandomContrast,
                                                  RandomCrop, RandomFlip, RandomGrayscale,
                                                  RandomRotation, RandomTranslation, RandomZoom,
                                                  Resizing)
from hoarfrost.layers.index_lookup import IntegerLookup, StringLookup
from hoarfrost.layers.merging import Dot, dot
from hoarfrost.layers.normalization import (BatchNormalization, GroupNormalization,
                                            LayerNormalization, RMSNormalization,
                                            UnitNormalization)
from hoarfrost.layers.pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D,
                                      AvgPool1D, AvgPool2D, AvgPool3D, GlobalAveragePooling1D,
                                      GlobalAveragePooling2D, GlobalAveragePooling3D,
                                      GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D,
                                      GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D,
                                      GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D,
                                      MaxPool1D, MaxPool2D, MaxPool3D, MaxPooling1D, MaxPooling2D,
                                      MaxPooling3D)
from hoarfrost.layers.preprocessing import Normalization, Rescaling
from hoarfrost.layers.recurrent import (GRU, LSTM, RNN, Bidirectional, GRUCell, LSTMCell,
                                        SimpleRNN, SimpleRNNCell, StackedRNNCells)
from hoarfrost.layers.regularization import Dropout, GaussianNoise, SpatialDropout2D
from hoarfrost.layers.regularization import AlphaDropout, GaussianDropout, SpatialDropout1D
from hoarfrost.layers.reshaping import (Cropping2D, Flatten, Permute, RepeatVector, Reshape,
                                        UpSampling2D, ZeroPadding2D)
from hoarfrost.layers.reshaping import Cropping1D, UpSampling1D, ZeroPadding1D
from hoarfrost.layers.serialization import deserialize, serialize
from hoarfrost.layers.tensor_op import TensorOp
from hoarfrost.layers.text_vectorization import TextVectorization
from hoarfrost.layers.wrappers import TimeDistributed, Wrapper
from hoarfrost.layers.adaptive_pooling import (AdaptiveAveragePooling1D,
                                               AdaptiveAveragePooling2D,
                                               AdaptiveAveragePooling3D, AdaptiveMaxPooling1D,
                                               AdaptiveMaxPooling2D, AdaptiveMaxPooling3D)
from hoarfrost.layers.image_augmentation import (AutoContrast, Equalization,
                                                 RandomColorDegeneration, RandomHue,
                                                 RandomInvert, RandomPosterization,
                                                 RandomSaturation, RandomSharpness, Solarization)
from hoarfrost.layers.image_mixing import (CutMix, MixUp, Pipeline, RandomColorJitter,
                                           RandomErasing, RandomGaussianBlur)
from hoarfrost.layers.image_geometry import RandomPerspective, RandomShear
from hoarfrost.layers.image_policies import AugMix, RandAugment
from hoarfrost.layers.audio import MelSpectrogram, STFTSpectrogram
from hoarfrost.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from hoarfrost.layers.embedding import ReversibleEmbedding
from hoarfrost.layers.grouped_query_attention import GroupedQueryAttention, GroupQueryAttention
from hoarfrost.layers.regularization import ActivityRegularization, SpatialDropout3D
from hoarfrost.layers.reshaping_3d import Cropping3D, UpSampling3D, ZeroPadding3D
from hoarfrost.layers.spectral_normalization import SpectralNormalization

__all__ = [
    "AveragePooling1D", "AveragePooling2D", "AvgPool1D", "AvgPool2D", "Conv1D", "Conv2D",
    "Conv2DTranspose", "Convolution1D", "Convolution2D", "Convolution2DTranspose",
    "DepthwiseConv2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAvgPool1D",
    "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "MaxPool1D", "MaxPool2D", "MaxPooling1D", "MaxPooling2D",
    "SeparableConv2D", "SeparableConvolution2D",
    "Activation", "Add", "Average", "BatchNormalization", "Bidirectional", "Concatenate",
    "Cropping2D", "Dense", "Dropout", "ELU", "Embedding", "Flatten", "GRU", "GaussianNoise",
    "Input", "InputLayer", "InputSpec", "LSTM", "Layer", "LayerNormalization", "LeakyReLU",
    "Masking", "Maximum", "Minimum", "Multiply", "Permute", "ReLU", "RepeatVector", "Reshape",
    "SimpleRNN", "Softmax", "SpatialDropout2D", "Subtract", "UpSampling2D", "ZeroPadding2D",
    "add", "average", "concatenate", "maximum", "minimum", "multiply", "subtract",
    "AdditiveAttention", "AlphaDropout", "Attention", "Cropping1D", "Dot", "GaussianDropout",
    "Identity", "Lambda", "MultiHeadAttention", "Normalization", "Rescaling",
    "SpatialDropout1D", "TimeDistributed", "UpSampling1D", "ZeroPadding1D", "dot",
    "CenterCrop", "RandomBrightness", "RandomContrast", "RandomFlip", "RandomRotation", "RandomTranslation",
    "RandomZoom", "Resizing", "TensorOp", "deserialize", "serialize",
    "EinsumDense", "GroupNormalization", "PReLU", "RMSNormalization", "UnitNormalization",
    "Conv1DTranspose", "Conv3D", "Conv3DTranspose", "Convolution1DTranspose", "Convolution3D",
    "Convolution3DTranspose", "DepthwiseConv1D", "SeparableConv1D", "SeparableConvolution1D",
    "AveragePooling3D", "AvgPool3D", "GlobalAveragePooling3D", "GlobalAvgPool3D",
    "GlobalMaxPool3D", "GlobalMaxPooling3D", "MaxPool3D", "MaxPooling3D",
    "GRUCell", "LSTMCell", "RNN", "SimpleRNNCell", "StackedRNNCells",
    "CategoryEncoding", "Discretization", "Hashing", "IntegerLookup", "RandomCrop",
    "RandomGrayscale", "StringLookup", "TextVectorization",
    "ActivityRegularization", "Cropping3D", "GroupQueryAttention", "GroupedQueryAttention",
    "ReversibleEmbedding", "SpatialDropout3D", "SpectralNormalization", "UpSampling3D", "Wrapper",
    "ZeroPadding3D", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
    "AutoContrast", "Equalization", "RandomColorDegeneration", "RandomHue", "RandomInvert",
    "RandomPosterization", "RandomSaturation", "RandomSharpness", "Solarization",
    "CutMix", "MixUp", "Pipeline", "RandomColorJitter", "RandomErasing", "RandomGaussianBlur",
    "RandomPerspective", "RandomShear", "RandAugment", "AugMix", "HashedCrossing",
    "MelSpectrogram", "STFTSpectrogram",
]

