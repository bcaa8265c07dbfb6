"""Probabilistic metrics: crossentropies, KL divergence, Poisson."""

from __future__ import annotations

from hoarfrost import losses as losses_module
from hoarfrost.metrics.reduction_metrics import mean_metric


class KLDivergence(mean_metric(losses_module.kl_divergence, "kl_divergence")):
    """The Kullback-Leibler divergence of y_pred from y_true."""

    _direction = "down"


class Poisson(mean_metric(losses_module.poisson, "poisson")):
    """The Poisson loss."""

    _direction = "down"


class BinaryCrossentropy(mean_metric(
        losses_module.binary_crossentropy, "binary_crossentropy", from_logits=False,
        label_smoothing=0.0)):
    """The mean binary crossentropy."""

    _direction = "down"


class CategoricalCrossentropy(mean_metric(
        losses_module.categorical_crossentropy, "categorical_crossentropy", from_logits=False,
        label_smoothing=0.0, axis=-1)):
    """The mean categorical crossentropy (one-hot targets)."""

    _direction = "down"


class SparseCategoricalCrossentropy(mean_metric(
        losses_module.sparse_categorical_crossentropy, "sparse_categorical_crossentropy",
        from_logits=False, ignore_class=None, axis=-1)):
    """The mean sparse categorical crossentropy (integer targets).

    `ignore_class`: elements with this label add 0; as in Keras, they still count
    in the mean unless a `sample_weight` is given (then their weight is 0)."""

    _direction = "down"
