"""Convolution layers: `Conv1D/2D/3D`, `DepthwiseConv1D/2D`, `SeparableConv1D/2D` and
`Conv1D/2D/3DTranspose`.

Kernels are stored in Keras's layout and `get_weights()` order, so Keras weights
load unchanged: `(*kernel_size, in_channels // groups, filters)` (transposed
convolution: `(*kernel_size, filters, in_channels)`), then `bias`.

How the convolution is computed is an internal choice. On accelerators it is
`lax.conv_general_dilated`. On CPU it is an im2col lowering: the kernel's
window offsets are taken as strided slices of the (padded) input and
contracted with the kernel by one matmul (an `einsum` per group, or shifted
multiply-adds for depthwise kernels). XLA's CPU convolution is slow for the
kernel gradient, catastrophically so inside `lax.scan`, which `fit` uses to
run many steps per call: in the small MNIST CNN the im2col step is ~10x faster
there. Its gradient is written out (`_patch_matmul`) rather than left to
autodiff. Where no gradient flows through a convolution (inference, a frozen
backbone) XLA's forward convolution runs instead, being the faster forward
pass. Large convolutions run it in tiles (`conv_lowering`, which also
chooses the lowering). Both lowerings agree within float32 rounding.

The package, as Keras 3 lays it out: `base_conv` (what every convolution layer
shares), `conv`, `depthwise_conv`, `separable_conv`, `conv_transpose` (the layers
of each family), `convolution` (the convolution and its lowerings) and
`arguments` (the argument checks the layers and pooling share).
"""

from hoarfrost.layers.convolutional.arguments import (conv_output_length, normalize_data_format,
                                                      normalize_padding, normalize_tuple)
from hoarfrost.layers.convolutional.conv import (Conv1D, Conv2D, Conv3D, Convolution1D,
                                                 Convolution2D, Convolution3D)
from hoarfrost.layers.convolutional.conv_transpose import (Conv1DTranspose, Conv2DTranspose,
                                                           Conv3DTranspose,
                                                           Convolution1DTranspose,
                                                           Convolution2DTranspose,
                                                           Convolution3DTranspose,
                                                           transpose_output_length,
                                                           transpose_padding)
from hoarfrost.layers.convolutional.convolution import conv, conv_im2col, conv_xla
from hoarfrost.layers.convolutional.depthwise_conv import DepthwiseConv1D, DepthwiseConv2D
from hoarfrost.layers.convolutional.separable_conv import (SeparableConv1D, SeparableConv2D,
                                                           SeparableConvolution1D,
                                                           SeparableConvolution2D)

__all__ = ["Conv1D", "Conv1DTranspose", "Conv2D", "Conv2DTranspose", "Conv3D", "Conv3DTranspose",
           "Convolution1D", "Convolution1DTranspose", "Convolution2D", "Convolution2DTranspose",
           "Convolution3D", "Convolution3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D",
           "SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D",
           "SeparableConvolution2D", "conv", "conv_im2col", "conv_output_length", "conv_xla",
           "normalize_data_format", "normalize_padding", "normalize_tuple",
           "transpose_output_length", "transpose_padding"]
