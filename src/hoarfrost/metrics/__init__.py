"""Metrics with Keras's names, formulas and defaults, one module per family (as Keras 3).

A metric's state is a small pytree the compiled step threads through
(`initial_state`, `update`, `compute`); Keras's stateful API (`update_state`,
`result`, `reset_state`) wraps the same functions for use outside `fit`.
The loss functions Keras also exports here (`binary_crossentropy`, `huber`,
...) are the same objects as `hoarfrost.losses`'.
"""

from hoarfrost.losses import (binary_crossentropy, binary_focal_crossentropy,
                              categorical_crossentropy, categorical_focal_crossentropy,
                              categorical_hinge, hinge, huber, kl_divergence, log_cosh,
                              mean_absolute_error,
                              mean_absolute_percentage_error, mean_squared_error,
                              mean_squared_logarithmic_error, poisson,
                              sparse_categorical_crossentropy, squared_hinge)
from hoarfrost.metrics.accuracy_metrics import (Accuracy, BinaryAccuracy, CategoricalAccuracy,
                                                SparseCategoricalAccuracy,
                                                SparseTopKCategoricalAccuracy,
                                                TopKCategoricalAccuracy, accuracy,
                                                binary_accuracy, categorical_accuracy,
                                                sparse_categorical_accuracy,
                                                sparse_top_k_categorical_accuracy,
                                                top_k_categorical_accuracy)
from hoarfrost.metrics.confusion_metrics import (AUC, FalseNegatives, FalsePositives, Precision,
                                                 PrecisionAtRecall, Recall, RecallAtPrecision,
                                                 SensitivityAtSpecificity,
                                                 SpecificityAtSensitivity, TrueNegatives,
                                                 TruePositives)
from hoarfrost.metrics.correlation_metrics import (ConcordanceCorrelation, PearsonCorrelation,
                                                   concordance_correlation, pearson_correlation)
from hoarfrost.metrics.f_score_metrics import F1Score, FBetaScore
from hoarfrost.metrics.hinge_metrics import CategoricalHinge, Hinge, SquaredHinge
from hoarfrost.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from hoarfrost.metrics.lookup import compile_metric, deserialize, get, identifier_of, serialize
from hoarfrost.metrics.metric import Metric
from hoarfrost.metrics.metrics_utils import (is_evenly_distributed_thresholds,
                                             update_confusion_matrix)
from hoarfrost.metrics.probabilistic_metrics import (BinaryCrossentropy, CategoricalCrossentropy,
                                                     KLDivergence, Poisson,
                                                     SparseCategoricalCrossentropy)
from hoarfrost.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from hoarfrost.metrics.regression_metrics import (CosineSimilarity, LogCoshError,
                                                  MeanAbsoluteError, MeanAbsolutePercentageError,
                                                  MeanSquaredError, MeanSquaredLogarithmicError,
                                                  R2Score, RootMeanSquaredError,
                                                  cosine_similarity)

__all__ = ["AUC", "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "BinaryIoU",
           "CategoricalAccuracy", "CategoricalCrossentropy", "CategoricalHinge",
           "ConcordanceCorrelation", "CosineSimilarity", "F1Score", "FBetaScore",
           "FalseNegatives", "FalsePositives", "Hinge", "IoU", "KLDivergence", "LogCoshError",
           "Mean", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanIoU",
           "MeanMetricWrapper", "MeanSquaredError", "MeanSquaredLogarithmicError", "Metric",
           "OneHotIoU", "OneHotMeanIoU", "PearsonCorrelation", "Poisson", "Precision",
           "PrecisionAtRecall", "R2Score", "Recall", "RecallAtPrecision",
           "RootMeanSquaredError", "SensitivityAtSpecificity", "SparseCategoricalAccuracy",
           "SparseCategoricalCrossentropy", "SparseTopKCategoricalAccuracy",
           "SpecificityAtSensitivity", "SquaredHinge", "Sum", "TopKCategoricalAccuracy",
           "TrueNegatives", "TruePositives", "accuracy", "binary_accuracy",
           "binary_crossentropy", "binary_focal_crossentropy", "categorical_accuracy",
           "categorical_crossentropy", "categorical_focal_crossentropy",
           "categorical_hinge", "concordance_correlation", "cosine_similarity", "deserialize",
           "get", "hinge", "huber", "identifier_of", "is_evenly_distributed_thresholds",
           "kl_divergence", "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error",
           "mean_squared_error", "mean_squared_logarithmic_error", "pearson_correlation",
           "poisson", "serialize", "sparse_categorical_accuracy",
           "sparse_categorical_crossentropy", "sparse_top_k_categorical_accuracy",
           "squared_hinge", "top_k_categorical_accuracy", "update_confusion_matrix"]
