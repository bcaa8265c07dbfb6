"""Adafactor: second moments factored into row and column averages."""

from __future__ import annotations

import jax.numpy as jnp
import optax

from hoarfrost.optimizers.base_optimizer import Optimizer


def keras_adafactor(beta_2_decay: float = -0.8, epsilon_1: float = 1e-30,
                    epsilon_2: float = 1e-3, clip_threshold: float = 1.0
                    ) -> optax.GradientTransformationExtraArgs:
    """Keras's Adafactor update for one variable, as an Optax transformation.

    Not Optax's `scale_by_factored_rms`: Keras factors the last two dimensions
    (Optax the two largest), decays by `1 - t**beta_2_decay` and scales the
    step by the variable's RMS. A variable of fewer than two dimensions keeps a
    full `velocity` only (Keras's placeholder `r` and `c` hold nothing).
    """

    def rms(x):
        return jnp.sqrt(jnp.mean(jnp.square(x)))

    def init(param):
        slots = {}
        if param.ndim >= 2:
            slots["r"] = jnp.zeros(param.shape[:-1], param.dtype)
            slots["c"] = jnp.zeros(param.shape[:-2] + param.shape[-1:], param.dtype)
        slots["velocity"] = jnp.zeros_like(param)
        slots["count"] = jnp.zeros((), jnp.int32)
        return slots

    def update(grad, state, param=None, *, learning_rate, **extra_args):
        count = state["count"] + 1
        local_step = count.astype(param.dtype)
        rho_t = jnp.minimum(learning_rate, 1 / jnp.sqrt(local_step))
        alpha_t = jnp.maximum(epsilon_2, rms(param)) * rho_t
        regulated_grad_square = jnp.square(grad) + epsilon_1
        beta_2_t = 1 - jnp.power(local_step, beta_2_decay)
        new = {"count": count}
        if param.ndim >= 2:
            r = beta_2_t * state["r"] + (1 - beta_2_t) * jnp.mean(regulated_grad_square, -1)
            c = beta_2_t * state["c"] + (1 - beta_2_t) * jnp.mean(regulated_grad_square, -2)
            v = (jnp.expand_dims(r / jnp.mean(r, axis=-1, keepdims=True), -1)
                 * jnp.expand_dims(c, -2))
            new.update(r=r, c=c)
        else:
            v = beta_2_t * state["velocity"] + (1 - beta_2_t) * regulated_grad_square
        new["velocity"] = v
        u_t = grad / jnp.sqrt(v)
        u_t_hat = u_t / jnp.maximum(1.0, rms(u_t) / clip_threshold)
        return -(alpha_t * u_t_hat), {k: new[k] for k in state}

    return optax.GradientTransformationExtraArgs(init, update)


class Adafactor(Optimizer):
    """Adafactor (Keras's arguments, defaults, formula and slot names).

    Args:
        beta_2_decay: the second moments decay by `1 - t**beta_2_decay` at step t.
        epsilon_1: added to the squared gradients.
        epsilon_2: the least RMS the step is scaled by.
        clip_threshold: the update's RMS is clipped to this.
        relative_step: kept for Keras's signature and config; in Keras 3 it changes
            nothing (the rate is always capped by `1 / sqrt(t)`), nor here.
    """

    def __init__(self, learning_rate=0.001, beta_2_decay: float = -0.8,
                 epsilon_1: float = 1e-30, epsilon_2: float = 1e-3,
                 clip_threshold: float = 1.0, relative_step: bool = True, **kwargs):
        self.beta_2_decay, self.epsilon_1, self.epsilon_2 = beta_2_decay, epsilon_1, epsilon_2
        self.clip_threshold, self.relative_step = clip_threshold, relative_step
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _build_transform(self):
        return keras_adafactor(self.beta_2_decay, self.epsilon_1, self.epsilon_2,
                               self.clip_threshold)

    def _slot_groups(self):
        return [("r", "c", "velocity")]

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1, "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold, "relative_step": self.relative_step}
