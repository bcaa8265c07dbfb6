"""Attention layers: `MultiHeadAttention`, `Attention` (dot-product, Luong
style) and `AdditiveAttention` (Bahdanau style).

All three follow Keras 3: arguments, config keys, weight shapes and
`get_weights` order, masks, and the numerics of each computation path, so
Keras weights load unchanged and give the same outputs.

One module per layer, as Keras 3 lays them out (`multi_head_attention`,
`attention`, `additive_attention`); `common` holds the dropout and sublayer
naming they share. `GroupedQueryAttention` (`layers/grouped_query_attention.py`)
reuses MultiHeadAttention's projections (`_EinsumDense`).
"""

from hoarfrost.layers.attention.additive_attention import AdditiveAttention
from hoarfrost.layers.attention.attention import Attention
from hoarfrost.layers.attention.common import _take_keras_sublayer_names
from hoarfrost.layers.attention.multi_head_attention import MultiHeadAttention, _EinsumDense

__all__ = ["AdditiveAttention", "Attention", "MultiHeadAttention"]
