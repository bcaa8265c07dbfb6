"""Metrics with Keras's names, formulas and defaults, one module per family (as Keras 3).

A metric's state is a small pytree the compiled step threads through
(`initial_state`, `update`, `compute`); Keras's stateful API (`update_state`,
`result`, `reset_state`) wraps the same functions for use outside `fit`.
"""

from hoarfrost.metrics.accuracy_metrics import (Accuracy, BinaryAccuracy, CategoricalAccuracy,
                                                SparseCategoricalAccuracy,
                                                SparseTopKCategoricalAccuracy,
                                                TopKCategoricalAccuracy, accuracy,
                                                binary_accuracy, categorical_accuracy,
                                                sparse_categorical_accuracy,
                                                sparse_top_k_categorical_accuracy,
                                                top_k_categorical_accuracy)
from hoarfrost.metrics.confusion_metrics import (AUC, FalseNegatives, FalsePositives, Precision,
                                                 Recall, TrueNegatives, TruePositives)
from hoarfrost.metrics.hinge_metrics import CategoricalHinge, Hinge, SquaredHinge
from hoarfrost.metrics.lookup import get, identifier_of, serialize
from hoarfrost.metrics.metric import Metric
from hoarfrost.metrics.metrics_utils import (is_evenly_distributed_thresholds,
                                             update_confusion_matrix)
from hoarfrost.metrics.probabilistic_metrics import (BinaryCrossentropy, CategoricalCrossentropy,
                                                     KLDivergence, Poisson,
                                                     SparseCategoricalCrossentropy)
from hoarfrost.metrics.reduction_metrics import Mean, MeanMetricWrapper
from hoarfrost.metrics.regression_metrics import (CosineSimilarity, LogCoshError,
                                                  MeanAbsoluteError, MeanAbsolutePercentageError,
                                                  MeanSquaredError, MeanSquaredLogarithmicError,
                                                  RootMeanSquaredError, cosine_similarity)

__all__ = ["AUC", "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "CategoricalAccuracy",
           "CategoricalCrossentropy", "CategoricalHinge", "CosineSimilarity", "FalseNegatives",
           "FalsePositives", "Hinge", "KLDivergence", "LogCoshError", "Mean",
           "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanMetricWrapper",
           "MeanSquaredError", "MeanSquaredLogarithmicError", "Metric", "Poisson", "Precision",
           "Recall", "RootMeanSquaredError", "SparseCategoricalAccuracy",
           "SparseCategoricalCrossentropy", "SparseTopKCategoricalAccuracy", "SquaredHinge",
           "TopKCategoricalAccuracy", "TrueNegatives", "TruePositives", "accuracy",
           "binary_accuracy", "categorical_accuracy", "cosine_similarity", "get",
           "identifier_of", "is_evenly_distributed_thresholds", "serialize",
           "sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy",
           "top_k_categorical_accuracy", "update_confusion_matrix"]
