"""Normalization layers: `BatchNormalization`, `LayerNormalization`,
`GroupNormalization`, `RMSNormalization` and `UnitNormalization`.

All follow Keras 3 (names, arguments, defaults, weight names and
`get_weights` order) and compute the same formulas in the same order, so a
Keras model's weights load unchanged and give the same outputs.

One module per layer, as Keras 3 lays them out (`batch_normalization`,
`layer_normalization`, `group_normalization`, `rms_normalization`,
`unit_normalization`); `common` holds the formula and checks they share.
"""

from hoarfrost.layers.normalization.batch_normalization import BatchNormalization
from hoarfrost.layers.normalization.group_normalization import GroupNormalization
from hoarfrost.layers.normalization.layer_normalization import LayerNormalization
from hoarfrost.layers.normalization.rms_normalization import RMSNormalization
from hoarfrost.layers.normalization.unit_normalization import UnitNormalization

__all__ = ["BatchNormalization", "GroupNormalization", "LayerNormalization",
           "RMSNormalization", "UnitNormalization"]
