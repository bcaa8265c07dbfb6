"""A model's own steps (Keras 3's JAX form) under a distribution, on 2 virtual CPU devices.

Run by tests/engine/test_custom_steps.py in a subprocess, with
`XLA_FLAGS=--xla_force_host_platform_device_count=2` set before JAX starts.
Prints one line `RESULT <json>`; the test asserts on it.
"""

from __future__ import annotations

import json
import sys

import jax
import jax.numpy as jnp
import numpy as np

import hoarfrost as keras
from hoarfrost import distribution as dist
from hoarfrost import layers

N, FEATURES, BATCH = 64, 6, 16  # 4 full batches: 2 compiled calls of 2 steps per epoch
BATCH_SHARDINGS: list = []  # [rows per device, devices] of each batch a train_step traced


class OwnSteps(keras.Sequential):
    """`train_step(self, state, data)` and `test_step(self, state, data)` as Keras's JAX
    guide writes them; `predict_step(self, data)` in the stateful form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [self.loss_tracker]

    def _loss(self, trainable, non_trainable, x, y, training):
        y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x,
                                                    training=training)
        return jnp.mean(jnp.square(y_pred - y)), non_trainable

    def train_step(self, state, data):
        trainable, non_trainable, optimizer_variables, metrics_variables = state
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        jax.debug.inspect_array_sharding(
            x, callback=lambda sharding: BATCH_SHARDINGS.append(
                [list(sharding.shard_shape(x.shape)), len(sharding.device_set)]))
        (loss, non_trainable), grads = jax.value_and_grad(self._loss, has_aux=True)(
            trainable, non_trainable, x, y, True)
        trainable, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, grads, trainable)
        metrics_variables = self.loss_tracker.stateless_update_state(metrics_variables, loss)
        logs = {"loss": self.loss_tracker.stateless_result(metrics_variables)}
        return logs, (trainable, non_trainable, optimizer_variables, metrics_variables)

    def test_step(self, state, data):
        trainable, non_trainable, metrics_variables = state
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        loss, _ = self._loss(trainable, non_trainable, x, y, False)
        metrics_variables = self.loss_tracker.stateless_update_state(metrics_variables, loss)
        logs = {"loss": self.loss_tracker.stateless_result(metrics_variables)}
        return logs, (trainable, non_trainable, metrics_variables)

    def predict_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self(x, training=False) * 2.0


def model():
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    built = OwnSteps([keras.Input(shape=(FEATURES,)), layers.Dense(8, use_bias=False, name="base"),
                      layers.BatchNormalization(name="norm"), layers.Dense(1, name="head")])
    built.compile(optimizer=keras.optimizers.Adam(0.01), steps_per_execution=2)
    return built


def numpy(tree):
    return jax.tree.map(np.asarray, tree)


def max_diff(a, b) -> float:
    return max(float(np.max(np.abs(np.asarray(u) - np.asarray(v))))
               for u, v in zip(jax.tree.leaves(a), jax.tree.leaves(b)))


def run(x, y, freeze: bool = True) -> dict:
    """Fit (all trainable), then freeze `base` and `norm` and fit again; evaluate, predict."""
    m = model()
    m.fit(x, y, batch_size=BATCH, shuffle=False, verbose=0)
    out = {"model": m, "first": numpy(m.get_weights())}
    if not freeze:
        return out
    base, norm = m.get_layer("base"), m.get_layer("norm")
    base.trainable = norm.trainable = False
    frozen = base.weights + norm.weights
    values = numpy([w.value for w in frozen])
    slots = [numpy(m.optimizer.slots_for(w)) for w in base.weights]
    head = np.asarray(m.get_layer("head").kernel.value)
    m.fit(x, y, batch_size=BATCH, shuffle=False, verbose=0)
    out.update(
        frozen_equal=all(np.array_equal(v, np.asarray(w.value)) for v, w in zip(values, frozen)),
        slots_equal=all(np.array_equal(a, np.asarray(b)) for s, w in zip(slots, base.weights)
                        for a, b in zip(jax.tree.leaves(s),
                                        jax.tree.leaves(m.optimizer.slots_for(w)))),
        head_changed=not np.array_equal(head, np.asarray(m.get_layer("head").kernel.value)),
        second=numpy(m.get_weights()),
        eval=m.evaluate(x, y, batch_size=BATCH, verbose=0),
        predict=m.predict(x, batch_size=BATCH, verbose=0),
        traces=dict(m.trace_counts))
    return out


def spec(array) -> str:
    return str(array.sharding.spec)


def main() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, FEATURES)).astype("float32")
    y = (x[:, :1] - x[:, 1:2]).astype("float32")
    out: dict = {"devices": jax.device_count()}

    ref = run(x, y)

    # DataParallel: each batch split over the 2 devices, variables replicated.
    dist.set_distribution(dist.DataParallel(jax.devices()[:2]))
    BATCH_SHARDINGS.clear()
    dp = run(x, y)
    m = dp["model"]
    out["dp"] = {key: max_diff(dp[key], ref[key]) for key in ("first", "second", "predict")}
    out["dp"]["eval"] = abs(dp["eval"] - ref["eval"])
    out["dp"].update({key: dp[key] for key in ("frozen_equal", "slots_equal", "head_changed",
                                               "traces")})
    out["dp"]["ref_traces"] = ref["traces"]
    out["dp"]["batch_shardings"] = BATCH_SHARDINGS[:]
    out["dp"]["kernel_devices"] = len(m.get_layer("head").kernel.value.sharding.device_set)
    out["dp"]["kernel_spec"] = spec(m.get_layer("head").kernel.value)

    # ModelParallel (Keras's form): base's kernel split over 'model'.
    mesh = dist.DeviceMesh((1, 2), ["data", "model"], jax.devices()[:2])
    layout = dist.LayoutMap(mesh)
    layout["base/kernel"] = (None, "model")
    dist.set_distribution(dist.ModelParallel(layout_map=layout, batch_dim_name="data"))
    BATCH_SHARDINGS.clear()
    mp = run(x, y, freeze=False)
    m = mp["model"]
    kernel = m.get_layer("base").kernel
    out["mp"] = {"first": max_diff(mp["first"], ref["first"]),
                 "kernel_spec": spec(kernel.value),
                 "kernel_shards": sorted({tuple(s.data.shape)
                                          for s in kernel.value.addressable_shards}),
                 "slot_specs": sorted({spec(leaf) for leaf in jax.tree.leaves(
                     m.optimizer.slots_for(kernel)) if np.ndim(leaf) == 2}),
                 "head_spec": spec(m.get_layer("head").kernel.value),
                 "batch_shardings": BATCH_SHARDINGS[:]}
    dist.set_distribution(None)
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
