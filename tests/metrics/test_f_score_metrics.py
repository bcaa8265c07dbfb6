"""F1Score / FBetaScore (and R2Score, the other metric shaped by the data) inside compiled
steps: built from the data at compile as Keras builds them, equal to Keras's values."""

from pathlib import Path

import jax
import numpy as np
import pytest

from hoarfrost import Sequential, layers, metrics

DATA = np.load(Path(__file__).parents[1] / "fixtures" / "keras_metrics.npz")


def fixture(case):
    return (DATA[f"{case}/y_true"], DATA[f"{case}/y_pred"], DATA.get(f"{case}/sample_weight"),
            DATA[f"{case}/results"][-1])


def test_compiled_metrics_shaped_by_the_data_match_keras_in_evaluate():
    y_true, y_pred, weight, expected = fixture("f1_macro_weighted")
    model = Sequential([layers.Activation("linear", input_shape=(4,))])
    f1 = metrics.F1Score(average="macro")
    model.compile("sgd", "mse", weighted_metrics=[f1])
    logs = model.evaluate(y_pred, y_true, sample_weight=weight, batch_size=12, verbose=0,
                          return_dict=True)
    np.testing.assert_allclose(logs["f1_score"], expected, rtol=1e-5)
    assert [v.path for v in f1.variables] == [
        "f1_score/true_positives", "f1_score/false_positives", "f1_score/false_negatives",
        "f1_score/intermediate_weights"]
    assert f1.variables[0].shape == (4,)


def test_r2_in_evaluate_matches_keras():
    y_true, y_pred, weight, expected = fixture("r2_variance_weighted_weighted")
    model = Sequential([layers.Activation("linear", input_shape=(3,))])
    model.compile("sgd", "mse", weighted_metrics=[
        metrics.R2Score(class_aggregation="variance_weighted_average")])
    logs = model.evaluate(y_pred, y_true, sample_weight=weight, batch_size=12, verbose=0,
                          return_dict=True)
    np.testing.assert_allclose(logs["r2_score"], expected, rtol=1e-5)


def test_stateless_api_under_jit_matches_keras():
    y_true, y_pred, _, expected = fixture("fbeta_half")
    metric = metrics.FBetaScore(beta=0.5, threshold=0.3)
    metric.update_state(y_true[:1], y_pred[:1])  # built by a first update, as in Keras
    metric.reset_state()

    @jax.jit
    def run(values, t, p):
        for i in range(3):
            values = metric.stateless_update_state(values, t[12 * i:12 * (i + 1)],
                                                   p[12 * i:12 * (i + 1)])
        return metric.stateless_result(values)

    np.testing.assert_allclose(run(metric.variables, y_true, y_pred), expected, rtol=1e-5)


def test_result_before_any_update_and_bad_arguments_raise():
    with pytest.raises(ValueError, match="first update"):
        metrics.F1Score().result()
    with pytest.raises(ValueError, match="`average`"):
        metrics.F1Score(average="mean")
    with pytest.raises(ValueError, match="`beta`"):
        metrics.FBetaScore(beta=2)
    with pytest.raises(ValueError, match="`threshold`"):
        metrics.F1Score(threshold=1.5)
    with pytest.raises(ValueError, match="2D inputs"):
        metrics.F1Score().update_state(np.zeros((2, 3, 1)), np.zeros((2, 3, 1)))
    with pytest.raises(ValueError, match="class_aggregation"):
        metrics.R2Score(class_aggregation="mean")
