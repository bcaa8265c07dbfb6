"""Record Keras 3's optimizers on a small problem (tests/optimizers/fixtures/keras_optimizers.npz).

    KERAS_BACKEND=jax .venv-keras/bin/python tools/keras_fixtures/optimizers.py

Each case builds one Keras optimizer on four variables (shapes (3, 4), (4,),
(2, 2, 3) and ()), applies six steps of fixed gradients with a jitted
`stateless_apply` (the path Keras's JAX `fit` takes), and records the values
after every step, the optimizer's variables (paths and values) at the end,
`iterations`, the values `finalize_variable_values` leaves (EMA), and the
optimizer's `get_config()`. `defaults/<Class>` holds each class's config with
no arguments (names and defaults).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ["KERAS_BACKEND"] = "jax"
import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tests" / "optimizers" / "fixtures"
O = keras.optimizers
SHAPES = {"k": (3, 4), "b": (4,), "t": (2, 2, 3), "s": ()}
STEPS = 6

# name: (class name, kwargs, extra): extra may hold "exclude" (var_names excluded from weight
# decay), "inner" (the LossScaleOptimizer's inner optimizer: class name, kwargs) and
# "bad" ({step: value} written into variable b's gradient at that step).
CASES = {
    "sgd": ("SGD", dict(learning_rate=0.1), {}),
    "sgd_nesterov": ("SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True), {}),
    "adam": ("Adam", dict(learning_rate=0.01), {}),
    "adam_amsgrad": ("Adam", dict(learning_rate=0.01, beta_1=0.8, amsgrad=True), {}),
    "adamw": ("AdamW", dict(learning_rate=0.01), {}),
    "rmsprop": ("RMSprop", dict(learning_rate=0.01, momentum=0.5, centered=True), {}),
    "adagrad": ("Adagrad", dict(learning_rate=0.1), {}),
    "nadam": ("Nadam", dict(learning_rate=0.01), {}),
    "adamax": ("Adamax", dict(learning_rate=0.01), {}),
    "adadelta": ("Adadelta", dict(learning_rate=1.0), {}),
    "ftrl": ("Ftrl", dict(learning_rate=0.1), {}),
    "ftrl_regularized": ("Ftrl", dict(learning_rate=0.1, learning_rate_power=-0.7,
                                      initial_accumulator_value=0.2,
                                      l1_regularization_strength=0.05,
                                      l2_regularization_strength=0.02,
                                      l2_shrinkage_regularization_strength=0.01, beta=0.3), {}),
    "lion": ("Lion", dict(learning_rate=0.01), {}),
    "lamb": ("Lamb", dict(learning_rate=0.01), {}),
    "adafactor": ("Adafactor", dict(learning_rate=0.05), {}),
    "adafactor_no_relative_step": ("Adafactor", dict(learning_rate=0.5, relative_step=False,
                                                     beta_2_decay=-0.5, clip_threshold=0.5),
                                   {}),
    # The common arguments.
    "weight_decay": ("Lamb", dict(learning_rate=0.01, weight_decay=0.1), {}),
    "weight_decay_sgd": ("SGD", dict(learning_rate=0.1, momentum=0.5, weight_decay=0.05), {}),
    "exclude_from_weight_decay": ("AdamW", dict(learning_rate=0.01, weight_decay=0.3),
                                  {"exclude": ["b"]}),
    "clipnorm": ("Adam", dict(learning_rate=0.01, clipnorm=0.5), {}),
    "clipvalue": ("RMSprop", dict(learning_rate=0.01, clipvalue=0.3), {}),
    "global_clipnorm": ("SGD", dict(learning_rate=0.1, momentum=0.5, global_clipnorm=0.7), {}),
    "ema": ("Adam", dict(learning_rate=0.05, use_ema=True, ema_momentum=0.8), {}),
    "ema_overwrite": ("SGD", dict(learning_rate=0.1, momentum=0.9, use_ema=True,
                                  ema_momentum=0.7, ema_overwrite_frequency=2), {}),
    "accumulation": ("Adam", dict(learning_rate=0.01, gradient_accumulation_steps=3), {}),
    "accumulation_ema": ("Nadam", dict(learning_rate=0.01, gradient_accumulation_steps=2,
                                       use_ema=True, ema_momentum=0.9,
                                       ema_overwrite_frequency=2, clipnorm=1.0), {}),
    "loss_scale_factor": ("SGD", dict(learning_rate=0.1, momentum=0.9, loss_scale_factor=4.0),
                          {}),
    "schedule_accumulation": ("SGD", dict(
        learning_rate={"class_name": "ExponentialDecay",
                       "config": dict(initial_learning_rate=0.1, decay_steps=2, decay_rate=0.5)},
        momentum=0.5, gradient_accumulation_steps=2), {}),
    "loss_scale_optimizer": ("LossScaleOptimizer", dict(initial_scale=8.0,
                                                        dynamic_growth_steps=2),
                             {"inner": ("SGD", dict(learning_rate=0.1, momentum=0.9)),
                              "bad": {2: float("inf")}}),
    "loss_scale_optimizer_adam": ("LossScaleOptimizer", {},
                                  {"inner": ("Adam", dict(learning_rate=0.01)),
                                   "bad": {1: float("nan"), 4: float("-inf")}}),
}


def make(class_name: str, kwargs: dict, extra: dict):
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("learning_rate"), dict):
        spec = kwargs["learning_rate"]
        kwargs["learning_rate"] = getattr(O.schedules, spec["class_name"])(**spec["config"])
    if "inner" in extra:
        kwargs["inner_optimizer"] = make(*extra["inner"], {})
    return getattr(O, class_name)(**kwargs)


def problem(seed: int):
    rng = np.random.default_rng(seed)
    initial = {n: rng.normal(size=s).astype("float32") for n, s in SHAPES.items()}
    grads = [{n: rng.normal(size=s).astype("float32") for n, s in SHAPES.items()}
             for _ in range(STEPS)]
    return initial, grads


def record(name: str, class_name: str, kwargs: dict, extra: dict, data: dict) -> None:
    keras.backend.clear_session()
    initial, grads = problem(seed=sorted(CASES).index(name))
    scale = kwargs.get("loss_scale_factor") or kwargs.get("initial_scale") or 1.0
    if class_name == "LossScaleOptimizer" and "initial_scale" not in kwargs:
        scale = 2.0 ** 15
    for step, value in extra.get("bad", {}).items():
        grads[step]["b"][1] = value
    variables = [keras.Variable(initial[n], name=n) for n in SHAPES]
    optimizer = make(class_name, kwargs, extra)
    if "exclude" in extra:
        optimizer.exclude_from_weight_decay(var_names=extra["exclude"])
    optimizer.build(variables)
    apply = jax.jit(optimizer.stateless_apply)
    values = [v.value for v in variables]
    state = [v.value for v in optimizer.variables]
    after, used = [], []
    for step in range(STEPS):
        # The gradients a scaled loss gives (a loss scale multiplies them).
        scaled = [grads[step][n] * np.float32(scale) for n in SHAPES]
        values, state = apply(state, scaled, values)
        after.append(flat(values))
        used.append(flat(scaled))
    for ref, value in zip(optimizer.variables, state):
        ref.assign(value)
    for variable, value in zip(variables, values):
        variable.assign(value)
    optimizer.finalize_variable_values(variables)
    data[f"{name}/initial"] = flat([initial[n] for n in SHAPES])
    data[f"{name}/grads"] = np.stack(used)
    data[f"{name}/after"] = np.stack(after)
    data[f"{name}/final"] = flat([v.value for v in variables])
    data[f"{name}/slots"] = np.concatenate([np.ravel(np.asarray(v, np.float32)) for v in state])
    data[f"{name}/iterations"] = np.asarray(optimizer.iterations)
    data[f"{name}/meta"] = np.array(json.dumps({
        "class_name": class_name, "kwargs": kwargs, "extra": extra,
        "slot_paths": [v.path for v in optimizer.variables],
        "slot_shapes": [list(np.shape(v)) for v in state],
        "slot_dtypes": [str(np.asarray(v).dtype) for v in state],
        "config": O.serialize(optimizer)}))


def flat(arrays) -> np.ndarray:
    """The variables' values (SHAPES order) as one float32 vector."""
    return np.concatenate([np.ravel(np.asarray(a, np.float32)) for a in arrays])


def main() -> None:
    data = {"steps": np.array(STEPS), "shapes": np.array(json.dumps(SHAPES))}
    for name, (class_name, kwargs, extra) in CASES.items():
        record(name, class_name, kwargs, extra, data)
    for cls in (O.SGD, O.Adam, O.AdamW, O.RMSprop, O.Adagrad, O.Nadam, O.Adamax, O.Adadelta,
                O.Ftrl, O.Lion, O.Lamb, O.Adafactor):
        keras.backend.clear_session()
        data[f"defaults/{cls.__name__}"] = np.array(json.dumps(cls().get_config()))
    keras.backend.clear_session()
    lso = O.LossScaleOptimizer(O.SGD())
    data["defaults/LossScaleOptimizer"] = np.array(json.dumps(lso.get_config()))
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / "keras_optimizers.npz", **data)
    print("wrote", OUT / "keras_optimizers.npz")


if __name__ == "__main__":
    main()
