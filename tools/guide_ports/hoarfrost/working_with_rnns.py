# ON MAIN TODAY: PASS: finishes, metrics within Keras's band
"""Port of the Keras 3 guide "Working with RNNs" (keras-io guides/working_with_rnns.py),
all but the nested-input cell (see rnn_nested_cell).

Run on the JAX backend. Substitutions: MNIST rows are the digit sample shipped with hoarfrost,
cut to 2,000 training and 500 test digits; `ops` replaces the guide's `tf.argmax` /
`tf.expand_dims`, and the `tf.device("CPU:0")` block runs without it (JAX on CPU). Omitted:
the matplotlib display.
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import hoarfrost as keras
from hoarfrost import layers
from hoarfrost import ops
from hoarfrost.datasets.mnist import load_sample as mnist_sample

keras.utils.set_random_seed(int(os.environ.get("PORT_SEED", "0")))

# Built-in RNN layers: a simple example.
model = keras.Sequential()
model.add(layers.Embedding(input_dim=1000, output_dim=64))
model.add(layers.LSTM(128))
model.add(layers.Dense(10))
model.summary()

# Outputs and states.
model = keras.Sequential()
model.add(layers.Embedding(input_dim=1000, output_dim=64))
model.add(layers.GRU(256, return_sequences=True))
model.add(layers.SimpleRNN(128))
model.add(layers.Dense(10))
model.summary()
gru_model_output_shape = list(model(np.ones((2, 7), "int32")).shape)
gru_model_params = model.count_params()

encoder_vocab = 1000
decoder_vocab = 2000

encoder_input = layers.Input(shape=(None,))
encoder_embedded = layers.Embedding(input_dim=encoder_vocab, output_dim=64)(
    encoder_input
)
output, state_h, state_c = layers.LSTM(64, return_state=True, name="encoder")(
    encoder_embedded
)
encoder_state = [state_h, state_c]

decoder_input = layers.Input(shape=(None,))
decoder_embedded = layers.Embedding(input_dim=decoder_vocab, output_dim=64)(
    decoder_input
)
decoder_output = layers.LSTM(64, name="decoder")(
    decoder_embedded, initial_state=encoder_state
)
output = layers.Dense(10)(decoder_output)
model = keras.Model([encoder_input, decoder_input], output)
model.summary()
seq2seq_params = model.count_params()
seq2seq_output_shape = list(model([np.ones((2, 5)), np.ones((2, 6))]).shape)

# Cross-batch statefulness.
paragraph1 = np.random.random((20, 10, 50)).astype(np.float32)
paragraph2 = np.random.random((20, 10, 50)).astype(np.float32)
paragraph3 = np.random.random((20, 10, 50)).astype(np.float32)

lstm_layer = layers.LSTM(64, stateful=True)
output = lstm_layer(paragraph1)
output = lstm_layer(paragraph2)
output = lstm_layer(paragraph3)
lstm_layer.reset_states()

# RNN state reuse.
paragraph1 = np.random.random((20, 10, 50)).astype(np.float32)
paragraph2 = np.random.random((20, 10, 50)).astype(np.float32)
paragraph3 = np.random.random((20, 10, 50)).astype(np.float32)

lstm_layer = layers.LSTM(64, stateful=True)
output = lstm_layer(paragraph1)
output = lstm_layer(paragraph2)
existing_state = lstm_layer.states
new_lstm_layer = layers.LSTM(64)
new_output = new_lstm_layer(paragraph3, initial_state=existing_state)
reused_state_shapes = [list(s.shape) for s in existing_state]

# Bidirectional RNNs.
model = keras.Sequential()
model.add(
    layers.Bidirectional(layers.LSTM(64, return_sequences=True), input_shape=(5, 10))
)
model.add(layers.Bidirectional(layers.LSTM(32)))
model.add(layers.Dense(10))
model.summary()
bidirectional_params = model.count_params()

# Performance optimization and CuDNN kernels.
batch_size = 64
input_dim = 28
units = 64
output_size = 10


def build_model(allow_cudnn_kernel=True):
    if allow_cudnn_kernel:
        lstm_layer = keras.layers.LSTM(units, input_shape=(None, input_dim))
    else:
        lstm_layer = keras.layers.RNN(
            keras.layers.LSTMCell(units), input_shape=(None, input_dim)
        )
    model = keras.models.Sequential(
        [
            lstm_layer,
            keras.layers.BatchNormalization(),
            keras.layers.Dense(output_size),
        ]
    )
    return model


(x_train, y_train), (x_test, y_test) = mnist_sample()
x_train, y_train, x_test, y_test = x_train[:2000], y_train[:2000], x_test[:500], y_test[:500]
x_train, x_test = x_train / 255.0, x_test / 255.0
sample, sample_label = x_train[0], y_train[0]

model = build_model(allow_cudnn_kernel=True)
model.compile(
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    optimizer="sgd",
    metrics=["accuracy"],
)
lstm_history = model.fit(
    x_train, y_train, validation_data=(x_test, y_test), batch_size=batch_size, epochs=1
)

noncudnn_model = build_model(allow_cudnn_kernel=False)
noncudnn_model.set_weights(model.get_weights())
noncudnn_model.compile(
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    optimizer="sgd",
    metrics=["accuracy"],
)
cell_history = noncudnn_model.fit(
    x_train, y_train, validation_data=(x_test, y_test), batch_size=batch_size, epochs=1
)

cpu_model = build_model(allow_cudnn_kernel=True)
cpu_model.set_weights(model.get_weights())
result = ops.argmax(cpu_model.predict_on_batch(ops.expand_dims(sample, 0)), axis=1)
print("Predicted result is: %s, target result is: %s" % (np.asarray(result), sample_label))
same_as_trained = bool(
    np.allclose(cpu_model.predict_on_batch(x_test[:8]), model.predict_on_batch(x_test[:8]),
                atol=1e-5)
)

metrics = {
    "gru_model_output_shape": gru_model_output_shape,
    "gru_model_params": gru_model_params,
    "seq2seq_params": seq2seq_params,
    "seq2seq_output_shape": seq2seq_output_shape,
    "reused_state_shapes": reused_state_shapes,
    "new_output_shape": list(new_output.shape),
    "bidirectional_params": bidirectional_params,
    "lstm_val_accuracy": float(lstm_history.history["val_accuracy"][-1]),
    "rnn_cell_val_accuracy": float(cell_history.history["val_accuracy"][-1]),
    "cpu_model_same_predictions": same_as_trained,
}
print("METRICS", json.dumps(metrics))
