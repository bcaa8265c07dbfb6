"""Working with RNNs + Customizing fit() (JAX), tiny sizes."""
import os
import numpy as np
if os.environ.get("IMPL") == "keras":
    import keras
    from keras import layers, ops
else:
    import hoarfrost as keras
    from hoarfrost import layers, ops
import jax

def out(*a):
    print("OUT", *a)

keras.utils.set_random_seed(3)
model = keras.Sequential()
model.add(keras.Input(shape=(None,), dtype="int32"))
model.add(layers.Embedding(input_dim=100, output_dim=8))
model.add(layers.LSTM(16))
model.add(layers.Dense(10))
out("lstm params", model.count_params())
model = keras.Sequential()
model.add(keras.Input(shape=(None,), dtype="int32"))
model.add(layers.Embedding(input_dim=100, output_dim=8))
model.add(layers.GRU(16, return_sequences=True))
model.add(layers.SimpleRNN(8))
model.add(layers.Dense(10))
out("gru params", model.count_params(), model.output_shape)
encoder_vocab, decoder_vocab = 100, 50
encoder_input = layers.Input(shape=(None,))
encoder_embedded = layers.Embedding(input_dim=encoder_vocab, output_dim=8)(encoder_input)
output, state_h, state_c = layers.LSTM(8, return_state=True, name="encoder")(encoder_embedded)
encoder_state = [state_h, state_c]
decoder_input = layers.Input(shape=(None,))
decoder_embedded = layers.Embedding(input_dim=decoder_vocab, output_dim=8)(decoder_input)
decoder_output = layers.LSTM(8, name="decoder")(decoder_embedded, initial_state=encoder_state)
output = layers.Dense(10)(decoder_output)
model = keras.Model([encoder_input, decoder_input], output)
out("seq2seq params", model.count_params(), [l.name for l in model.layers])
paragraph1 = np.random.random((20, 10, 50)).astype(np.float32)
paragraph2 = np.random.random((20, 10, 50)).astype(np.float32)
paragraph3 = np.random.random((20, 10, 50)).astype(np.float32)
lstm_layer = layers.LSTM(4, stateful=True)
o1 = lstm_layer(paragraph1)
o2 = lstm_layer(paragraph2)
o3 = lstm_layer(paragraph3)
lstm_layer.reset_states()
o1b = lstm_layer(paragraph1)
out("stateful", np.allclose(np.asarray(o1), np.asarray(o1b)), not np.allclose(np.asarray(o1), np.asarray(o2)))
existing_state = lstm_layer.states
new_lstm_layer = layers.LSTM(4)
new_output = new_lstm_layer(paragraph3, initial_state=existing_state)
out("states", len(existing_state), tuple(new_output.shape))
model = keras.Sequential()
model.add(keras.Input(shape=(5, 10)))
model.add(layers.Bidirectional(layers.LSTM(8, return_sequences=True)))
model.add(layers.Bidirectional(layers.LSTM(4)))
model.add(layers.Dense(10))
out("bidi", model.count_params(), model.output_shape)

# nested cell
class NestedCell(keras.layers.Layer):
    def __init__(self, unit_1, unit_2, unit_3, **kwargs):
        self.unit_1 = unit_1
        self.unit_2 = unit_2
        self.unit_3 = unit_3
        self.state_size = [unit_1, [unit_2, unit_3]]
        self.output_size = [unit_1, [unit_2, unit_3]]
        super().__init__(**kwargs)
    def build(self, input_shapes):
        i1 = input_shapes[0][1]
        i2 = input_shapes[1][1]
        i3 = input_shapes[1][2]
        self.kernel_1 = self.add_weight(shape=(i1, self.unit_1), initializer="uniform", name="kernel_1")
        self.kernel_2_3 = self.add_weight(shape=(i2, i3, self.unit_2, self.unit_3), initializer="uniform", name="kernel_2_3")
    def call(self, inputs, states):
        input_1, input_2 = keras.tree.flatten(inputs)
        s1, s2 = states
        output_1 = ops.matmul(input_1, self.kernel_1)
        output_2_3 = ops.einsum("bij,ijkl->bkl", input_2, self.kernel_2_3)
        state_1 = s1 + output_1
        state_2_3 = s2 + output_2_3
        output = (output_1, output_2_3)
        new_states = (state_1, state_2_3)
        return output, new_states
    def get_config(self):
        return {"unit_1": self.unit_1, "unit_2": self.unit_2, "unit_3": self.unit_3}
unit_1, unit_2, unit_3 = 4, 3, 2
i1, i2, i3 = 8, 5, 4
cell = NestedCell(unit_1, unit_2, unit_3)
rnn = keras.layers.RNN(cell)
input_1 = keras.Input((None, i1))
input_2 = keras.Input((None, i2, i3))
try:
    outputs = rnn((input_1, input_2))
    model = keras.models.Model([input_1, input_2], outputs)
    model.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
    input_1_data = np.random.random((16, 6, i1))
    input_2_data = np.random.random((16, 6, i2, i3))
    target_1_data = np.random.random((16, unit_1))
    target_2_data = np.random.random((16, unit_2, unit_3))
    h = model.fit([input_1_data, input_2_data], [target_1_data, target_2_data], batch_size=8, verbose=0)
    out("nested", sorted(h.history))
except Exception as e:
    out("nested ERR", type(e).__name__, str(e)[:200])

# --- custom fit (JAX) ---
class CustomModel(keras.Model):
    def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, x, y, training=False):
        y_pred, non_trainable_variables = self.stateless_call(trainable_variables, non_trainable_variables, x, training=training)
        loss = self.compute_loss(x, y, y_pred)
        return loss, (y_pred, non_trainable_variables)
    def train_step(self, state, data):
        (trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables) = state
        x, y = data
        grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
        (loss, (y_pred, non_trainable_variables)), grads = grad_fn(trainable_variables, non_trainable_variables, x, y, training=True)
        (trainable_variables, optimizer_variables) = self.optimizer.stateless_apply(optimizer_variables, grads, trainable_variables)
        new_metrics_vars = []
        logs = {}
        for metric in self.metrics:
            this_metric_vars = metrics_variables[len(new_metrics_vars):len(new_metrics_vars) + len(metric.variables)]
            if metric.name == "loss":
                this_metric_vars = metric.stateless_update_state(this_metric_vars, loss)
            else:
                this_metric_vars = metric.stateless_update_state(this_metric_vars, y, y_pred)
            logs[metric.name] = metric.stateless_result(this_metric_vars)
            new_metrics_vars += this_metric_vars
        state = (trainable_variables, non_trainable_variables, optimizer_variables, new_metrics_vars)
        return logs, state
inputs = keras.Input(shape=(32,))
outputs = keras.layers.Dense(1)(inputs)
model = CustomModel(inputs, outputs)
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
x = np.random.random((64, 32)); y = np.random.random((64, 1))
h = model.fit(x, y, epochs=2, verbose=0)
out("custom fit", sorted(h.history), len(h.history["loss"]))

class CustomModel2(keras.Model):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
        self.loss_fn = keras.losses.MeanSquaredError()
    def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, x, y, training=False):
        y_pred, non_trainable_variables = self.stateless_call(trainable_variables, non_trainable_variables, x, training=training)
        loss = self.loss_fn(y, y_pred)
        return loss, (y_pred, non_trainable_variables)
    def train_step(self, state, data):
        (trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables) = state
        x, y = data
        grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
        (loss, (y_pred, non_trainable_variables)), grads = grad_fn(trainable_variables, non_trainable_variables, x, y, training=True)
        (trainable_variables, optimizer_variables) = self.optimizer.stateless_apply(optimizer_variables, grads, trainable_variables)
        loss_tracker_vars = metrics_variables[: len(self.loss_tracker.variables)]
        mae_metric_vars = metrics_variables[len(self.loss_tracker.variables):]
        loss_tracker_vars = self.loss_tracker.stateless_update_state(loss_tracker_vars, loss)
        mae_metric_vars = self.mae_metric.stateless_update_state(mae_metric_vars, y, y_pred)
        logs = {}
        logs[self.loss_tracker.name] = self.loss_tracker.stateless_result(loss_tracker_vars)
        logs[self.mae_metric.name] = self.mae_metric.stateless_result(mae_metric_vars)
        new_metrics_vars = loss_tracker_vars + mae_metric_vars
        state = (trainable_variables, non_trainable_variables, optimizer_variables, new_metrics_vars)
        return logs, state
    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]
    def test_step(self, state, data):
        x, y = data
        (trainable_variables, non_trainable_variables, metrics_variables) = state
        y_pred, non_trainable_variables = self.stateless_call(trainable_variables, non_trainable_variables, x, training=False)
        loss = self.compute_loss(x, y, y_pred)
        new_metrics_vars = []
        logs = {}
        for metric in self.metrics:
            this_metric_vars = metrics_variables[len(new_metrics_vars):len(new_metrics_vars) + len(metric.variables)]
            if metric.name == "loss":
                this_metric_vars = metric.stateless_update_state(this_metric_vars, loss)
            else:
                this_metric_vars = metric.stateless_update_state(this_metric_vars, y, y_pred)
            logs[metric.name] = metric.stateless_result(this_metric_vars)
            new_metrics_vars += this_metric_vars
        state = (trainable_variables, non_trainable_variables, new_metrics_vars)
        return logs, state
inputs = keras.Input(shape=(32,))
outputs = keras.layers.Dense(1)(inputs)
model = CustomModel2(inputs, outputs)
model.compile(optimizer="adam", loss="mse")
h = model.fit(x, y, epochs=3, verbose=0)
out("custom fit2", sorted(h.history))
r = model.evaluate(x, y, verbose=0, return_dict=True)
out("custom eval", sorted(r))
