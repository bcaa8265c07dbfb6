"""SwapEMAWeights against Keras 3.15 (tools/keras_fixtures/swap_ema.py): evaluation with the
moving averages, trained weights back bit for bit, swap_on_epoch's final averages."""

from pathlib import Path

import numpy as np
import pytest

from hoarfrost import Sequential, callbacks, layers, optimizers

DATA = np.load(Path(__file__).parents[1] / "fixtures" / "keras_swap_ema.npz")


def make(**optimizer_kwargs):
    model = Sequential([layers.Input((3,)), layers.Dense(2)])
    model.set_weights([DATA["kernel"], DATA["bias"]])
    model.compile(optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5, **optimizer_kwargs),
                  "mse")
    return model


def test_evaluate_with_the_averages_then_the_trained_weights_come_back():
    x, y = DATA["x"], DATA["y"]
    model = make()
    for _ in range(3):  # not fit, which ends by making the averages the weights
        model.train_on_batch(x, y)
    trained = [np.array(w) for w in model.get_weights()]
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), DATA["plain_loss"], rtol=1e-5)
    ema_loss = model.evaluate(x, y, verbose=0, callbacks=[callbacks.SwapEMAWeights()])
    np.testing.assert_allclose(ema_loss, DATA["ema_loss"], rtol=1e-5)
    for before, after in zip(trained, model.get_weights()):
        assert np.array_equal(before, after)  # swapped back exactly
    np.testing.assert_allclose(model.get_weights()[0], DATA["trained_kernel"], rtol=1e-5)
    kernel = model.layers[0].kernel
    average = np.array(model.optimizer.slots_for(kernel)["average"])
    model.predict(x, verbose=0, callbacks=[callbacks.SwapEMAWeights()])
    assert np.array_equal(np.array(kernel.value), trained[0])  # back after predict too
    assert np.array_equal(np.array(model.optimizer.slots_for(kernel)["average"]), average)


def test_fit_ends_with_the_averages_as_weights():
    model = make()
    model.fit(DATA["x"], DATA["y"], epochs=3, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(model.get_weights()[0], DATA["fit_kernel"], rtol=1e-5)
    np.testing.assert_allclose(model.get_weights()[1], DATA["fit_bias"], rtol=1e-5)


def test_swap_on_epoch_validates_with_the_averages_and_keeps_them_at_the_end():
    x, y = DATA["x"], DATA["y"]
    model = make()
    history = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0,
                        validation_data=(x, y),
                        callbacks=[callbacks.SwapEMAWeights(swap_on_epoch=True)])
    np.testing.assert_allclose(history.history["val_loss"], DATA["swapped_val_loss"],
                               rtol=1e-5)
    np.testing.assert_allclose(model.get_weights()[0], DATA["swapped_kernel"], rtol=1e-5)
    np.testing.assert_allclose(model.get_weights()[1], DATA["swapped_bias"], rtol=1e-5)


def test_needs_an_optimizer_with_use_ema():
    model = Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="use_ema=True"):
        model.evaluate(DATA["x"], DATA["y"], verbose=0, callbacks=[callbacks.SwapEMAWeights()])
