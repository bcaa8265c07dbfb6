"""Hand-written JAX + Optax training loops: the reference hoarfrost must match.

The whole epoch runs in one jitted call (`lax.scan` over an on-device
permutation, donated buffers): the fastest plain JAX loop we know how to write.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax


def _glorot(key, shape):
    fan_in = int(np.prod(shape[:-1]))
    fan_out = shape[-1] * (int(np.prod(shape[:-2])) if len(shape) > 2 else 1)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return jax.random.uniform(key, shape, jnp.float32, -limit, limit)


def init_mlp(key):
    k = jax.random.split(key, 3)
    return {"d1": {"w": _glorot(k[0], (784, 300)), "b": jnp.zeros(300)},
            "d2": {"w": _glorot(k[1], (300, 100)), "b": jnp.zeros(100)},
            "d3": {"w": _glorot(k[2], (100, 10)), "b": jnp.zeros(10)}}


def mlp(params, x):
    h = x.reshape(x.shape[0], -1)
    h = jax.nn.relu(h @ params["d1"]["w"] + params["d1"]["b"])
    h = jax.nn.relu(h @ params["d2"]["w"] + params["d2"]["b"])
    return h @ params["d3"]["w"] + params["d3"]["b"]


def init_cnn(key):
    k = jax.random.split(key, 3)
    return {"c1": {"w": _glorot(k[0], (3, 3, 1, 32)), "b": jnp.zeros(32)},
            "c2": {"w": _glorot(k[1], (3, 3, 32, 64)), "b": jnp.zeros(64)},
            "d": {"w": _glorot(k[2], (5 * 5 * 64, 10)), "b": jnp.zeros(10)}}


def _conv(x, w, b):
    y = jax.lax.conv_general_dilated(x, w, (1, 1), "VALID",
                                     dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return jax.nn.relu(y + b)


def _pool(x):
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")


def cnn(params, x):
    h = x[..., None] if x.ndim == 3 else x
    h = _pool(_conv(h, params["c1"]["w"], params["c1"]["b"]))
    h = _pool(_conv(h, params["c2"]["w"], params["c2"]["b"]))
    return h.reshape(h.shape[0], -1) @ params["d"]["w"] + params["d"]["b"]


def make_epoch(apply, batch_size: int, frozen: tuple = ()):
    """A jitted epoch: (trainable, frozen, opt_state, x, y, key) -> updated state, loss."""
    tx = optax.adam(1e-3, eps=1e-7)

    def loss_fn(trainable, fixed, xb, yb):
        params = {**fixed, **trainable}
        logits = apply(params, xb)
        return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

    def epoch(trainable, fixed, opt_state, x, y, key):
        steps = x.shape[0] // batch_size
        perm = jax.random.permutation(key, x.shape[0])[: steps * batch_size]
        perm = perm.reshape(steps, batch_size)

        def step(carry, idx):
            params, state = carry
            loss, grads = jax.value_and_grad(loss_fn)(params, fixed, x[idx], y[idx])
            updates, state = tx.update(grads, state, params)
            return (optax.apply_updates(params, updates), state), loss

        (trainable, opt_state), losses = jax.lax.scan(step, (trainable, opt_state), perm)
        return trainable, opt_state, losses.mean()

    return tx, jax.jit(epoch, donate_argnums=(0, 2))


def accuracy(apply, params, x, y) -> float:
    logits = jax.jit(apply)(params, jnp.asarray(x))
    return float((np.asarray(logits).argmax(-1) == y).mean())
