"""Losses against NumPy references written from Keras 3's definitions.

Keras: per-sample values are averaged over the last axis (mse, mae, binary
CE) or summed over classes (categorical CE); probabilities are clipped to
[1e-7, 1 - 1e-7] (categorical CE first normalizes them to sum to one);
`sum_over_batch_size` (the default, and `mean`) is the weighted sum divided
by the number of values, `mean_with_sample_weight` divides by the weights' sum.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoarfrost import losses

EPS = 1e-7
HI = float(np.float32(1 - EPS))  # the clip bound as float32 holds it (1 - 1.19e-7)
RTOL, ATOL = 2e-5, 1e-6  # float32 against float64 references
FUZZ = settings(max_examples=8, deadline=None)


# --- NumPy references ----------------------------------------------------------------------
def np_mse(y_true, y_pred):
    return np.mean(np.square(y_pred - y_true), axis=-1)


def np_mae(y_true, y_pred):
    return np.mean(np.abs(y_pred - y_true), axis=-1)


def np_log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def np_log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def np_bce(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    y_true = y_true * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        values = -y_true * np_log_sigmoid(y_pred) - (1 - y_true) * np_log_sigmoid(-y_pred)
    else:
        p = np.clip(y_pred, EPS, HI)
        values = -(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))
    return values.mean(-1)


def np_cce(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    classes = y_pred.shape[-1]
    y_true = y_true * (1 - label_smoothing) + label_smoothing / classes
    if from_logits:
        log_p = np_log_softmax(y_pred)
    else:
        log_p = np.log(np.clip(y_pred / y_pred.sum(-1, keepdims=True), EPS, HI))
    return -(y_true * log_p).sum(-1)


def np_scce(labels, y_pred, from_logits=False):
    labels = labels.reshape(y_pred.shape[:-1]).astype(int)
    if from_logits:
        log_p = np_log_softmax(y_pred)
    else:
        log_p = np.log(np.clip(y_pred / y_pred.sum(-1, keepdims=True), EPS, HI))
    return -np.take_along_axis(log_p, labels[..., None], -1)[..., 0]


def np_reduce(values, sample_weight=None, reduction="sum_over_batch_size"):
    weighted = values if sample_weight is None else values * np.reshape(
        sample_weight, np.shape(sample_weight)[:values.ndim]
        + (1,) * (values.ndim - np.ndim(sample_weight)))
    if reduction in ("none", None):
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return weighted.sum() / np.broadcast_to(
            np.reshape(sample_weight, np.shape(sample_weight)[:values.ndim]), values.shape).sum()
    return weighted.sum() / values.size


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual, np.float64), expected, rtol=RTOL, atol=ATOL)


# --- data ------------------------------------------------------------------------------------
def probabilities(rng, n, classes, normalized=True, extremes=True):
    p = rng.uniform(0.01, 1.0, size=(n, classes))
    if extremes and n > 1:
        p[0, 0] = 0.0  # exercises the clipping
    return (p / p.sum(-1, keepdims=True) if normalized else p).astype("float32")


def one_hot(labels, classes):
    return np.eye(classes, dtype="float32")[labels]


# A few sizes, so that JAX compiles each operation for a handful of shapes only.
batches = st.sampled_from([1, 2, 7])
class_counts = st.sampled_from([2, 3, 10])
seeds = st.integers(0, 2**16)


# --- per-sample values and the default reduction ---------------------------------------
@FUZZ
@given(n=batches, features=st.sampled_from([1, 3]), seed=seeds)
def test_regression_losses(n, features, seed):
    rng = np.random.default_rng(seed)
    y_true = rng.normal(size=(n, features)).astype("float32")
    y_pred = rng.normal(size=(n, features)).astype("float32")
    close(losses.mean_squared_error(y_true, y_pred), np_mse(y_true, y_pred))
    close(losses.mean_absolute_error(y_true, y_pred), np_mae(y_true, y_pred))
    close(losses.MeanSquaredError()(y_true, y_pred), np_mse(y_true, y_pred).mean())
    close(losses.MeanAbsoluteError()(y_true, y_pred), np_mae(y_true, y_pred).mean())


@FUZZ
@given(n=batches, outputs=st.sampled_from([1, 3]), seed=seeds,
       smoothing=st.sampled_from([0.0, 0.1]))
def test_binary_crossentropy(n, outputs, seed, smoothing):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, size=(n, outputs)).astype("float32")
    y_pred = rng.uniform(0, 1, size=(n, outputs)).astype("float32")
    y_pred[0, 0] = 1.0  # clipped to 1 - 1e-7
    logits = rng.normal(scale=4, size=(n, outputs)).astype("float32")
    for loss, pred, kwargs in [
            (losses.BinaryCrossentropy(label_smoothing=smoothing), y_pred, {}),
            (losses.BinaryCrossentropy(from_logits=True, label_smoothing=smoothing), logits,
             {"from_logits": True})]:
        expected = np_bce(y_true, pred.astype(np.float64), label_smoothing=smoothing, **kwargs)
        close(losses.binary_crossentropy(y_true, pred, label_smoothing=smoothing, **kwargs),
              expected)
        close(loss(y_true, pred), expected.mean())


@FUZZ
@given(n=batches, classes=class_counts, seed=seeds, smoothing=st.sampled_from([0.0, 0.2]))
def test_categorical_crossentropy(n, classes, seed, smoothing):
    rng = np.random.default_rng(seed)
    y_true = one_hot(rng.integers(0, classes, n), classes)
    unnormalized = probabilities(rng, n, classes, normalized=False)  # Keras divides by the sum
    logits = rng.normal(scale=3, size=(n, classes)).astype("float32")
    expected = np_cce(y_true, unnormalized.astype(np.float64), label_smoothing=smoothing)
    close(losses.categorical_crossentropy(y_true, unnormalized, label_smoothing=smoothing),
          expected)
    close(losses.CategoricalCrossentropy(label_smoothing=smoothing)(y_true, unnormalized),
          expected.mean())
    expected = np_cce(y_true, logits.astype(np.float64), True, smoothing)
    close(losses.CategoricalCrossentropy(from_logits=True, label_smoothing=smoothing)(
        y_true, logits), expected.mean())


@FUZZ
@given(n=batches, classes=class_counts, seed=seeds, column=st.booleans())
def test_sparse_categorical_crossentropy(n, classes, seed, column):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n).astype("int32")
    y = labels[:, None] if column else labels  # (n,) and (n, 1) both work
    p = probabilities(rng, n, classes)
    logits = rng.normal(scale=3, size=(n, classes)).astype("float32")
    expected = np_scce(labels, p.astype(np.float64))
    close(losses.sparse_categorical_crossentropy(y, p), expected)
    close(losses.SparseCategoricalCrossentropy()(y, p), expected.mean())
    expected = np_scce(labels, logits.astype(np.float64), from_logits=True)
    close(losses.SparseCategoricalCrossentropy(from_logits=True)(y, logits), expected.mean())
    # The same as categorical CE on one-hot targets.
    close(losses.SparseCategoricalCrossentropy()(y, p),
          losses.CategoricalCrossentropy()(one_hot(labels, classes), p))


def test_targets_of_rank_one_against_a_single_output():
    y_true = np.array([0.0, 1.0, 1.0], "float32")
    y_pred = np.array([[0.2], [0.7], [0.9]], "float32")
    close(losses.MeanSquaredError()(y_true, y_pred), np_mse(y_true[:, None], y_pred).mean())
    close(losses.BinaryCrossentropy()(y_true, y_pred), np_bce(y_true[:, None], y_pred).mean())


# --- sample weights and reductions ---------------------------------------------------------
@FUZZ
@given(n=batches, seed=seeds, weight_shape=st.sampled_from(["scalar", "n", "n1"]),
       reduction=st.sampled_from(["sum_over_batch_size", "sum", "mean",
                                  "mean_with_sample_weight", "none"]))
def test_sample_weight_reductions(n, seed, weight_shape, reduction):
    rng = np.random.default_rng(seed)
    classes = 4
    labels = rng.integers(0, classes, n)
    p = probabilities(rng, n, classes)
    y_true = rng.normal(size=(n, 3)).astype("float32")
    y_pred = rng.normal(size=(n, 3)).astype("float32")
    w = {"scalar": np.float32(0.7), "n": rng.uniform(0, 2, n).astype("float32"),
         "n1": rng.uniform(0, 2, (n, 1)).astype("float32")}[weight_shape]
    for loss, values in [
            (losses.MeanSquaredError(reduction=reduction), np_mse(y_true, y_pred)),
            (losses.CategoricalCrossentropy(reduction=reduction),
             np_cce(one_hot(labels, classes), p.astype(np.float64))),
            (losses.SparseCategoricalCrossentropy(reduction=reduction),
             np_scce(labels, p.astype(np.float64)))]:
        args = (y_true, y_pred) if isinstance(loss, losses.MeanSquaredError) else (
            (one_hot(labels, classes) if isinstance(loss, losses.CategoricalCrossentropy)
             else labels), p)
        close(loss(*args, sample_weight=w), np_reduce(values, w, reduction))


def test_sum_over_batch_size_divides_by_count_not_weights():
    y_true = np.zeros((4, 1), "float32")
    y_pred = np.ones((4, 1), "float32")
    w = np.array([1.0, 0.0, 0.0, 0.0], "float32")
    assert float(losses.MeanSquaredError()(y_true, y_pred, sample_weight=w)) == 0.25
    assert float(losses.MeanSquaredError(reduction="mean")(y_true, y_pred, w)) == 0.25
    assert float(losses.MeanSquaredError(reduction="mean_with_sample_weight")(
        y_true, y_pred, w)) == 1.0
    assert float(losses.MeanSquaredError(reduction="sum")(y_true, y_pred, w)) == 1.0


def test_unknown_reduction():
    with pytest.raises(ValueError, match="'average'.*sum_over_batch_size"):
        losses.MeanSquaredError(reduction="average")


# --- resolution by name ------------------------------------------------------------------------
@pytest.mark.parametrize("identifier, cls", [
    ("mse", losses.MeanSquaredError), ("MSE", losses.MeanSquaredError),
    ("mean_squared_error", losses.MeanSquaredError),
    ("MeanSquaredError", losses.MeanSquaredError), ("mae", losses.MeanAbsoluteError),
    ("binary_crossentropy", losses.BinaryCrossentropy),
    ("CategoricalCrossentropy", losses.CategoricalCrossentropy),
    ("categorical_crossentropy", losses.CategoricalCrossentropy),
    ("Sparse_Categorical_Crossentropy", losses.SparseCategoricalCrossentropy),
    (losses.mean_squared_error, losses.MeanSquaredError),
    (losses.CategoricalCrossentropy, losses.CategoricalCrossentropy),
])
def test_loss_object(identifier, cls):
    """What compile() computes with (`losses.get` returns what Keras's does: see
    test_lookup.py)."""
    assert type(losses.loss_object(identifier)) is cls


def test_loss_object_keeps_objects_and_wraps_functions():
    loss = losses.BinaryCrossentropy(from_logits=True)
    assert losses.loss_object(loss) is loss

    def halved(y_true, y_pred):
        return 0.5 * losses.mean_squared_error(y_true, y_pred)

    wrapped = losses.loss_object(halved)
    assert wrapped.name == "halved"
    close(wrapped(np.zeros((2, 2)), np.ones((2, 2))), 0.5)


def test_get_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError) as info:
        losses.get("msee")
    message = str(info.value)
    assert "'msee'" in message
    for name in ("mse", "mean_squared_error", "categorical_crossentropy",
                 "sparse_categorical_crossentropy"):
        assert name in message


# --- validation of targets against the model output --------------------------------------
def test_validate_shapes():
    losses.MeanSquaredError().validate((8,), np.float32, (1, 1))
    losses.MeanSquaredError().validate((8, 1), np.float32, (1, 1))
    with pytest.raises(ValueError, match=r"\(8, 2\).*\(None, 1\)"):
        losses.MeanSquaredError().validate((8, 2), np.float32, (1, 1))
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy.*to_categorical"):
        losses.CategoricalCrossentropy().validate((8,), np.int32, (1, 10))
    losses.SparseCategoricalCrossentropy().validate((8, 1), np.int32, (1, 10))
    with pytest.raises(ValueError, match=r"shape \(None,\), but `y` has shape \(8, 10\)"):
        losses.SparseCategoricalCrossentropy().validate((8, 10), np.float32, (1, 10))


@pytest.mark.parametrize("labels, bad", [
    (np.array([0, 3, 10, 2]), "10"), (np.array([0, -1, 2]), "-1"),
    (np.array([0.0, 1.5, 2.0], "float32"), "1.5")])
def test_sparse_labels_must_be_classes(labels, bad):
    loss = losses.SparseCategoricalCrossentropy()
    with pytest.raises(ValueError, match=rf"\[0, 10\).*holds {bad}"):
        loss.validate_values(labels, (1, 10))
    loss.validate_values(np.array([0, 9, 3.0]), (1, 10))
    losses.MeanSquaredError().validate_values(labels, (1, 1))  # anything goes


# --- ranks matched before every loss (Keras's squeeze_or_expand_to_same_rank) -------------
@pytest.mark.parametrize("true_shape, pred_shape, expected", [
    ((8,), (8, 1), ((8, 1), (8, 1))),  # labels (n,), one output unit: expanded
    ((8, 1), (8,), ((8, 1), (8, 1))),
    ((8, 5, 1), (8, 5), ((8, 5), (8, 5))),  # not rank 1: the longer one squeezed
    ((8,), (8, 3), ((8,), (8, 3))),  # sparse labels: untouched
    ((8, 3), (8, 1), ((8, 3), (8, 1))),  # same rank: untouched
])
def test_squeeze_or_expand_to_same_rank(true_shape, pred_shape, expected):
    a, b = losses.squeeze_or_expand_to_same_rank(np.zeros(true_shape), np.zeros(pred_shape))
    assert (a.shape, b.shape) == expected


class _SquaredError(losses.Loss):
    """A user's Loss subclass, written with no rank handling."""

    def call(self, y_true, y_pred):
        return (y_true - y_pred) ** 2


def test_user_losses_never_broadcast_labels_against_a_single_unit_output():
    """A lambda, a Loss subclass: labels (n,) meet outputs (n, 1) as (n, 1) (Keras 3.15
    gives the rank-matched 3.4549 for a lambda on this data, not the broadcast 3.5091)."""
    rng = np.random.default_rng(0)
    y_pred = rng.normal(size=(8, 1)).astype("float32")
    y_true = rng.normal(size=(8,)).astype("float32")
    matched = np.mean((y_pred[:, 0] - y_true) ** 2)
    for loss in (losses.loss_object(lambda t, p: np.mean((t - p) ** 2)), _SquaredError()):
        assert float(loss(y_true, y_pred)) == pytest.approx(matched, rel=1e-6)


def test_only_built_in_losses_check_targets_up_front():
    """Keras checks nothing before a user's loss runs: it decides what it accepts."""
    custom = losses.loss_object(lambda t, p: losses.sparse_categorical_crossentropy(t, p))
    custom.validate((8,), np.int32, (None, 3))  # integer labels, 3 classes: valid
    _SquaredError().validate((8, 3), np.float32, (None, 1))
    custom.validate_values(np.array([7, 9]), (None, 3))
    with pytest.raises(ValueError, match=r"\(8, 3\).*\(None, 1\)"):
        losses.loss_object("mse").validate((8, 3), np.float32, (None, 1))
