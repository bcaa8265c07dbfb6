"""`SparseCategoricalCrossentropy(ignore_class=...)` and `BinaryCrossentropy(axis=...)`
(functions, classes, the metric) against the values Keras 3 computed
(tools/keras_fixtures/loss_options.py): ignored labels add 0 and leave the loss's mean
(they are masked), and the metric counts them only without sample weights, as Keras's."""

import json
from pathlib import Path

import jax
import numpy as np
import pytest

import hoarfrost as keras
from hoarfrost import layers, losses, metrics

K = json.loads((Path(__file__).parent / "fixtures" / "keras_loss_options.json").read_text())
I = {k: np.asarray(v, "float32" if k != "yt" else "int64") for k, v in K["inputs"].items()}


def close(actual, key):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(K[key]), rtol=2e-5, atol=1e-6)


def test_sparse_function_ignore_class():
    close(losses.sparse_categorical_crossentropy(I["yt"], I["logits"], from_logits=True,
                                                 ignore_class=-1), "scce_fn")
    close(losses.sparse_categorical_crossentropy(I["yt"], I["probs"], ignore_class=-1),
          "scce_fn_probs")
    close(losses.sparse_categorical_crossentropy(I["yt"][:, None, :],
                                                 np.swapaxes(I["logits"], 1, 2),
                                                 from_logits=True, ignore_class=-1, axis=1),
          "scce_axis1")


def test_sparse_class_ignore_class_reductions_and_weights():
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    close(loss(I["yt"], I["logits"]), "scce_cls")  # mean over the 4 kept labels
    close(loss(I["yt"], I["logits"], sample_weight=I["sw"]), "scce_cls_sw")
    close(losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1,
                                               reduction="sum")(I["yt"], I["logits"]),
          "scce_cls_sum")
    close(losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1,
                                               reduction=None)(I["yt"], I["logits"]),
          "scce_cls_none")


def test_sparse_class_config_round_trips():
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    config = loss.get_config()
    assert {k: config[k] for k in K["scce_config"]} == K["scce_config"]
    again = losses.SparseCategoricalCrossentropy.from_config(config)
    assert again.ignore_class == -1
    close(again(I["yt"], I["logits"]), "scce_cls")


def test_sparse_ignore_class_gradients_are_finite_for_probabilities():
    """Keras zeroes ignored predictions (0/0 before the log); hoarfrost's stay finite."""
    grad = jax.grad(lambda p: losses.SparseCategoricalCrossentropy(ignore_class=-1)(
        I["yt"], p))(I["probs"])
    assert np.isfinite(np.asarray(grad)).all()
    assert not np.asarray(grad)[0, 1].any()  # the ignored element gets no gradient


def test_sparse_ignore_class_labels_pass_the_label_check():
    loss = losses.SparseCategoricalCrossentropy(ignore_class=255)
    loss.validate_values(np.array([0, 255, 2]), (None, 3))
    with pytest.raises(ValueError, match="integer class labels in"):
        loss.validate_values(np.array([0, 254, 2]), (None, 3))


def test_sparse_metric_ignore_class():
    metric = metrics.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    metric.update_state(I["yt"], I["logits"])  # ignored elements count as 0 (Keras's rule)
    close(metric.result(), "scce_metric")
    metric = metrics.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    metric.update_state(I["yt"], I["logits"], sample_weight=I["sw"])  # weighted: left out
    close(metric.result(), "scce_metric_sw")
    assert metric.get_config()["ignore_class"] == -1


def test_binary_crossentropy_axis():
    close(losses.binary_crossentropy(I["bt"], I["bp"], axis=0), "bce_fn_axis0")
    loss = losses.BinaryCrossentropy(axis=0)
    close(loss(I["bt"], I["bp"]), "bce_cls_axis0")
    assert {k: loss.get_config()[k] for k in K["bce_config"]} == K["bce_config"]
    close(losses.BinaryCrossentropy(axis=0, reduction=None)(I["bt"], I["bp"]),
          "bce_cls_axis0_none")
    close(losses.BinaryCrossentropy(axis=0, from_logits=True, label_smoothing=0.1,
                                    reduction=None)(I["bt"], I["bp"]),
          "bce_cls_axis0_logits_smooth")


def test_compiled_ignore_class_evaluate_and_fit_match_keras():
    case = K["model"]
    x, y = np.asarray(case["x"], "float32"), np.asarray(case["y"])
    weights = np.asarray(case["weights"], "float32")
    inp = keras.Input((3, 2))
    hidden = layers.Dense(3, kernel_initializer=keras.initializers.Constant(0.3),
                          bias_initializer=keras.initializers.Constant(0.1))(inp)
    model = keras.Model(inp, layers.Lambda(lambda t: t * keras.ops.arange(1.0, 4.0))(hidden))
    model.compile(loss=losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1),
                  metrics=[metrics.SparseCategoricalCrossentropy(from_logits=True,
                                                                 ignore_class=-1)],
                  optimizer="sgd")
    for key, kwargs in (("evaluate", {}), ("evaluate_weighted", {"sample_weight": weights})):
        logs = model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True, **kwargs)
        assert logs.keys() == case[key].keys()
        for name, value in case[key].items():
            assert logs[name] == pytest.approx(value, rel=1e-5), (key, name)
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history
    for name, values in case["history"].items():
        np.testing.assert_allclose(history[name], values, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(model.weights[0]), case["kernel"], rtol=1e-5)
