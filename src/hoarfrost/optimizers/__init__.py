"""Optimizers with Keras's names, arguments and defaults, built from Optax transformations.

Each optimizer keeps its slots per variable and owns them (see
`Optimizer.gather_slots`, `snapshot`, `save_state`, `reset_slots`), so a
frozen variable's slots stay bit-identical and unfreezing resumes from them.
Keras's API (`build`, `variables`, `apply`, `apply_gradients`,
`stateless_apply`, `get`, `serialize`, `deserialize`) works on the same state.
"""

from hoarfrost.optimizers import schedules
from hoarfrost.optimizers.adadelta import Adadelta
from hoarfrost.optimizers.adafactor import Adafactor, keras_adafactor
from hoarfrost.optimizers.adagrad import Adagrad
from hoarfrost.optimizers.adam import Adam, scale_by_keras_adam
from hoarfrost.optimizers.adamax import Adamax, keras_adamax
from hoarfrost.optimizers.adamw import AdamW
from hoarfrost.optimizers.base_optimizer import Optimizer, OptimizerState, keras_named
from hoarfrost.optimizers import legacy
from hoarfrost.optimizers.ftrl import Ftrl, keras_ftrl
from hoarfrost.optimizers.lamb import Lamb, keras_lamb
from hoarfrost.optimizers.lion import Lion
from hoarfrost.optimizers.lookup import deserialize, get, serialize
from hoarfrost.optimizers.loss_scale_optimizer import LossScaleOptimizer
from hoarfrost.optimizers.nadam import Nadam, keras_nadam
from hoarfrost.optimizers.rmsprop import RMSprop, keras_rmsprop
from hoarfrost.optimizers.sgd import SGD, keras_sgd

__all__ = ["Adadelta", "Adafactor", "Adagrad", "Adam", "Adamax", "AdamW", "Ftrl", "Lamb", "Lion",
           "LossScaleOptimizer", "Nadam", "Optimizer", "OptimizerState", "RMSprop", "SGD",
           "deserialize", "get", "keras_adafactor", "keras_adamax", "keras_ftrl", "keras_lamb",
           "keras_named", "keras_nadam", "keras_rmsprop", "keras_sgd", "legacy",
           "scale_by_keras_adam", "schedules", "serialize"]
