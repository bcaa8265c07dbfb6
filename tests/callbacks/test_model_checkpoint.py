"""ModelCheckpoint's verbose messages are Keras 3's, line for line."""

import numpy as np

import hoarfrost as keras


def test_verbose_save_best_only_prints_keras_messages(tmp_path, capsys):
    """Keras 3 prints the improvement line, then "finished saving model to" after each save
    (the weather-forecasting guide's output); nothing is saved when val_loss does not improve."""
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    x = np.ones((4, 2), "float32")
    path = str(tmp_path / "ckpt.weights.h5")
    callback = keras.callbacks.ModelCheckpoint(path, monitor="val_loss", verbose=1,
                                               save_weights_only=True, save_best_only=True)
    model.fit(x, x[:, :1], epochs=2, validation_data=(x, x[:, :1]), callbacks=[callback],
              verbose=0)
    lines = [line for line in capsys.readouterr().out.splitlines() if line]
    assert lines[0].startswith("Epoch 1: val_loss improved from None to ")
    assert lines[0].endswith(f", saving model to {path}")
    assert lines[1] == f"Epoch 1: finished saving model to {path}"
    assert lines[2].startswith("Epoch 2: val_loss did not improve from ")
    assert len(lines) == 3
