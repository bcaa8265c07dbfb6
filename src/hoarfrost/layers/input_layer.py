"""`Input` and `InputLayer`: the entry points of a functional graph."""

from __future__ import annotations

import numpy as np

from hoarfrost import config
from hoarfrost.layers.layer import Layer
from hoarfrost.symbolic import KerasTensor, Node


class InputLayer(Layer):
    """Holds the symbolic input of a model; has no weights.

    Args:
        shape: the shape of one sample, without the batch axis.
        batch_size: an optional fixed batch size.
        dtype: the dtype of the input (`config.floatx()` by default).
        batch_shape: the full shape, batch axis included (instead of shape).
        name: the layer's name (`input_layer`, `input_layer_1`, ...).
    """

    def __init__(self, shape=None, batch_size: int | None = None, dtype=None,
                 batch_shape=None, name: str | None = None, **kwargs):
        if "input_shape" in kwargs and shape is None:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs and batch_shape is None:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name, **kwargs)
        if batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer: pass `shape` (one sample's shape) or `batch_shape`.")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size,) + shape
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        if dtype in ("string", "str", str, np.str_, object):
            raise TypeError(
                f'InputLayer "{self.name}": dtype={dtype!r}: strings can not enter a compiled '
                "JAX program (Keras on JAX fails on them in fit). Turn text into numbers "
                "before the model, e.g. `model.fit(text_vectorization(texts), labels)` or in "
                "a PyDataset's __getitem__, and give the Input the result's dtype.")
        self._input_dtype = np.dtype(dtype or config.floatx()).name
        tensor = KerasTensor(self.batch_shape, self._input_dtype, name=self.name)
        tensor.node = Node(self, (), tensor)
        self._inbound_nodes.append(tensor.node)
        self.built = True

    @property
    def dtype(self) -> str:
        """The dtype of the input (as Keras: not the layer's dtype policy)."""
        return self._input_dtype

    @property
    def input_dtype(self) -> str:
        return self._input_dtype

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self._input_dtype,
                "name": self.name}


def Input(shape=None, batch_size: int | None = None, dtype=None, name: str | None = None,
          batch_shape=None) -> KerasTensor:
    """A symbolic input for the functional API.

    Example:
        >>> x = Input(shape=(3,))
        >>> x.shape
        (None, 3)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name,
                       batch_shape=batch_shape)
    return layer.output
