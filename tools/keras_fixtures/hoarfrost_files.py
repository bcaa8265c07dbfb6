"""Write hoarfrost `.keras` files for Keras to read (`keras_files.py --check DIR`).

Run with hoarfrost's environment, from the repository root:

    PYTHONPATH=src .venv/bin/python tools/keras_fixtures/hoarfrost_files.py DIR

Each test model is loaded from its Keras 3 (JAX) fixture, trained one more
epoch in hoarfrost (so its optimizer state is hoarfrost's; the `ops` model,
operations on tensors, is not trained), and saved as
`DIR/hoarfrost_<name>.keras`, with `DIR/hoarfrost_<name>.npz` holding the
inputs, targets and hoarfrost's predictions.
"""

import sys
from pathlib import Path

import numpy as np

from hoarfrost.models import load_model

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "saving" / "fixtures"


def main(directory: str) -> None:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    record = np.load(FIXTURES / "jax_predictions.npz")
    for name in ("mlp", "cnn", "rnn", "nested"):
        model = load_model(FIXTURES / f"jax_{name}.keras")
        x, y = record[f"{name}/x"], record[f"{name}/y"]
        model.fit(x, y, epochs=1, batch_size=2, verbose=0)
        model.save(out / f"hoarfrost_{name}.keras")
        np.savez(out / f"hoarfrost_{name}.npz", x=x, y=y,
                 predict=np.asarray(model.predict(x, verbose=0)))
        print("wrote", out / f"hoarfrost_{name}.keras")
    model = load_model(FIXTURES / "jax_ops.keras")  # TensorOps, written as Keras's ops
    x = record["ops/x"]
    model.save(out / "hoarfrost_ops.keras")
    np.savez(out / "hoarfrost_ops.npz", x=x,
             **{f"predict_{i}": np.asarray(o) for i, o in enumerate(model(x))})


if __name__ == "__main__":
    main(sys.argv[1])
