"""Optimizers with Keras's names and defaults, built from Optax transformations.

Each optimizer keeps its slots per variable and owns them (see
`Optimizer.gather_slots`, `snapshot`, `save_state`, `reset_slots`), so a
frozen variable's slots stay bit-identical and unfreezing resumes from them.
"""

from hoarfrost.optimizers import schedules
from hoarfrost.optimizers.adagrad import Adagrad
from hoarfrost.optimizers.adam import Adam, scale_by_keras_adam
from hoarfrost.optimizers.adamw import AdamW
from hoarfrost.optimizers.base_optimizer import Optimizer, OptimizerState
from hoarfrost.optimizers.lookup import get, serialize
from hoarfrost.optimizers.rmsprop import RMSprop, keras_rmsprop
from hoarfrost.optimizers.sgd import SGD, keras_sgd

__all__ = ["Adagrad", "Adam", "AdamW", "Optimizer", "OptimizerState", "RMSprop", "SGD", "get",
           "keras_rmsprop", "keras_sgd", "scale_by_keras_adam", "schedules", "serialize"]
