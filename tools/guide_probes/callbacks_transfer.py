"""Writing your own callbacks + Transfer learning & fine-tuning, tiny sizes."""
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

keras.utils.set_random_seed(2)
def get_model():
    model = keras.Sequential()
    model.add(layers.Dense(1))
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.1), loss="mean_squared_error", metrics=["mean_absolute_error"])
    return model
rng = np.random.default_rng(0)
x_train = rng.random((64, 5)).astype("float32"); y_train = x_train.sum(1)
x_test, y_test = x_train[:16], y_train[:16]
events = []
class CustomCallback(keras.callbacks.Callback):
    def on_train_begin(self, logs=None): events.append(("train_begin", sorted(logs or {})))
    def on_train_end(self, logs=None): events.append(("train_end", sorted(logs or {})))
    def on_epoch_begin(self, epoch, logs=None): events.append(("epoch_begin", epoch, sorted(logs or {})))
    def on_epoch_end(self, epoch, logs=None): events.append(("epoch_end", epoch, sorted(logs or {})))
    def on_test_begin(self, logs=None): events.append(("test_begin", sorted(logs or {})))
    def on_test_end(self, logs=None): events.append(("test_end", sorted(logs or {})))
    def on_predict_begin(self, logs=None): events.append(("predict_begin", sorted(logs or {})))
    def on_predict_end(self, logs=None): events.append(("predict_end", sorted(logs or {})))
    def on_train_batch_begin(self, batch, logs=None): events.append(("train_batch_begin", batch, sorted(logs or {})))
    def on_train_batch_end(self, batch, logs=None): events.append(("train_batch_end", batch, sorted(logs or {})))
    def on_test_batch_begin(self, batch, logs=None): events.append(("test_batch_begin", batch, sorted(logs or {})))
    def on_test_batch_end(self, batch, logs=None): events.append(("test_batch_end", batch, sorted(logs or {})))
    def on_predict_batch_begin(self, batch, logs=None): events.append(("predict_batch_begin", batch, sorted(logs or {})))
    def on_predict_batch_end(self, batch, logs=None): events.append(("predict_batch_end", batch, sorted(logs or {})))
model = get_model()
model.fit(x_train, y_train, batch_size=32, epochs=1, verbose=0, validation_split=0.5, callbacks=[CustomCallback()])
res = model.evaluate(x_test, y_test, batch_size=8, verbose=0, callbacks=[CustomCallback()])
res = model.predict(x_test, batch_size=8, verbose=0, callbacks=[CustomCallback()])
for e in events:
    out(*e)

class LossAndErrorPrintingCallback(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        out("batch", batch, type(logs["loss"]).__name__)
    def on_epoch_end(self, epoch, logs=None):
        out("epoch", epoch, sorted(logs), type(logs["mean_absolute_error"]).__name__)
model = get_model()
model.fit(x_train, y_train, batch_size=32, epochs=2, verbose=0, callbacks=[LossAndErrorPrintingCallback()])

class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
    def __init__(self, patience=0):
        super().__init__()
        self.patience = patience
        self.best_weights = None
    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf
    def on_epoch_end(self, epoch, logs=None):
        current = logs.get("loss")
        if np.less(current, self.best):
            self.best = current
            self.wait = 0
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True
                self.model.set_weights(self.best_weights)
model = get_model()
h = model.fit(x_train, y_train, batch_size=64, steps_per_epoch=1, epochs=30, verbose=0,
              callbacks=[EarlyStoppingAtMinLoss(patience=1)])
out("stopped early", len(h.history["loss"]) < 30)

class CustomLearningRateScheduler(keras.callbacks.Callback):
    def __init__(self, schedule):
        super().__init__()
        self.schedule = schedule
    def on_epoch_begin(self, epoch, logs=None):
        if not hasattr(self.model.optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        lr = self.model.optimizer.learning_rate
        scheduled_lr = self.schedule(epoch, lr)
        self.model.optimizer.learning_rate = scheduled_lr
        out("lr epoch", epoch, round(float(np.array(scheduled_lr)), 4))
LR_SCHEDULE = [(1, 0.05), (2, 0.01)]
def lr_schedule(epoch, lr):
    if epoch < LR_SCHEDULE[0][0] or epoch > LR_SCHEDULE[-1][0]:
        return lr
    for i in range(len(LR_SCHEDULE)):
        if epoch == LR_SCHEDULE[i][0]:
            return LR_SCHEDULE[i][1]
    return lr
model = get_model()
model.fit(x_train, y_train, batch_size=64, epochs=4, verbose=0, callbacks=[CustomLearningRateScheduler(lr_schedule)])
out("final lr", round(float(np.array(model.optimizer.learning_rate)), 4))

# --- transfer learning ---
layer = keras.layers.Dense(3)
layer.build((None, 4))
out("dense weights", len(layer.weights), len(layer.trainable_weights), len(layer.non_trainable_weights))
layer = keras.layers.BatchNormalization()
layer.build((None, 4))
out("bn weights", len(layer.weights), len(layer.trainable_weights), len(layer.non_trainable_weights))
layer = keras.layers.Dense(3)
layer.build((None, 4))
layer.trainable = False
out("frozen dense", len(layer.weights), len(layer.trainable_weights), len(layer.non_trainable_weights))
layer1 = keras.layers.Dense(3, activation="relu")
layer2 = keras.layers.Dense(3, activation="sigmoid")
model = keras.Sequential([keras.Input(shape=(3,)), layer1, layer2])
layer1.trainable = False
initial_layer1_weights_values = layer1.get_weights()
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.random((2, 3)), np.random.random((2, 3)), verbose=0)
final_layer1_weights_values = layer1.get_weights()
out("frozen unchanged", all(np.array_equal(a, b) for a, b in zip(initial_layer1_weights_values, final_layer1_weights_values)))
inner_model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(3, activation="relu")])
model = keras.Sequential([keras.Input(shape=(3,)), inner_model, keras.layers.Dense(3, activation="sigmoid")])
model.trainable = False
assert inner_model.trainable == False
assert inner_model.layers[0].trainable == False
out("recursive", len(model.trainable_weights))

base_model = keras.Sequential([keras.Input((8, 8, 3)), layers.Conv2D(4, 3), layers.BatchNormalization(), layers.ReLU(), layers.GlobalAveragePooling2D()], name="base")
base_model.trainable = False
inputs = keras.Input(shape=(8, 8, 3))
scale_layer = keras.layers.Rescaling(scale=1 / 127.5, offset=-1)
x = scale_layer(inputs)
x = base_model(x, training=False)
x = keras.layers.Dropout(0.2)(x)
outputs = keras.layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
model.summary(show_trainable=True)
model.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.BinaryCrossentropy(from_logits=True), metrics=[keras.metrics.BinaryAccuracy()])
xi = (np.random.random((16, 8, 8, 3)) * 255).astype("float32"); yi = np.random.randint(0, 2, (16, 1)).astype("float32")
bn = base_model.layers[1]
mm = bn.moving_mean.numpy().copy() if hasattr(bn.moving_mean, "numpy") else np.array(bn.moving_mean)
h = model.fit(xi, yi, epochs=1, batch_size=8, validation_data=(xi, yi), verbose=0)
out("tl keys", sorted(h.history))
out("tl trainable", len(model.trainable_weights), len(model.non_trainable_weights))
base_model.trainable = True
model.compile(optimizer=keras.optimizers.Adam(1e-5), loss=keras.losses.BinaryCrossentropy(from_logits=True), metrics=[keras.metrics.BinaryAccuracy()])
h = model.fit(xi, yi, epochs=1, batch_size=8, verbose=0)
out("finetune trainable", len(model.trainable_weights), len(model.non_trainable_weights))
out("bn moving mean unchanged (training=False)", np.array_equal(mm, np.array(bn.moving_mean)))
