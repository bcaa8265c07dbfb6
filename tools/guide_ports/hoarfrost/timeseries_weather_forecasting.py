# ON MAIN TODAY: PASS: finishes, metrics within Keras's band
"""Port of the keras-io example "Timeseries forecasting for weather prediction"
(examples/timeseries/timeseries_weather_forecasting.py).

Run on the JAX backend. Substitutions and cuts:
- the Jena climate CSV (a download read with pandas) is replaced by a synthetic hourly-ish
  series of 7 features (pressure, temperature, saturation vapour pressure, vapour pressure
  deficit, specific humidity, air density, wind speed: daily and slower cycles plus noise,
  the temperature a lagged mix of the others), 6,000 steps, held in NumPy arrays
  instead of a DataFrame; the plots are dropped;
- past = 120, future = 12 steps instead of 720 and 72 (step = 6 as in the guide), batch
  size 64 instead of 256, 3 epochs instead of 10;
- as in the guide: normalisation with the training split's mean and std,
  `keras.preprocessing.timeseries_dataset_from_array` with `sampling_rate=step`, an LSTM(32)
  regressor trained with MSE, EarlyStopping and a best-only weights ModelCheckpoint, and
  predictions on 5 validation batches.
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import hoarfrost as keras

keras.utils.set_random_seed(int(os.environ.get("PORT_SEED", "0")))

rng = np.random.RandomState(42)
n = 6000
t = np.arange(n, dtype="float64")
day = 2 * np.pi * t / 144.0
slow = 2 * np.pi * t / 2000.0
pressure = 990 + 5 * np.sin(slow) + rng.normal(0, 0.5, n)
vpmax = 12 + 6 * np.sin(day - 1.0) + 3 * np.sin(slow) + rng.normal(0, 0.3, n)
vpdef = 4 + 3 * np.sin(day - 1.2) + rng.normal(0, 0.3, n)
sh = 6 + 1.5 * np.sin(slow + 0.5) + rng.normal(0, 0.2, n)
rho = 1250 - 20 * np.sin(day - 1.0) + rng.normal(0, 2, n)
wv = np.abs(2 + np.sin(day * 0.5) + rng.normal(0, 0.7, n))
temp = 0.6 * np.roll(vpmax, 3) + 0.3 * sh - 0.01 * (rho - 1250) + rng.normal(0, 0.2, n)
features = np.stack([pressure, temp, vpmax, vpdef, sh, rho, wv], axis=1)
feature_keys = ["p (mbar)", "T (degC)", "VPmax (mbar)", "VPdef (mbar)", "sh (g/kg)",
                "rho (g/m**3)", "wv (m/s)"]

split_fraction = 0.715
train_split = int(split_fraction * n)
step = 6

past = 120
future = 12
learning_rate = 0.001
batch_size = 64
epochs = 3


def normalize(data, train_split):
    data_mean = data[:train_split].mean(axis=0)
    data_std = data[:train_split].std(axis=0)
    return (data - data_mean) / data_std


print("The selected parameters are:", ", ".join(feature_keys))
features = normalize(features, train_split)

train_data = features[0 : train_split - 1]
val_data = features[train_split:]

start = past + future
end = start + train_split

x_train = train_data
y_train = features[start:end][:, [1]]

sequence_length = int(past / step)

dataset_train = keras.preprocessing.timeseries_dataset_from_array(
    x_train,
    y_train,
    sequence_length=sequence_length,
    sampling_rate=step,
    batch_size=batch_size,
)

x_end = len(val_data) - past - future

label_start = train_split + past + future

x_val = val_data[:x_end]
y_val = features[label_start:][:, [1]]

dataset_val = keras.preprocessing.timeseries_dataset_from_array(
    x_val,
    y_val,
    sequence_length=sequence_length,
    sampling_rate=step,
    batch_size=batch_size,
)

for batch in dataset_train.take(1):
    inputs, targets = batch

print("Input shape:", inputs.shape)
print("Target shape:", targets.shape)

inputs = keras.layers.Input(shape=(inputs.shape[1], inputs.shape[2]))
lstm_out = keras.layers.LSTM(32)(inputs)
outputs = keras.layers.Dense(1)(lstm_out)

model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
model.summary()

path_checkpoint = "model_checkpoint.weights.h5"
es_callback = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0, patience=5)

modelckpt_callback = keras.callbacks.ModelCheckpoint(
    monitor="val_loss",
    filepath=path_checkpoint,
    verbose=1,
    save_weights_only=True,
    save_best_only=True,
)

history = model.fit(
    dataset_train,
    epochs=epochs,
    validation_data=dataset_val,
    callbacks=[es_callback, modelckpt_callback],
)

preds = []
for x, y in dataset_val.take(5):
    preds.append(float(np.mean((np.asarray(model.predict(x)) - np.asarray(y)) ** 2)))

model.load_weights(path_checkpoint)

metrics = {
    "input_shape": list(batch[0].shape),
    "target_shape": list(batch[1].shape),
    "train_batches": len(list(dataset_train)),
    "val_batches": len(list(dataset_val)),
    "params": model.count_params(),
    "loss": float(history.history["loss"][-1]),
    "val_loss": float(history.history["val_loss"][-1]),
    "best_val_loss": float(min(history.history["val_loss"])),
    "reloaded_val_loss": float(model.evaluate(dataset_val, verbose=0)),
    "pred_mse_5": float(np.mean(preds)),
}
print("METRICS", json.dumps(metrics))
