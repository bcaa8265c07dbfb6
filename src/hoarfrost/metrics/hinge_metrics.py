"""Hinge metrics: hinge, squared hinge, categorical hinge."""

from __future__ import annotations

from hoarfrost import losses as losses_module
from hoarfrost.metrics.reduction_metrics import mean_metric


class Hinge(mean_metric(losses_module.hinge, "hinge")):
    """The hinge loss."""

    _direction = "down"


class SquaredHinge(mean_metric(losses_module.squared_hinge, "squared_hinge")):
    """The squared hinge loss."""

    _direction = "down"


class CategoricalHinge(mean_metric(losses_module.categorical_hinge, "categorical_hinge")):
    """The categorical hinge loss."""

    _direction = "down"
