import os, tempfile, math
import numpy as np
if os.environ.get("IMPL") == "keras":
    import keras
    from keras import layers, ops
else:
    import hoarfrost as keras
    from hoarfrost import layers, ops
def out(*a): print("OUT", *a)
keras.utils.set_random_seed(4)
class ExamplePyDataset(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)
    def __getitem__(self, idx):
        lo = idx * self.batch_size
        hi = min(lo + self.batch_size, len(self.x))
        return self.x[lo:hi], self.y[lo:hi]
x = np.random.random((50, 6)).astype("float32"); y = np.random.randint(0, 3, 50)
model = keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
train = ExamplePyDataset(x, y, batch_size=16)
val = ExamplePyDataset(x[:20], y[:20], batch_size=8)
d = tempfile.mkdtemp()
cbs = [keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=0, min_lr=1e-5),
       keras.callbacks.CSVLogger(os.path.join(d, "log.csv")),
       keras.callbacks.TerminateOnNaN(),
       keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: out("lambda", e, sorted(logs)))]
h = model.fit(train, validation_data=val, epochs=3, verbose=0, callbacks=cbs)
out("pyds keys", sorted(h.history), len(h.history["loss"]))
out("csv header", open(os.path.join(d, "log.csv")).readline().strip())
out("lr in history", "learning_rate" in h.history)
r = model.evaluate(val, verbose=0)
out("eval", len(r))
p = model.predict(val, verbose=0)
out("pred", p.shape)
def gen():
    while True:
        for i in range(0, 48, 16):
            yield x[i:i + 16], y[i:i + 16]
h = model.fit(gen(), steps_per_epoch=3, epochs=2, verbose=0)
out("gen", sorted(h.history))
h = model.fit(x, y, validation_data=(x[:10], y[:10]), validation_steps=None, validation_batch_size=5, validation_freq=2, epochs=4, verbose=0)
out("val freq", {k: len(v) for k, v in sorted(h.history.items())})
h = model.fit(x, y, initial_epoch=2, epochs=4, verbose=0)
out("initial_epoch", len(h.history["loss"]), h.epoch)
out("history.params", sorted(h.params), h.params.get("epochs"), h.params.get("steps"))
ck = os.path.join(d, "w.weights.h5")
cb = keras.callbacks.ModelCheckpoint(ck, save_weights_only=True, save_freq="epoch")
model.fit(x, y, epochs=1, verbose=0, callbacks=[cb])
out("ckpt", os.path.exists(ck))
model.load_weights(ck)
bk = keras.callbacks.BackupAndRestore(os.path.join(d, "backup"))
model.fit(x, y, epochs=2, verbose=0, callbacks=[bk])
out("backup removed", os.path.exists(os.path.join(d, "backup")) and os.listdir(os.path.join(d, "backup")))
model.save(os.path.join(d, "m.keras"))
m2 = keras.models.load_model(os.path.join(d, "m.keras"))
out("reload", np.allclose(m2.predict(x, verbose=0), model.predict(x, verbose=0)), m2.optimizer.__class__.__name__, int(m2.optimizer.iterations) == int(model.optimizer.iterations))
out("to_cat", keras.utils.to_categorical([0, 2], 3).tolist())
out("normalize", np.round(keras.utils.normalize(np.array([[3.0, 4.0]])), 3).tolist())
