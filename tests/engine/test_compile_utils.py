"""How `compile()`'s losses and metrics are resolved and named."""

import numpy as np

from hoarfrost import Input, Sequential, layers


def test_a_metric_given_as_a_string_is_logged_under_that_string():
    """Keras names a metric given by a string after the string: "AUC" logs as "AUC"
    (the class's own name would be "auc")."""
    model = Sequential([Input((3,)), layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy",
                  metrics=["AUC", "Precision", "binary_accuracy", "acc", "mse"])
    x = np.random.default_rng(0).random((8, 3)).astype("float32")
    logs = model.evaluate(x, np.arange(8)[:, None] % 2, verbose=0, return_dict=True)
    assert sorted(logs) == ["AUC", "Precision", "acc", "binary_accuracy", "loss", "mse"]
