"""Training & evaluation with the built-in methods, tiny sizes."""
import os
import numpy as np
if os.environ.get("IMPL") == "keras":
    import keras
    from keras import layers, ops
else:
    import hoarfrost as keras
    from hoarfrost import layers, ops

def out(*a):
    print("OUT", *a)

keras.utils.set_random_seed(1)
rng = np.random.default_rng(0)
x_train = rng.random((96, 20)).astype("float32")
y_train = rng.integers(0, 10, 96)
x_val, y_val = x_train[-16:], y_train[-16:]
x_test, y_test = x_train[:16], y_train[:16]

def get_uncompiled_model():
    inputs = keras.Input(shape=(20,), name="digits")
    x = layers.Dense(16, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(16, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)

def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    return model

model = get_uncompiled_model()
model.compile(optimizer=keras.optimizers.RMSprop(),
              loss=keras.losses.SparseCategoricalCrossentropy(),
              metrics=[keras.metrics.SparseCategoricalAccuracy()])
history = model.fit(x_train, y_train, batch_size=32, epochs=2, validation_data=(x_val, y_val), verbose=0)
out("history", sorted(history.history))
results = model.evaluate(x_test, y_test, batch_size=16, verbose=0)
out("eval", len(results))
predictions = model.predict(x_test[:3], verbose=0)
out("pred", predictions.shape)

def custom_mean_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)
model = get_uncompiled_model()
model.compile(optimizer=keras.optimizers.Adam(), loss=custom_mean_squared_error)
y_train_one_hot = ops.one_hot(y_train, num_classes=10)
h = model.fit(x_train, y_train_one_hot, batch_size=32, epochs=1, verbose=0)
out("custom fn loss", sorted(h.history))

class CustomMSE(keras.losses.Loss):
    def __init__(self, regularization_factor=0.1, name="custom_mse"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor
    def call(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
        reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
        return mse + reg * self.regularization_factor

model = get_uncompiled_model()
model.compile(optimizer=keras.optimizers.Adam(), loss=CustomMSE())
h = model.fit(x_train, y_train_one_hot, batch_size=32, epochs=1, verbose=0)
out("custom class loss", sorted(h.history))

class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")
    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, "float32")
            values = ops.multiply(values, sample_weight)
        self.true_positives.assign_add(ops.sum(values))
    def result(self):
        return self.true_positives
    def reset_state(self):
        self.true_positives.assign(0.0)

model = get_uncompiled_model()
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
              loss=keras.losses.SparseCategoricalCrossentropy(),
              metrics=[CategoricalTruePositives()])
h = model.fit(x_train, y_train, batch_size=32, epochs=2, verbose=0)
out("custom metric", sorted(h.history), [float(v).is_integer() for v in h.history["categorical_true_positives"]])

class ActivityRegularizationLayer(layers.Layer):
    def call(self, inputs):
        self.add_loss(ops.sum(inputs) * 0.1)
        return inputs

inputs = keras.Input(shape=(20,), name="digits")
x = layers.Dense(16, activation="relu", name="dense_1")(inputs)
x = ActivityRegularizationLayer()(x)
x = layers.Dense(16, activation="relu", name="dense_2")(x)
outputs = layers.Dense(10, name="predictions")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
h = model.fit(x_train, y_train, batch_size=32, epochs=1, verbose=0)
out("add_loss", sorted(h.history), len(model.losses))

class LogisticEndpoint(keras.layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
    def call(self, targets, logits, sample_weights=None):
        loss = self.loss_fn(targets, logits, sample_weights)
        self.add_loss(loss)
        return ops.softmax(logits)

inputs = keras.Input(shape=(3,), name="inputs")
targets = keras.Input(shape=(10,), name="targets")
logits = keras.layers.Dense(10)(inputs)
predictions = LogisticEndpoint(name="predictions")(targets, logits)
model = keras.Model(inputs=[inputs, targets], outputs=predictions)
model.compile(optimizer="adam")
data = {"inputs": np.random.random((3, 3)), "targets": np.random.random((3, 10))}
h = model.fit(data, verbose=0)
out("endpoint", sorted(h.history))

model = get_compiled_model()
h = model.fit(x_train, y_train, batch_size=32, validation_split=0.2, epochs=1, verbose=0)
out("val split", sorted(h.history))

class_weight = {i: 1.0 for i in range(10)}
class_weight[5] = 2.0
model = get_compiled_model()
h = model.fit(x_train, y_train, class_weight=class_weight, batch_size=32, epochs=1, verbose=0)
out("class weight", sorted(h.history))
sample_weight = np.ones(shape=(len(y_train),))
sample_weight[y_train == 5] = 2.0
model = get_compiled_model()
h = model.fit(x_train, y_train, sample_weight=sample_weight, batch_size=32, epochs=1, verbose=0)
out("sample weight", sorted(h.history))

image_input = keras.Input(shape=(8, 8, 3), name="img_input")
timeseries_input = keras.Input(shape=(None, 10), name="ts_input")
x1 = layers.Conv2D(3, 3)(image_input)
x1 = layers.GlobalMaxPooling2D()(x1)
x2 = layers.Conv1D(3, 3)(timeseries_input)
x2 = layers.GlobalMaxPooling1D()(x2)
x = layers.concatenate([x1, x2])
score_output = layers.Dense(1, name="score_output")(x)
class_output = layers.Dense(5, name="class_output")(x)
model = keras.Model(inputs=[image_input, timeseries_input], outputs=[score_output, class_output])
model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
              loss=[keras.losses.MeanSquaredError(), keras.losses.CategoricalCrossentropy()],
              metrics=[[keras.metrics.MeanAbsolutePercentageError(), keras.metrics.MeanAbsoluteError()],
                       [keras.metrics.CategoricalAccuracy()]])
img_data = np.random.random_sample(size=(20, 8, 8, 3))
ts_data = np.random.random_sample(size=(20, 6, 10))
score_targets = np.random.random_sample(size=(20, 1))
class_targets = np.random.random_sample(size=(20, 5))
h = model.fit([img_data, ts_data], [score_targets, class_targets], batch_size=8, epochs=1, verbose=0)
out("mo list keys", sorted(h.history))
model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
              loss={"score_output": keras.losses.MeanSquaredError(),
                    "class_output": keras.losses.CategoricalCrossentropy()},
              metrics={"score_output": [keras.metrics.MeanAbsolutePercentageError(), keras.metrics.MeanAbsoluteError()],
                       "class_output": [keras.metrics.CategoricalAccuracy()]},
              loss_weights={"score_output": 2.0, "class_output": 1.0})
h = model.fit({"img_input": img_data, "ts_input": ts_data},
              {"score_output": score_targets, "class_output": class_targets}, batch_size=8, epochs=1, verbose=0)
out("mo dict keys", sorted(h.history))
model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss=[None, keras.losses.CategoricalCrossentropy()])
h = model.fit([img_data, ts_data], [score_targets, class_targets], batch_size=8, epochs=1, verbose=0)
out("mo none loss", sorted(h.history))

model = get_compiled_model()
callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=1e-2, patience=2, verbose=1)]
h = model.fit(x_train, y_train, epochs=20, batch_size=64, callbacks=callbacks, validation_split=0.2, verbose=0)
out("early stop epochs < 20", len(h.history["loss"]) < 20)

class LossHistory(keras.callbacks.Callback):
    def on_train_begin(self, logs):
        self.per_batch_losses = []
    def on_batch_end(self, batch, logs):
        self.per_batch_losses.append(logs.get("loss"))
cb = LossHistory()
model.fit(x_train, y_train, epochs=1, batch_size=32, callbacks=[cb], verbose=0)
out("per batch", len(cb.per_batch_losses), type(cb.per_batch_losses[0]).__name__)

import tempfile
d = tempfile.mkdtemp()
model = get_compiled_model()
callbacks = [keras.callbacks.ModelCheckpoint(filepath=os.path.join(d, "mymodel_{epoch}.keras"),
                                             save_best_only=True, monitor="val_loss", verbose=1)]
model.fit(x_train, y_train, epochs=2, batch_size=32, callbacks=callbacks, validation_split=0.2, verbose=0)
out("checkpoints", sorted(os.listdir(d))[:1])
initial_learning_rate = 0.1
lr_schedule = keras.optimizers.schedules.ExponentialDecay(initial_learning_rate, decay_steps=100000, decay_rate=0.96, staircase=True)
optimizer = keras.optimizers.RMSprop(learning_rate=lr_schedule)
model = get_uncompiled_model()
model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
model.fit(x_train, y_train, epochs=1, verbose=0)
out("lr", round(float(model.optimizer.learning_rate), 6), int(model.optimizer.iterations))
