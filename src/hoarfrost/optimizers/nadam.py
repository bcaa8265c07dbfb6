"""Nadam: Adam with Nesterov momentum and Keras's momentum schedule."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from hoarfrost.optimizers.base_optimizer import Optimizer


def keras_nadam(beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7
                ) -> optax.GradientTransformationExtraArgs:
    """Keras's Nadam update for one variable, as an Optax transformation.

    Keras keeps the product of the momentum schedule `u_t = beta_1 * (1 - 0.5 *
    0.96**t)` as one variable of the optimizer; here each variable keeps its own
    (`u_product`) with its own step count, so the two agree for variables that
    train every step and a variable unfrozen later continues its own schedule.
    """

    def init(param):
        return {"momentum": jnp.zeros_like(param), "velocity": jnp.zeros_like(param),
                "count": jnp.zeros((), jnp.int32), "u_product": jnp.ones((), param.dtype)}

    def update(grad, state, param=None, *, learning_rate, **extra_args):
        dtype = state["u_product"].dtype
        count = state["count"] + 1
        local_step, next_step = count.astype(dtype), (count + 1).astype(dtype)
        decay = jnp.asarray(0.96, dtype)
        u_product_t = state["u_product"] * beta_1 * (1.0 - 0.5 * jnp.power(0.96, local_step))
        u_t = beta_1 * (1.0 - 0.5 * jnp.power(decay, local_step))
        u_t_1 = beta_1 * (1.0 - 0.5 * jnp.power(decay, next_step))
        u_product_t_1 = u_product_t * u_t_1
        beta_2_power = jnp.power(jnp.asarray(beta_2, dtype), local_step)
        m = state["momentum"] + (grad - state["momentum"]) * (1 - beta_1)
        v = state["velocity"] + (jnp.square(grad) - state["velocity"]) * (1 - beta_2)
        m_hat = u_t_1 * m / (1 - u_product_t_1) + (1 - u_t) * grad / (1 - u_product_t)
        v_hat = v / (1 - beta_2_power)
        step = m_hat * learning_rate / (jnp.sqrt(v_hat) + epsilon)
        return -step, {"momentum": m, "velocity": v, "count": count, "u_product": u_product_t}

    return optax.GradientTransformationExtraArgs(init, update)


class Nadam(Optimizer):
    """Nadam: Adam with Nesterov momentum (Keras's defaults, formula and slot names).

    Example:
        >>> opt = Nadam(learning_rate=0.002)
    """

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kwargs):
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _build_transform(self):
        return keras_nadam(self.beta_1, self.beta_2, self.epsilon)

    def _slot_groups(self):
        return [("momentum", "velocity")]

    def u_product_after(self, steps: int, dtype="float32") -> jax.Array:
        """The product of the momentum schedule after `steps` updates (Keras keeps it
        once for the optimizer; a hoarfrost variable's own `u_product` after as many)."""
        dtype = jnp.dtype(dtype)

        def step(t, product):
            return product * self.beta_1 * (1.0 - 0.5 * jnp.power(0.96, t.astype(dtype)))

        return jax.lax.fori_loop(1, steps + 1, step, jnp.ones((), dtype))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
