"""Check `model.export(format="tf_saved_model")` where TensorFlow is installed.

The test suite has no TensorFlow (hoarfrost's tests never import it), so this
script is how the SavedModel path is checked. Run it in an environment with
TensorFlow, JAX and hoarfrost's dependencies, e.g. from the repository root:

    PYTHONPATH=src python tools/export_checks/tf_saved_model.py

It exports a small CNN (Conv2D, BatchNormalization, Dropout, pooling) and
MobileNetV2 (alpha 0.35, 32x32) with a polymorphic batch size, reloads them with
`tf.saved_model.load`, and compares `serve` at two batch sizes with `predict`.
"""

import sys
import tempfile

import numpy as np
import tensorflow as tf

import hoarfrost
from hoarfrost import applications, layers


def small_cnn():
    inputs = hoarfrost.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Dropout(0.5)(layers.MaxPooling2D()(x))
    return hoarfrost.Model(inputs, layers.Dense(3, activation="softmax")(
        layers.GlobalAveragePooling2D()(x)))


def check(model, shape) -> float:
    worst = 0.0
    with tempfile.TemporaryDirectory() as directory:
        model.export(directory, format="tf_saved_model")
        reloaded = tf.saved_model.load(directory)
        for batch in (1, 5):
            x = np.random.default_rng(batch).normal(size=(batch,) + shape).astype("float32")
            served = reloaded.serve(tf.constant(x)).numpy()
            worst = max(worst, float(np.abs(served - model.predict(x, verbose=0)).max()))
            signature = reloaded.signatures["serving_default"]
            assert signature is not None
    print(f"{model.name}: max |serve - predict| = {worst:.2e}")
    return worst


if __name__ == "__main__":
    errors = [check(small_cnn(), (8, 8, 3)),
              check(applications.MobileNetV2(weights=None, alpha=0.35, input_shape=(32, 32, 3),
                                             classes=5), (32, 32, 3))]
    sys.exit(0 if max(errors) < 1e-4 else 1)
