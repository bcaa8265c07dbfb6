"""Dynamic loss scaling for float16 training, wrapping another optimizer."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hoarfrost.optimizers.base_optimizer import Optimizer, OptimizerState

# The base arguments Keras lets a LossScaleOptimizer's config carry only at their defaults.
_BASE_DEFAULTS = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                  "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                  "ema_overwrite_frequency": None, "loss_scale_factor": None,
                  "gradient_accumulation_steps": None}


class LossScaleOptimizer(Optimizer):
    """Keras's dynamic loss scaling around `inner_optimizer`.

    The loss is multiplied by the scale before the gradients are taken (`fit`
    does this; a custom step calls `scale_loss`), and the gradients divided by
    it before the inner optimizer's update. A step whose gradients are not all
    finite is skipped: no variable, slot or step count changes, and the scale
    halves. After `dynamic_growth_steps` finite steps in a row the scale
    doubles. The scale and its counter are the optimizer's own state
    (`dynamic_scale`, `step_counter` in `variables` and in `OptimizerState.extra`).

    The slots, step count and learning rate are the inner optimizer's (shared,
    not copied); `iterations` is its step count.

    Args:
        inner_optimizer: the optimizer to wrap (its `loss_scale_factor` is set to
            None, as Keras does, so gradients are not unscaled twice).
        initial_scale: the first loss scale.
        dynamic_growth_steps: finite steps before the scale doubles.
        name: the optimizer's name.

    Example:
        >>> opt = LossScaleOptimizer(Adam(1e-3), initial_scale=2.0 ** 15)
    """

    def __init__(self, inner_optimizer: Optimizer, initial_scale: float = 2.0 ** 15,
                 dynamic_growth_steps: int = 2000, name: str | None = None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer no longer supports `dynamic=False`; set "
                             "`loss_scale_factor` on the inner optimizer instead.")
        for argument, default in _BASE_DEFAULTS.items():
            if argument in kwargs and kwargs.pop(argument) != default:
                raise ValueError(f"LossScaleOptimizer does not support `{argument}`; set it "
                                 "on the `inner_optimizer`.")
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not support arguments {sorted(kwargs)}.")
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError("LossScaleOptimizer: `inner_optimizer` must be an Optimizer; got "
                            f"{type(inner_optimizer).__name__}.")
        if int(dynamic_growth_steps) < 1:
            raise ValueError("LossScaleOptimizer: `dynamic_growth_steps` must be >= 1; got "
                             f"{dynamic_growth_steps!r}.")
        self.inner_optimizer = inner_optimizer
        self.initial_scale, self.dynamic_growth_steps = initial_scale, int(dynamic_growth_steps)
        super().__init__(learning_rate=0.0, name=name)
        inner_optimizer._reset_hyperparameter("loss_scale_factor", None)
        # Keras's own (unused) step count and rate stay in `variables`, for Keras's order;
        # the state that moves is the inner optimizer's, shared.
        self._own_variables = [self._iterations, self._learning_rate]
        self._iterations, self._learning_rate = inner_optimizer._iterations, None
        self._slots, self._specs, self._views = (inner_optimizer._slots, inner_optimizer._specs,
                                                 inner_optimizer._views)
        self._slot_init = inner_optimizer._slot_init
        self.step_counter = self._add_global_variable("step_counter", 0, jnp.int32)
        self.dynamic_scale = self._add_global_variable("dynamic_scale", initial_scale,
                                                       jnp.float32)

    def _build_transform(self):
        return self.inner_optimizer._transform

    # --- the inner optimizer's rate, step count and slots --------------------------------
    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        self.inner_optimizer.learning_rate = value

    @property
    def learning_rate_schedule(self):
        return self.inner_optimizer.learning_rate_schedule

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def build(self, variables) -> None:
        variables = list(variables)
        self.inner_optimizer.build(variables)
        super().build(variables)

    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        self.inner_optimizer.exclude_from_weight_decay(var_list, var_names)

    def finalize_variable_values(self, var_list) -> None:
        self.inner_optimizer.finalize_variable_values(var_list)

    @property
    def variables(self) -> list:
        """Keras's order: this optimizer's step count, rate, `step_counter` and
        `dynamic_scale`, then the inner optimizer's variables."""
        return (self._own_variables + list(self._global_variables.values())
                + self.inner_optimizer.variables)

    # --- the scale --------------------------------------------------------------------------
    def scale_loss(self, loss):
        """The loss times the current scale."""
        return loss * self.dynamic_scale.value

    def stateless_scale_loss(self, loss, state: OptimizerState):
        return loss * state.extra["dynamic_scale"]

    def stateless_update(self, grads, values, state: OptimizerState, learning_rate=None,
                         multipliers=None):
        """Unscale and apply the inner optimizer's step if every gradient is finite, and grow
        the scale every `dynamic_growth_steps` such steps; otherwise skip the step (nothing
        changes) and halve the scale."""
        scale, counter = state.extra["dynamic_scale"], state.extra["step_counter"]
        grads = list(grads)
        finite = jnp.all(jnp.asarray([jnp.all(jnp.isfinite(g)) for g in grads]))
        unscaled = [g / scale for g in grads]
        new_values, inner = self.inner_optimizer.stateless_update(
            unscaled, values, state.replace(extra={}), learning_rate, multipliers)
        grow = counter == self.dynamic_growth_steps - 1
        new_counter = jnp.where(finite & ~grow, counter + 1, jnp.zeros_like(counter))
        new_scale = jnp.where(finite, jnp.where(grow, scale * 2.0, scale), scale * 0.5)

        def keep(new, old):
            return jax.tree.map(lambda n, o: jnp.where(finite, n, o), new, old)

        new_values = keep(new_values, list(values))
        new_state = OptimizerState(state.variables, keep(inner.slots, state.slots),
                                   keep(inner.iterations, state.iterations),
                                   {"step_counter": new_counter, "dynamic_scale": new_scale})
        return new_values, new_state

    # --- config ---------------------------------------------------------------------------
    def get_config(self):
        from hoarfrost.optimizers.lookup import serialize
        return {"name": self.name, "inner_optimizer": serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from hoarfrost.optimizers.lookup import deserialize
        config = dict(config)
        inner = deserialize(config.pop("inner_optimizer"), custom_objects)
        return cls(inner, **config)
