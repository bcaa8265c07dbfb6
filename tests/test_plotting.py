"""`utils.plot_history` and `utils.plot_model`: valid PNGs, sane sizes, the right graph."""

import subprocess
import sys

import numpy as np
import pytest

matplotlib_image = pytest.importorskip("matplotlib.image")

from hoarfrost import Input, Model, Sequential, layers, plotting  # noqa: E402
from hoarfrost.callbacks import History  # noqa: E402
from hoarfrost.utils import plot_history, plot_model  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def check_png(path, min_side=150):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert 5_000 <= len(data) <= 2_000_000, len(data)
    image = matplotlib_image.imread(path)
    height, width = image.shape[:2]
    assert image.ndim == 3 and image.shape[2] in (3, 4)
    assert min_side <= height <= 10_000 and min_side <= width <= 10_000
    assert image.std() > 0.01  # not a blank canvas
    return width, height


def classifier():
    model = Sequential([layers.Dense(16, activation="relu", input_dim=6, name="hidden"),
                        layers.Dropout(0.1), layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def fitted_history():
    """What fit(..., validation_freq=2) records over 5 epochs (without the compile time)."""
    history = History()
    history.on_train_begin()
    for epoch in range(5):
        logs = {"loss": 1.0 / (epoch + 1), "accuracy": 0.5 + 0.08 * epoch}
        if (epoch + 1) % 2 == 0:
            logs.update(val_loss=1.2 / (epoch + 1), val_accuracy=0.45 + 0.07 * epoch)
        history.on_epoch_end(epoch, logs)
    return history


def test_plot_history(tmp_path):
    history = fitted_history()
    assert len(history.history["val_loss"]) == 2 and history._key_epochs["val_loss"] == [1, 3]
    x_by_key = plotting._history_series(history)[1]
    assert x_by_key["val_loss"] == [2, 4] and x_by_key["loss"] == [1, 2, 3, 4, 5]
    path = tmp_path / "history.png"
    assert plot_history(history, path) == str(path)
    width, height = check_png(path)
    assert width > height  # two panels side by side
    # A plain dict works too; and a chosen subset.
    plot_history({"loss": [3.0, 2.0, 1.5], "val_loss": [3.2, 2.5, 2.4]}, tmp_path / "d.png")
    check_png(tmp_path / "d.png")
    with pytest.raises(ValueError, match="no \\['auc'\\] in the history"):
        plot_history(history, tmp_path / "x.png", metrics=["auc"])
    with pytest.raises(ValueError, match="empty"):
        plot_history({}, tmp_path / "x.png")


def test_plot_model_sequential(tmp_path):
    model = classifier()
    model.get_layer("hidden").trainable = False
    plot_model(model, tmp_path / "seq.png")
    width, height = check_png(tmp_path / "seq.png")
    assert height > width  # a chain, top to bottom
    layers_, edges = plotting._graph(model)
    assert [type(layer).__name__ for layer in layers_] == ["InputLayer", "Dense", "Dropout",
                                                            "Dense"]
    assert edges == list(zip(layers_[:-1], layers_[1:]))
    trainable = {id(v) for v in model.trainable_weights}
    assert [plotting._status(layer, trainable) for layer in layers_] == [
        "none", "frozen", "none", "trainable"]


def branching_model():
    features, aux = Input(shape=(8,), name="features"), Input(shape=(3,), name="aux")
    trunk = layers.Dense(8, activation="relu", name="trunk")(features)
    a = layers.Dense(8, name="branch_a")(trunk)
    b = layers.Dense(8, name="branch_b")(trunk)
    merged = layers.Add(name="merge")([a, b, trunk])  # trunk skips a rank
    joined = layers.Concatenate(name="concat")([merged, aux])
    head = Sequential([layers.Dense(4, input_dim=11), layers.Dense(2)], name="head")
    model = Model([features, aux], layers.Dense(1, name="out")(head(joined)))
    model.get_layer("branch_b").trainable = False
    head.layers[0].trainable = False
    return model


def test_plot_model_functional_graph_and_layout(tmp_path):
    model = branching_model()
    for rankdir in ("TB", "LR"):
        path = tmp_path / f"functional_{rankdir}.png"
        plot_model(model, path, rankdir=rankdir, show_trainable=True, dpi=100)
        width, height = check_png(path)
        assert (height > width) == (rankdir == "TB")
    layers_, edges = plotting._graph(model)
    names = {(p.name, c.name) for p, c in edges}
    assert names == {("features", "trunk"), ("trunk", "branch_a"), ("trunk", "branch_b"),
                     ("branch_a", "merge"), ("branch_b", "merge"), ("trunk", "merge"),
                     ("merge", "concat"), ("aux", "concat"), ("concat", "head"),
                     ("head", "out")}
    rank, by_rank, chains = plotting._layout(layers_, edges)
    by_name = {layer.name: r for layer, r in rank.items()}
    assert by_name["aux"] == by_name["concat"] - 1  # an input sits just above its consumer
    skip = next(c for c in chains if (c[0].name, c[-1].name) == ("trunk", "merge"))
    assert len(skip) == 3 and isinstance(skip[1], plotting._Bend)  # its own lane
    trainable = {id(v) for v in model.trainable_weights}
    status = {layer.name: plotting._status(layer, trainable) for layer in layers_}
    assert (status["branch_b"], status["head"], status["trunk"], status["merge"]) == (
        "frozen", "partial", "trainable", "none")


def test_plot_model_subclassed_and_errors(tmp_path):
    class TwoLayers(Model):
        def __init__(self):
            super().__init__()
            self.first = layers.Dense(4)
            self.second = layers.Dense(1)

        def call(self, inputs, training=None):
            return self.second(self.first(inputs))

    model = TwoLayers()
    with pytest.raises(ValueError, match="not built"):
        plot_model(model, tmp_path / "m.png")
    model(np.zeros((2, 3), "float32"))
    plot_model(model, tmp_path / "m.png", dpi=100)
    check_png(tmp_path / "m.png", min_side=100)
    with pytest.raises(ValueError, match="rankdir"):
        plot_model(classifier(), tmp_path / "m.png", rankdir="BT")


def test_missing_matplotlib_names_the_extra(monkeypatch, tmp_path):
    for name in [n for n in sys.modules if n == "matplotlib" or n.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(ImportError, match=r"pip install hoarfrost\[plot\]"):
        plot_model(classifier(), tmp_path / "m.png")
    with pytest.raises(ImportError, match=r"plot_history .*pip install hoarfrost\[plot\]"):
        plot_history({"loss": [1.0]}, tmp_path / "h.png")


def test_importing_hoarfrost_does_not_import_matplotlib():
    code = ("import sys, hoarfrost, hoarfrost.utils, hoarfrost.plotting; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_model_to_dot_checks_as_keras(monkeypatch):
    """Keras 3's order: an unbuilt model is a ValueError, then no pydot an ImportError
    (programs guard the call with `except ImportError`)."""
    from hoarfrost.utils import model_to_dot
    unbuilt = Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="This model has not yet been built"):
        model_to_dot(unbuilt)
    model = Sequential([Input((3,)), layers.Dense(2)])
    monkeypatch.setattr(plotting, "_pydot", lambda: None)
    with pytest.raises(ImportError, match=r"You must install pydot \(`pip install pydot`\) "
                                          "for model_to_dot to work."):
        model_to_dot(model, show_shapes=True)
    monkeypatch.setattr(plotting, "_pydot", lambda: object())
    with pytest.raises(NotImplementedError, match="plot_model"):
        model_to_dot(model)
