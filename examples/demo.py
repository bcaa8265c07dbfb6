"""hoarfrost's demo: the first user report's MNIST model, frozen after compile.

Trains a 784-300-100-10 network on real handwritten digits (the sample shipped
with hoarfrost, so it runs offline), then freezes `dense1` *after* compile,
retrains without recompiling, and prints the proof: the summary before and
after, test accuracy, and for every weight whether retraining changed it.
With matplotlib installed (`pip install -e ".[plot]"`) it also draws the
training curves and the model graph, frozen layers coloured, as PNG files.

    python examples/demo.py [--out demo-output]
"""

import argparse
import time
from pathlib import Path

import numpy as np

from hoarfrost.datasets import mnist
from hoarfrost.layers import Dense, Flatten
from hoarfrost.models import Sequential
from hoarfrost.utils import plot_history, plot_model, set_random_seed, to_categorical


def load_digits():
    (x_train, y_train), (x_test, y_test) = mnist.load_sample()
    print(f"Real MNIST digits (shipped sample): {len(x_train)} train, {len(x_test)} test.")
    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255
    return x_train, to_categorical(y_train, 10), x_test, to_categorical(y_test, 10)


def draw(history, model, out: Path) -> None:
    """The pictures, when matplotlib is there (an optional extra)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print('(No pictures: pip install -e ".[plot]" for the curves and the model graph.)')
        return
    out.mkdir(parents=True, exist_ok=True)
    print(f"Wrote {plot_history(history, out / 'history.png')} "
          f"and {plot_model(model, out / 'model.png', show_trainable=True)}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo-output", help="folder for the PNG files")
    args = parser.parse_args()
    start = time.perf_counter()
    set_random_seed(0)
    x_train, y_train, x_test, y_test = load_digits()
    model = Sequential([
        Flatten(input_shape=(28, 28)),
        Dense(300, name="dense1", activation="relu"),
        Dense(100, name="dense2", activation="relu"),
        Dense(10, name="dense3", activation="softmax"),
    ])
    model.compile(optimizer="Adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.summary(show_trainable=True)
    history = model.fit(x_train, y_train, epochs=5, verbose=2, validation_split=0.1)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"\nTest accuracy after 5 epochs: {accuracy:.4f}")

    print("\nFreezing dense1 after compile (no recompile), then one more epoch:")
    before = {w.name: w.numpy() for w in model.weights}
    model.get_layer("dense1").trainable = False
    model.summary(show_trainable=True)
    model.fit(x_train, y_train, epochs=1, verbose=2)
    after = {w.name: w.numpy() for w in model.weights}
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test accuracy after retraining with dense1 frozen: {accuracy:.4f}\n")

    for i, name in enumerate(before):
        same = np.array_equal(before[name], after[name])
        change = float(np.max(np.abs(after[name] - before[name])))
        verdict = "not updated (bit-identical)" if same else f"updated (max change {change:.2e})"
        print(f"weight {i} ({name})\t{verdict}")
    frozen_ok = all(np.array_equal(before[n], after[n]) for n in before if n.startswith("dense1/"))
    print("\nthe weights of dense1 did not change!!!" if frozen_ok else "\nBUG: dense1 changed")
    draw(history, model, Path(args.out))
    print(f"Demo finished in {time.perf_counter() - start:.1f} s.")
    if not frozen_ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
