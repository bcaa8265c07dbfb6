"""Random draws with Keras 3's `keras.random` names, and hoarfrost's random streams.

`seed` works as in Keras on JAX:

- an int draws from the key `[seed, 0]` (uint32): the same values every call,
  and the same values Keras computes;
- a `SeedGenerator` is state: a uint32 variable `[seed, counter]` whose
  counter each draw advances. Assigned to a layer (`self.seed_generator =
  SeedGenerator(1337)`), it is a non-trainable variable of the model, so
  inside `fit`'s compiled step each step draws anew and the advanced state
  comes back out of the step;
- None draws from the training step's key inside `fit` (where Keras on JAX
  raises), from the global stream eagerly, and raises inside any other
  trace (a draw traced without a key would be a constant);
- a JAX key (typed, or uint32 `[2]`) is used as given.

Outside a step, layers and initializers draw from a global stream that
`set_random_seed` resets, so a seeded program is reproducible.
"""

from __future__ import annotations

import random as _py_random

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost import config
from hoarfrost.naming import unique_name
from hoarfrost.variables import Variable, current_scope

_state = {"key": None, "seed": None}


def set_random_seed(seed: int) -> None:
    """Seed Python's, NumPy's and hoarfrost's random streams.

    Example:
        >>> import hoarfrost
        >>> hoarfrost.utils.set_random_seed(1337)
    """
    seed = int(seed)
    _py_random.seed(seed)
    np.random.seed(seed % 2**32)
    _state["seed"] = seed
    _state["key"] = jax.random.key(seed)


def global_key():
    """A fresh key from the global stream (seeded from OS entropy by default)."""
    # Never traced: the global stream must hold concrete keys, not tracers.
    with jax.ensure_compile_time_eval():
        if _state["key"] is None:
            _state["key"] = jax.random.key(np.random.SeedSequence().entropy % 2**63)
        _state["key"], sub = jax.random.split(_state["key"])
    return sub


def draw_key(seed: int | None = None):
    """A key for a random layer op: from the step's stream when tracing.

    Args:
        seed: a layer's own seed; folded into the key so two seeded layers
            differ, and used alone when no stream is active.
    """
    scope = current_scope()
    key = scope.next_rng() if scope is not None else None
    if key is None:
        key = jax.random.key(seed) if seed is not None else global_key()
    elif seed is not None:
        key = jax.random.fold_in(key, seed)
    return key


def make_default_seed() -> int:
    """A seed from Python's stream (so `set_random_seed` fixes it), as Keras."""
    return _py_random.randint(1, int(1e9))


class SeedGenerator:
    """A stream of seeds for random draws: state that each draw advances.

    Pass it as the `seed` of the functions in this module. Assigned to a
    layer attribute, its state (`state`, a uint32 variable `[seed, counter]`)
    is one of the layer's non-trainable `variables` (not of its `weights`,
    nor counted by `summary()`, as in Keras): `fit` carries it through the
    compiled step, so each step draws different values, also inside a
    frozen layer. As in Keras, the state is not saved with the model: a
    loaded model's generators start again from their seed.

    Args:
        seed: an int; None picks one from Python's random stream.
        name: the generator's name (`seed_generator`, `seed_generator_1`, ...).

    Example:
        >>> class Noise(hoarfrost.layers.Layer):
        ...     def __init__(self, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.seed_generator = hoarfrost.random.SeedGenerator(1337)
        ...     def call(self, x, training=False):
        ...         return x + hoarfrost.random.normal(x.shape, seed=self.seed_generator)
    """

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs):
        if kwargs:
            raise ValueError(f"SeedGenerator: unrecognized keyword arguments: {kwargs}")
        self.name = name if name is not None else unique_name("seed_generator")
        self._initial_seed = seed
        if seed is None:
            seed = make_default_seed()
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise ValueError(f"SeedGenerator: argument `seed` must be an integer. Received: "
                             f"seed={seed!r}")
        with jax.ensure_compile_time_eval():
            value = jnp.asarray(_seed_pair(int(seed), "SeedGenerator"))
        self.state = Variable(value, name="seed_generator_state", trainable=False,
                              dtype=jnp.uint32)
        self.state._path = f"{self.name}/seed_generator_state"
        self.state._is_seed_state = True  # the engine advances it in every training step

    def next(self, ordered: bool = True):
        """The current seed (uint32 `[2]`), after which the state advances.

        Args:
            ordered: True steps the counter by one; False jumps to a new
                pseudo-random state (Keras's global generator does this).
        """
        scope = current_scope()
        if _tracing() and (scope is None or not scope.symbolic
                           and scope.read(self.state) is None):
            raise ValueError(
                f"SeedGenerator '{self.name}' was drawn from in a trace that does not carry its "
                "state (its draws would repeat at every call). Assign it to an attribute of a "
                "layer of the model being run (self.seed_generator = SeedGenerator(...)), or "
                "pass an int seed or a JAX key.")
        seed = self.state.value
        if ordered:
            self.state.assign(seed + jnp.asarray([0, 1], jnp.uint32))
        else:
            self.state.assign((seed + 1) * 5387 % 933199)
        return seed

    def get_config(self) -> dict:
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> SeedGenerator:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<SeedGenerator name={self.name}>"


def _seed_pair(seed: int, owner: str) -> np.ndarray:
    if not 0 <= seed < 2**32:
        raise ValueError(f"{owner}: an integer seed must be in [0, 2**32), got {seed}.")
    return np.array([seed, 0], np.uint32)


def _tracing() -> bool:
    return isinstance(jnp.zeros(()), jax.core.Tracer)


def _unseeded_key():
    scope = current_scope()
    if scope is not None:
        key = scope.next_rng()
        if key is not None:
            return key
        if scope.symbolic:  # shape inference: the values are never computed
            return jax.random.key(0)
    if _tracing():
        raise ValueError(
            "hoarfrost.random: a draw with seed=None was traced outside a training step, where "
            "it would become a constant. Pass a seed: create a SeedGenerator, assign it to your "
            "layer (self.seed_generator = hoarfrost.random.SeedGenerator(1337)) and call e.g. "
            "hoarfrost.random.normal(shape, seed=self.seed_generator).")
    return global_key()


def draw_seed(seed):
    """The JAX key a draw with this `seed` uses (see the module's docstring)."""
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, jax.Array):
        return seed
    if isinstance(seed, (int, np.integer)):
        return jnp.asarray(_seed_pair(int(seed), "seed"))
    if seed is None:
        return _unseeded_key()
    raise ValueError("Argument `seed` must be either an integer or an instance of "
                     f"`SeedGenerator`. Received: seed={seed!r} (of type {type(seed)})")


def _float_dtype(dtype, owner: str) -> str:
    dtype = config.floatx() if dtype is None else np.dtype(dtype).name
    if not (dtype.startswith("float") or dtype == "bfloat16"):
        raise ValueError(f"hoarfrost.random.{owner} requires a floating point `dtype`. "
                         f"Received: dtype={dtype}")
    return dtype


def _shape(shape) -> tuple:
    return tuple(int(d) for d in shape)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from a normal distribution.

    Args:
        shape: the shape of the result.
        mean, stddev: the distribution's mean and standard deviation.
        dtype: a float dtype; `config.floatx()` by default.
        seed: an int, a `SeedGenerator`, a JAX key or None (see the module).
    """
    dtype = _float_dtype(dtype, "normal")
    sample = jax.random.normal(draw_seed(seed), shape=_shape(shape), dtype=dtype)
    return sample * stddev + mean


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples from a uniform distribution over `[minval, maxval)`."""
    dtype = _float_dtype(dtype, "uniform")
    return jax.random.uniform(draw_seed(seed), shape=_shape(shape), dtype=dtype,
                              minval=minval, maxval=maxval)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from a normal distribution, redrawn beyond two standard deviations."""
    dtype = _float_dtype(dtype, "truncated_normal")
    sample = jax.random.truncated_normal(draw_seed(seed), shape=_shape(shape), lower=-2.0,
                                         upper=2.0, dtype=dtype)
    return sample * stddev + mean


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Random integers, uniform over `[minval, maxval)`."""
    if dtype and not np.issubdtype(np.dtype(dtype), np.integer):
        raise ValueError("hoarfrost.random.randint requires an integer `dtype`. "
                         f"Received: dtype={dtype}")
    return jax.random.randint(draw_seed(seed), shape=_shape(shape), dtype=dtype,
                              minval=minval, maxval=maxval)


def categorical(logits, num_samples: int, dtype="int32", seed=None):
    """`num_samples` class indices per row of `logits` (batch, classes), drawn with the
    probabilities `softmax(logits)`."""
    logits = jnp.asarray(getattr(logits, "value", logits))
    if logits.ndim != 2:
        raise ValueError("`logits` should be a 2-D tensor with shape [batch_size, num_classes]. "
                         f"Received: logits of shape {logits.shape}")
    output = jax.random.categorical(draw_seed(seed), logits[..., None],
                                    shape=(logits.shape[0], int(num_samples)), axis=1)
    return output.astype(dtype)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zero entries with probability `rate`, scale the rest by `1 / (1 - rate)`.

    Args:
        noise_shape: the shape of the keep mask, broadcast over `inputs`
            (None entries take the input's size).
    """
    inputs = jnp.asarray(getattr(inputs, "value", inputs))
    if rate == 1.0:
        return jnp.zeros_like(inputs)
    if rate == 0.0:
        return inputs
    key = draw_seed(seed)
    keep_prob = 1.0 - rate
    if noise_shape is None:
        noise_shape = inputs.shape
    else:
        noise_shape = tuple(inputs.shape[i] if d is None else d for i, d in enumerate(noise_shape))
    mask = jax.random.bernoulli(key, p=keep_prob, shape=noise_shape)
    mask = jnp.broadcast_to(mask, inputs.shape)
    return jax.lax.select(mask, inputs / keep_prob, jnp.zeros_like(inputs))


def shuffle(x, axis: int = 0, seed=None):
    """`x` with its entries along `axis` in a uniformly random order."""
    x = jnp.asarray(getattr(x, "value", x))
    return jax.random.permutation(draw_seed(seed), x, axis, independent=True)


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples from a Gamma distribution of shape parameter `alpha` (scale 1)."""
    dtype = _float_dtype(dtype, "gamma")
    return jax.random.gamma(draw_seed(seed), alpha, shape=_shape(shape), dtype=dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Successes out of `counts` trials of probability `probabilities` (broadcastable)."""
    dtype = _float_dtype(dtype, "binomial")
    key = draw_seed(seed)
    return jax.random.binomial(key, n=jnp.asarray(counts), p=jnp.asarray(probabilities),
                               shape=_shape(shape), dtype=dtype)


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples from a Beta(alpha, beta) distribution (parameters broadcastable)."""
    dtype = _float_dtype(dtype, "beta")
    key = draw_seed(seed)
    return jax.random.beta(key, a=jnp.asarray(alpha), b=jnp.asarray(beta), shape=_shape(shape),
                           dtype=dtype)


__all__ = ["SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal",
           "randint", "shuffle", "truncated_normal", "uniform"]
