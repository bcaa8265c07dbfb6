"""PyDataset: batches by index, every epoch, on_epoch_end between epochs, known length."""

import numpy as np

import hoarfrost
from hoarfrost import layers
from hoarfrost.utils import PyDataset


class Digits(PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.order = np.arange(len(x))
        self.epochs_ended = 0
        self.seen = []

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, index):
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        self.seen.append(index)
        return self.x[rows], self.y[rows]

    def on_epoch_end(self):
        self.epochs_ended += 1
        self.order = np.random.default_rng(self.epochs_ended).permutation(len(self.x))


def test_fit_evaluate_predict_on_a_py_dataset(capsys):
    hoarfrost.utils.set_random_seed(0)  # the batch order fit draws
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 4)).astype("float32")
    y = (x.sum(axis=1) > 0).astype("int32")
    data = Digits(x, y, batch_size=32, workers=4, use_multiprocessing=True)
    model = hoarfrost.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)),
                                  layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(data, epochs=3, verbose=2)
    # fit(shuffle=True), the default: each epoch reads every batch once, in a random order
    assert [sorted(data.seen[i:i + 4]) for i in (0, 4, 8)] == [[0, 1, 2, 3]] * 3
    assert data.seen != [0, 1, 2, 3] * 3 and data.epochs_ended == 3
    assert "4/4" in capsys.readouterr().out  # the length is known to the progress display
    assert len(history.history["loss"]) == 3
    loss, accuracy = model.evaluate(data, verbose=0)
    ref_loss, ref_accuracy = model.evaluate(x, y, batch_size=32, verbose=0)
    assert np.isclose(loss, ref_loss, rtol=1e-5) and np.isclose(accuracy, ref_accuracy)
    assert model.predict(data, verbose=0).shape == (100, 2)
    assert data.num_batches == 4 and data.workers == 4
