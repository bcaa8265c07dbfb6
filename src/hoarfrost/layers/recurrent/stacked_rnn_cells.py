"""`StackedRNNCells`: cells applied one after the other at each timestep, as one cell."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost.layers.layer import Layer
from hoarfrost.layers.recurrent.base_cell import _call_cell, _check_cell, _output_size
from hoarfrost.layers.recurrent.nested import _deserialize


class StackedRNNCells(Layer):
    """Cells applied one after the other at each timestep, as one cell (Keras 3's).

    The output of each cell is the input of the next; the states are one entry
    per cell (a list where a cell has several states). `RNN([cell1, cell2])`
    makes one. Weights: the cells', in order.

    Args:
        cells: a list of cells (built-in or your own).
        **kwargs: `name`, `trainable`, `dtype`.

    Example:
        >>> cells = StackedRNNCells([SimpleRNNCell(4), LSTMCell(3)])
        >>> RNN(cells)(jnp.ones((2, 5, 3))).shape
        (2, 3)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        cells = list(cells)
        if not cells:
            raise ValueError("StackedRNNCells: `cells` must hold at least one cell.")
        for cell in cells:
            _check_cell(cell, "cells")
        self.cells = cells

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self) -> int:
        return _output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None) -> list:
        states = []
        for cell in self.cells:
            get_initial_state = getattr(cell, "get_initial_state", None)
            if get_initial_state is not None:
                states.append(get_initial_state(batch_size=batch_size))
            elif isinstance(cell.state_size, int):
                states.append(jnp.zeros((batch_size, cell.state_size), self.compute_dtype))
            else:
                states.append([jnp.zeros((batch_size, d), self.compute_dtype)
                               for d in cell.state_size])
        return states

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer):
                cell._maybe_build(tuple(input_shape))
            input_shape = (input_shape[0], _output_size(cell))
        self.built = True

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            is_list = isinstance(cell_states, (list, tuple))
            cell_states = list(cell_states) if is_list else [cell_states]
            inputs, cell_states = _call_cell(cell, inputs, cell_states, training)
            if not isinstance(cell_states, (list, tuple)):
                cell_states = [cell_states]
            cell_states = list(cell_states)
            new_states.append(cell_states[0] if len(cell_states) == 1 and not is_list
                              else cell_states)
        return inputs, (new_states[0] if len(new_states) == 1 else new_states)

    def get_config(self):
        from hoarfrost.saving.serialization import serialize_layer
        return {**super().get_config(), "cells": [serialize_layer(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [_deserialize(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)
