"""Recurrent layers: `SimpleRNN`, `LSTM`, `GRU`, the generic `RNN` with its cells
(`SimpleRNNCell`, `LSTMCell`, `GRUCell`, `StackedRNNCells`, or a cell of your own)
and the `Bidirectional` wrapper.

Each layer runs one `jax.lax.scan` over time. `SimpleRNN`, `LSTM` and `GRU`
keep their weights on the layer itself (paths `lstm/kernel`,
`lstm/recurrent_kernel`, `lstm/bias`), in Keras's `get_weights()` order and
layout (gates `i, f, c, o` for LSTM, `z, r, h` for GRU), so Keras weights
load unchanged. The built-in cells hold the same weights and compute the same
step: `RNN(LSTMCell(n))` equals `LSTM(n)` given the same weights, and runs
the same compiled scan. Any other cell (a `Layer` with `state_size` and
`call(inputs, states)`, or a `StackedRNNCells`) runs its `call` once per
timestep inside the scan.

Masking follows Keras on JAX exactly: at a masked timestep every state is
carried over unchanged and the output is the first state (the previous
output for the built-in cells), or zeros with `zero_output_for_mask=True`
(which `Bidirectional` sets when returning sequences). The mask comes from
upstream (an `Embedding(mask_zero=True)` or `Masking` layer) or explicitly as
`layer(x, mask=m)` with `m` of shape `(batch, timesteps)`.

`stateful=True` keeps the final states of each batch as the initial states of
the next (sample `i` of a batch continues sample `i` of the previous one)
until `reset_states()`. The states are non-trainable state variables
(`layer.states`): carried from step to step by `fit` while the layer is
trainable, bit-identical while it is frozen, untouched by `predict` and
`evaluate` (as Keras 3 on JAX); like Keras, they are not among the layer's
`weights`, so `get_weights()` and the parameter counts are Keras's.

The package, one module per family as Keras 3's `layers/rnn` lays them out:
`simple_rnn`, `lstm`, `gru` (each layer with its cell), `rnn`,
`stacked_rnn_cells`, `bidirectional`; and what they share: `scan` (the
compiled scan over time), `recurrent_weights` (the weights and arguments of the
built-in layers and cells), `base_rnn` (the fused layers' base), `base_cell`,
`stateful` (`stateful=True`), `nested` (reading nested layer configs).
"""

from hoarfrost.layers.recurrent.base_rnn import _RNN
from hoarfrost.layers.recurrent.bidirectional import Bidirectional
from hoarfrost.layers.recurrent.gru import GRU, GRUCell
from hoarfrost.layers.recurrent.lstm import LSTM, LSTMCell
from hoarfrost.layers.recurrent.rnn import RNN
from hoarfrost.layers.recurrent.scan import _dropout_mask
from hoarfrost.layers.recurrent.simple_rnn import SimpleRNN, SimpleRNNCell
from hoarfrost.layers.recurrent.stacked_rnn_cells import StackedRNNCells

__all__ = ["Bidirectional", "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "SimpleRNN",
           "SimpleRNNCell", "StackedRNNCells"]
