"""Bad input (SPEC.md): every user mistake ends in an error that names the layer
or argument, what was expected and what was given, raised before anything is
compiled, with the model's weights left bit-for-bit as they were.
"""

import re

import numpy as np
import pytest

from hoarfrost import Input, Model, Sequential, layers
from hoarfrost.callbacks import Callback

NO_TRACES = {"train": 0, "test": 0, "predict": 0}


def regression_model():
    return Sequential([layers.Dense(4, input_dim=3), layers.Dense(1)])


def classifier(loss, classes=10):
    model = Sequential([layers.Dense(classes, activation="softmax", input_dim=3)])
    model.compile("adam", loss)
    return model


def data(n=16, features=3, outputs=1, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, features)).astype("float32"),
            rng.normal(size=(n, outputs)).astype("float32"))


class Untouched:
    """Snapshot weights and compile counts; `check()` asserts neither moved."""

    def __init__(self, model):
        self.model = model
        self.weights = [w.copy() for w in model.get_weights()]
        self.traces = dict(model.trace_counts)

    def check(self):
        assert self.model.trace_counts == self.traces
        after = self.model.get_weights()
        assert len(after) == len(self.weights)
        for a, b in zip(after, self.weights):
            assert np.array_equal(a, b)


def fit_fails(model, *args, error=ValueError, **kwargs):
    """Run a failing `fit`, check nothing was compiled or changed; the message."""
    untouched = Untouched(model)
    with pytest.raises(error) as info:
        model.fit(*args, verbose=0, **kwargs)
    untouched.check()
    return str(info.value)


# --- compile ------------------------------------------------------------------------------
def test_fit_before_compile():
    model = regression_model()
    message = fit_fails(model, *data(), error=RuntimeError)
    assert "compile()" in message
    assert model.trace_counts == NO_TRACES


@pytest.mark.parametrize("method", ["evaluate", "train_on_batch", "test_on_batch"])
def test_other_methods_before_compile(method):
    model = regression_model()
    untouched = Untouched(model)
    with pytest.raises(RuntimeError, match=r"compile\(\)"):
        getattr(model, method)(*data())
    untouched.check()


@pytest.mark.parametrize("argument, name, valid", [
    ("optimizer", "adamm", ["Adam", "SGD", "RMSprop"]),
    ("loss", "msee", ["mse", "mean_squared_error", "categorical_crossentropy"]),
    ("metrics", "acuracy", ["accuracy", "mae"]),
])
def test_unknown_names_in_compile(argument, name, valid):
    model = regression_model()
    kwargs = {"optimizer": "adam", "loss": "mse"}
    kwargs[argument] = [name] if argument == "metrics" else name
    with pytest.raises(ValueError) as info:
        model.compile(**kwargs)
    message = str(info.value)
    assert repr(name) in message
    for option in valid:
        assert option in message
    assert model.trace_counts == NO_TRACES


@pytest.mark.parametrize("name", ["Adam", "adam", "ADAM", "sgd", "RMSprop", "adagrad", "AdamW"])
def test_optimizer_names_any_case(name):
    model = regression_model()
    model.compile(name, "mse")
    assert type(model.optimizer).__name__.lower() == name.lower()


@pytest.mark.parametrize("name, expected", [
    ("MSE", "MeanSquaredError"), ("mse", "MeanSquaredError"),
    ("mean_squared_error", "MeanSquaredError"),
    ("CategoricalCrossentropy", "CategoricalCrossentropy"),
    ("categorical_crossentropy", "CategoricalCrossentropy"),
])
def test_loss_names_any_case(name, expected):
    model = regression_model()
    model.compile("adam", name)
    assert type(model._loss_obj).__name__ == expected


# --- inputs -------------------------------------------------------------------------------
def test_sequential_feature_count_mismatch():
    model = regression_model()
    model.compile("adam", "mse")
    x, y = data(features=5)
    message = fit_fails(model, x, y)
    first = model.layers[0].name
    assert f'"{first}"' in message
    assert re.search(r"\b3\b", message), message
    assert re.search(r"\(\w+, 5\)", message), message
    assert model.trace_counts == NO_TRACES


def test_functional_feature_count_mismatch():
    inputs = Input((3,))
    model = Model(inputs, layers.Dense(1)(layers.Dense(4)(inputs)))
    model.compile("adam", "mse")
    x, y = data(features=5)
    message = fit_fails(model, x, y)
    input_name = model.layers[0].name
    assert f'"{input_name}"' in message
    assert "(None, 3)" in message
    assert re.search(r"\(\w+, 5\)", message), message
    assert model.trace_counts == NO_TRACES


@pytest.mark.parametrize("shape", [(16, 5), (16, 4, 2)])
def test_sequential_built_by_first_fit_then_other_shape(shape):
    model = Sequential([layers.Dense(4), layers.Dense(1)])
    model.compile("adam", "mse")
    x, y = data()
    model.fit(x, y, verbose=0)
    first = model.layers[0].name
    bad = np.ones(shape, "float32")
    message = fit_fails(model, bad, y)  # counts and weights as after the first fit
    assert f'"{first}"' in message
    assert re.search(r"\b3\b", message), message
    assert re.search(r"\(\w+, " + ", ".join(map(str, shape[1:])) + r"\)", message), message


def test_predict_feature_count_mismatch():
    model = regression_model()
    untouched = Untouched(model)
    with pytest.raises(ValueError, match=rf'"{model.layers[0].name}".*axis -1.*value 3.*'
                                         r"shape \(4, 5\)"):
        model.predict(np.ones((4, 5), "float32"), verbose=0)
    untouched.check()


def test_sample_count_mismatch():
    model = regression_model()
    model.compile("adam", "mse")
    x, _ = data(n=16)
    _, y = data(n=12)
    message = fit_fails(model, x, y)
    assert "x and y must have the same number of samples: x has 16, y has 12." in message
    assert model.trace_counts == NO_TRACES


def test_sample_weight_count_mismatch():
    model = regression_model()
    model.compile("adam", "mse")
    message = fit_fails(model, *data(n=16), sample_weight=np.ones(15, "float32"))
    assert "one weight per sample: x has 16 samples, sample_weight has 15" in message


@pytest.mark.parametrize("x, expected", [
    (np.ones((16,), "float32"), r'"{layer}".*expected min_ndim=2, found ndim=1.*\(16,\)'),
    (np.float32(1.0), r"`x` must have a batch \(first\) axis; got a scalar"),
])
def test_x_without_feature_or_batch_axis(x, expected):
    model = regression_model()
    model.compile("adam", "mse")
    y = np.ones((16, 1), "float32") if np.ndim(x) else np.ones((1, 1), "float32")
    message = fit_fails(model, x, y)
    assert re.search(expected.format(layer=model.layers[0].name), message), message


def test_string_data_is_refused_naming_the_argument():
    model = regression_model()
    model.compile("adam", "mse")
    x, _ = data(n=4)
    message = fit_fails(model, x, np.array([["a"], ["b"], ["c"], ["d"]]))
    assert "`y`" in message and "<U1" in message
    message = fit_fails(model, np.array([["a", "b", "c"]] * 4), np.ones((4, 1)))
    assert "`x`" in message


def test_nested_python_lists_are_one_array():
    model = regression_model()
    model.compile("sgd", "mse")
    model.train_on_batch([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[1.0], [2.0]])
    with pytest.raises(ValueError, match="`x` could not be converted"):
        model.fit([[1.0, 2.0, 3.0], [4.0, 5.0]], [1.0, 2.0], verbose=0)


# --- targets ------------------------------------------------------------------------------
def test_targets_do_not_broadcast_against_output():
    model = regression_model()
    model.compile("adam", "mse")
    x, _ = data()
    y = np.ones((16, 2), "float32")
    message = fit_fails(model, x, y)
    assert "(16, 2)" in message
    assert re.search(r"\(\w+, 1\)", message), message
    assert model.trace_counts == NO_TRACES


def test_integer_labels_with_categorical_crossentropy():
    model = classifier("categorical_crossentropy")
    x, _ = data()
    message = fit_fails(model, x, np.arange(16) % 10)
    assert "sparse_categorical_crossentropy" in message
    assert "to_categorical" in message
    assert "(16,)" in message and "10" in message
    assert model.trace_counts == NO_TRACES


def test_one_hot_targets_with_sparse_categorical_crossentropy():
    model = classifier("sparse_categorical_crossentropy")
    x, _ = data()
    message = fit_fails(model, x, np.eye(10, dtype="float32")[np.arange(16) % 10])
    assert "(16, 10)" in message
    assert "categorical_crossentropy" in message
    assert model.trace_counts == NO_TRACES


def test_labels_outside_the_classes():
    model = classifier("sparse_categorical_crossentropy")
    x, _ = data()
    for labels, bad in [(np.arange(16) % 10 + 5, "10"), (-np.ones(16, "int32"), "-1"),
                        (np.full(16, 0.5, "float32"), "0.5")]:
        message = fit_fails(model, x, labels)
        assert "[0, 10)" in message and f"holds {bad}" in message


# --- NaN ----------------------------------------------------------------------------------
@pytest.mark.parametrize("argument", ["x", "y"])
def test_nan_in_data(argument):
    model = regression_model()
    model.compile("adam", "mse")
    x, y = data()
    (x if argument == "x" else y)[5, 0] = np.nan
    message = fit_fails(model, x, y)
    assert f"`{argument}`" in message
    assert "NaN" in message and "sample 5" in message
    assert model.trace_counts == NO_TRACES


def test_infinity_in_sample_weight():
    model = regression_model()
    model.compile("adam", "mse")
    weights = np.ones(16, "float32")
    weights[3] = np.inf
    message = fit_fails(model, *data(), sample_weight=weights)
    assert "`sample_weight`" in message and "sample 3" in message


# --- validation data ----------------------------------------------------------------------
@pytest.mark.parametrize("val_shapes, shown", [(((4, 5), (4, 1)), r"\(\w+, 5\)"),
                                               (((4, 3), (4, 2)), r"\(4, 2\)")])
def test_bad_validation_data_fails_before_training(val_shapes, shown):
    model = regression_model()
    model.compile("adam", "mse")
    val = tuple(np.ones(s, "float32") for s in val_shapes)
    message = fit_fails(model, *data(), validation_data=val)
    assert re.search(shown, message), message
    assert model.trace_counts == NO_TRACES


def test_nan_in_validation_data():
    model = regression_model()
    model.compile("adam", "mse")
    val_x = np.ones((4, 3), "float32")
    val_x[2, 1] = np.nan
    message = fit_fails(model, *data(), validation_data=(val_x, np.ones((4, 1), "float32")))
    assert "`x`" in message and "sample 2" in message


# --- a failing callback -------------------------------------------------------------------
class Boom(Exception):
    pass


class FailAtEpochEnd(Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            raise Boom("callback failed")


@pytest.mark.parametrize("every_batch", [False, True])
def test_callback_raising_leaves_model_usable(every_batch):
    model = regression_model()
    model.compile("adam", "mse")
    x, y = data(n=64)
    callbacks = [FailAtEpochEnd()]
    if every_batch:  # a per-batch callback: one step per compiled call
        class PerBatch(Callback):
            def on_train_batch_end(self, batch, logs=None):
                pass
        callbacks.append(PerBatch())
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(Boom):
        model.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=callbacks)
    after = model.get_weights()
    assert [a.shape for a in after] == [b.shape for b in before]
    assert all(np.isfinite(a).all() for a in after)
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(after, model.weights))
    assert any(not np.array_equal(a, b) for a, b in zip(after, before))  # epoch 0 trained
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert any(not np.array_equal(a, b) for a, b in zip(model.get_weights(), after))
    assert np.isfinite(model.evaluate(x, y, verbose=0))


# --- set_weights --------------------------------------------------------------------------
def test_set_weights_wrong_count():
    model = regression_model()
    untouched = Untouched(model)
    with pytest.raises(ValueError) as info:
        model.set_weights(model.get_weights()[:3])
    message = str(info.value)
    assert f'"{model.name}"' in message and "4" in message and "3" in message
    untouched.check()
    layer = model.layers[0]
    with pytest.raises(ValueError, match=f'"{layer.name}".*2.*received 1'):
        layer.set_weights([np.ones((3, 4), "float32")])
    untouched.check()


def test_set_weights_wrong_shape_changes_nothing():
    model = regression_model()
    untouched = Untouched(model)
    weights = [np.zeros_like(w) for w in model.get_weights()]
    weights[2] = np.zeros((5, 1), "float32")  # the second kernel; the first is fine
    with pytest.raises(ValueError) as info:
        model.set_weights(weights)
    message = str(info.value)
    kernel = model.layers[1].kernel
    assert kernel.path in message and "(4, 1)" in message and "(5, 1)" in message
    untouched.check()  # the valid first arrays were not assigned either
    layer = model.layers[0]
    with pytest.raises(ValueError, match=rf'"{layer.name}".*\(3, 4\).*\(2, 4\)'):
        layer.set_weights([np.ones((2, 4), "float32"), np.ones(4, "float32")])
    untouched.check()


# --- a failed compile ---------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    ({"loss": "msee"}, "Unknown loss 'msee'"),
    ({"loss": "mae", "metrics": ["acuracy"]}, "Unknown metric 'acuracy'"),
])
def test_failed_compile_changes_nothing(kwargs, message):
    model = regression_model()
    model.compile("sgd", "mse")
    model.train_on_batch(*data(4))
    optimizer, loss, metrics = model.optimizer, model._loss_obj, model.metrics
    weights = model.get_weights()
    with pytest.raises(ValueError, match=message):
        model.compile("adam", **kwargs)
    assert model.optimizer is optimizer
    assert model.loss == "mse" and model._loss_obj is loss
    assert model.metrics == metrics  # the compiled state is the old one, whole
    model.train_on_batch(*data(4))  # and still trains, with the old optimizer
    assert int(optimizer.iterations.numpy()) == 2
    assert any(not np.array_equal(a, b) for a, b in zip(model.get_weights(), weights))
