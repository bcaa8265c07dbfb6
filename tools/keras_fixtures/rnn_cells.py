"""Keras fixtures for `RNN` with the built-in cells, `StackedRNNCells`, a custom
cell, masks, `unroll`, and `stateful=True` with `reset_states`.

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python rnn_cells.py

Each fixture holds `spec` (JSON: how to build the layer, replayed by
tests/layers/test_recurrent_cells.py), the inputs, an optional `mask`, the
weights in Keras's `get_weights` order, and `calls`: the flattened outputs
of each call in order (`call_<i>_<j>`). Stateful fixtures are built with
`build(x.shape)` (zero states), called twice, their states recorded, then
`reset_states()` and one more call.
"""

import json

import numpy as np

from common import OUT  # noqa: E402  (run as a script from this folder)

import keras  # noqa: E402
from keras import ops  # noqa: E402

L = keras.layers
rng = np.random.default_rng(0)
x = rng.normal(size=(3, 5, 4)).astype("float32")
MASK = np.array([[1, 1, 1, 0, 0], [0, 0, 1, 1, 1], [1, 0, 1, 1, 0]], bool)


class ScaledCell(L.Layer):
    """A custom cell whose output is not its state (2 * tanh(h)); two states."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                name="recurrent_kernel")

    def call(self, inputs, states):
        h, total = states
        h = ops.tanh(ops.matmul(inputs, self.kernel) + ops.matmul(h, self.recurrent_kernel))
        return 2.0 * h, [h, total + h]


def cell(spec):
    if spec["class_name"] == "ScaledCell":
        return ScaledCell(**spec["config"])
    return getattr(L, spec["class_name"])(**spec["config"])


def build(spec):
    if spec["layer"] == "RNN":
        cells = spec["cell"]
        inner = [cell(c) for c in cells] if isinstance(cells, list) else cell(cells)
        return L.RNN(inner, **spec["kwargs"])
    return getattr(L, spec["layer"])(**spec["kwargs"])


def flat(outputs):
    return [np.asarray(ops.convert_to_numpy(o)) for o in keras.tree.flatten(outputs)]


def record(name, spec, mask=None, stateful_calls=False, seed=0, reset=True):
    keras.utils.set_random_seed(seed)
    layer = build(spec)
    if stateful_calls:
        layer.build(x.shape)
    else:
        layer(x)
    w_rng = np.random.default_rng(seed)
    weights = [(0.5 * w_rng.normal(size=w.shape)).astype(w.dtype) for w in layer.get_weights()]
    layer.set_weights(weights)
    kwargs = {} if mask is None else {"mask": mask}
    if stateful_calls:
        calls = [layer(x, **kwargs), layer(x, **kwargs)]
        calls.append([s.value for s in keras.tree.flatten(layer.states)])
        if reset:  # (Keras 3.15's reset_states fails on nested states: stacked cells)
            layer.reset_states()
            calls.append(layer(x, **kwargs))
    else:
        calls = [layer(x, **kwargs)]
    data = {"spec": np.array(json.dumps(spec)), "input_0": x,
            "num_weights": np.array(len(weights)),
            "weight_paths": np.array(json.dumps([w.path for w in layer.weights])),
            "config_keys": np.array(json.dumps(sorted(layer.get_config()))),
            "num_calls": np.array(len(calls))}
    if mask is not None:
        data["mask"] = mask
    for i, w in enumerate(weights):
        data[f"weight_{i}"] = w
    for i, outputs in enumerate(calls):
        outs = flat(outputs)
        data[f"call_{i}_count"] = np.array(len(outs))
        for j, o in enumerate(outs):
            data[f"call_{i}_{j}"] = o
    np.savez_compressed(OUT / f"{name}.npz", **data)
    print("wrote", OUT / f"{name}.npz")


def rnn(cell_spec, **kwargs):
    return {"layer": "RNN", "cell": cell_spec, "kwargs": kwargs}


def c(class_name, **config):
    return {"class_name": class_name, "config": config}


record("rnncell_simple_seq", rnn(c("SimpleRNNCell", units=3), return_sequences=True))
record("rnncell_lstm_backwards_state", rnn(c("LSTMCell", units=3), go_backwards=True,
                                           return_state=True))
record("rnncell_gru_reset_before_masked", rnn(c("GRUCell", units=2, reset_after=False),
                                              return_sequences=True, return_state=True),
       mask=MASK)
record("rnncell_stacked_seq_state", rnn([c("SimpleRNNCell", units=2), c("LSTMCell", units=3),
                                         c("GRUCell", units=2)],
                                        return_sequences=True, return_state=True))
record("rnncell_stacked_masked_backwards", rnn([c("LSTMCell", units=2),
                                                c("SimpleRNNCell", units=3)],
                                               go_backwards=True, return_state=True),
       mask=MASK)
record("rnncell_custom_seq_state", rnn(c("ScaledCell", units=3), return_sequences=True,
                                       return_state=True))
record("rnncell_custom_masked", rnn(c("ScaledCell", units=2), return_sequences=True,
                                    return_state=True), mask=MASK)
record("rnncell_custom_masked_zero_backwards", rnn(c("ScaledCell", units=2),
                                                   return_sequences=True, go_backwards=True,
                                                   zero_output_for_mask=True), mask=MASK)
record("rnncell_simple_unroll", rnn(c("SimpleRNNCell", units=3), unroll=True,
                                    return_sequences=True))
record("rnncell_lstm_unroll_layer", {"layer": "LSTM", "kwargs": {"units": 2, "unroll": True,
                                                                 "return_state": True}})
record("rnncell_stateful_lstm", {"layer": "LSTM", "kwargs": {"units": 3, "stateful": True}},
       stateful_calls=True)
record("rnncell_stateful_gru_masked_seq", {"layer": "GRU", "kwargs": {
    "units": 2, "stateful": True, "return_sequences": True}}, mask=MASK, stateful_calls=True)
record("rnncell_stateful_simple_rnn_state", {"layer": "SimpleRNN", "kwargs": {
    "units": 2, "stateful": True, "return_state": True, "go_backwards": True}},
    stateful_calls=True)
record("rnncell_stateful_stacked", rnn([c("SimpleRNNCell", units=2), c("LSTMCell", units=2)],
                                       stateful=True), stateful_calls=True, reset=False)
