"""Losses with Keras's names, formulas and reductions, one module per family.

Each loss function returns one value per sample (averaged over the last
axis where Keras does); `Loss` objects reduce them with sample weights.
"""

from hoarfrost.losses.circle_loss import Circle, circle
from hoarfrost.losses.ctc import CTC, ctc
from hoarfrost.losses.focal_losses import (BinaryFocalCrossentropy, CategoricalFocalCrossentropy,
                                           binary_focal_crossentropy,
                                           categorical_focal_crossentropy)
from hoarfrost.losses.lookup import deserialize, get, loss_object, serialize
from hoarfrost.losses.loss import (EPSILON, Loss, LossFunctionWrapper, _match_rank,
                                   reduce_values, squeeze_or_expand_to_same_rank)
from hoarfrost.losses.losses import (KLD, MAE, MAPE, MSE, MSLE, BinaryCrossentropy,
                                     CategoricalCrossentropy, CategoricalHinge,
                                     CosineSimilarity, Hinge, Huber, KLDivergence, LogCosh,
                                     MeanAbsoluteError, MeanAbsolutePercentageError,
                                     MeanSquaredError, MeanSquaredLogarithmicError, Poisson,
                                     SparseCategoricalCrossentropy, SquaredHinge,
                                     binary_crossentropy, categorical_crossentropy,
                                     categorical_hinge, cosine_similarity, hinge, huber, kld,
                                     kl_divergence, kullback_leibler_divergence, log_cosh,
                                     logcosh, mae, mape, mean_absolute_error,
                                     mean_absolute_percentage_error, mean_squared_error,
                                     mean_squared_logarithmic_error, mse, msle, poisson,
                                     sparse_categorical_crossentropy, squared_hinge)
from hoarfrost.losses.robust_losses import (CategoricalGeneralizedCrossEntropy,
                                            categorical_generalized_cross_entropy)
from hoarfrost.losses.segmentation_losses import Dice, Tversky, dice, tversky

__all__ = ["CTC", "BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy",
           "CategoricalFocalCrossentropy", "CategoricalGeneralizedCrossEntropy",
           "CategoricalHinge", "Circle", "CosineSimilarity", "Dice", "Hinge", "Huber", "KLD",
           "KLDivergence", "LogCosh", "Loss", "LossFunctionWrapper", "MAE", "MAPE", "MSE",
           "MSLE", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError",
           "MeanSquaredLogarithmicError", "Poisson", "SparseCategoricalCrossentropy",
           "SquaredHinge", "Tversky", "binary_crossentropy", "binary_focal_crossentropy",
           "categorical_crossentropy", "categorical_focal_crossentropy",
           "categorical_generalized_cross_entropy", "categorical_hinge", "circle",
           "cosine_similarity", "ctc", "deserialize", "dice", "get", "hinge", "huber", "kld",
           "kl_divergence", "kullback_leibler_divergence", "log_cosh", "logcosh", "mae", "mape",
           "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
           "mean_squared_logarithmic_error", "mse", "msle", "poisson", "reduce_values",
           "serialize", "sparse_categorical_crossentropy", "squared_hinge",
           "squeeze_or_expand_to_same_rank", "tversky"]
