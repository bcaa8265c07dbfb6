"""hoarfrost: the Keras API on JAX and Optax, with live, bit-exact freezing.

Port a Keras program by changing its imports::

    from hoarfrost.models import Sequential
    from hoarfrost.layers import Dense

What you set `trainable = False` stays frozen, bit for bit, from the next
training step on, with no recompile; `summary()` always tells the truth.
"""

from hoarfrost import (activations, audit, backend, callbacks, compile_cache, datasets, initializers,
                       layers, losses, metrics, models, ops, optimizers, regularizers, saving, utils)
from hoarfrost.layers import Input, Layer
from hoarfrost.models import Model, Sequential, load_model
from hoarfrost.variables import Variable

__version__ = "0.1.0"

__all__ = ["Input", "Layer", "Model", "Sequential", "Variable", "activations", "audit", "backend",
           "callbacks", "compile_cache", "datasets", "initializers", "layers", "load_model",
           "losses", "metrics", "models", "ops", "optimizers", "regularizers", "saving", "utils"]
