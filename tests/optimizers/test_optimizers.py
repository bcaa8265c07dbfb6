"""Optimizers against NumPy transcriptions of Keras 3's `update_step`s.

References (keras-team/keras, keras/src/optimizers/): sgd.py, adam.py,
adamw.py (Adam + the base optimizer's decoupled weight decay
`w -= w * weight_decay * lr`, applied before the step), rmsprop.py,
adagrad.py. Each reference runs in float64; hoarfrost runs
`Optimizer.stateless_update` jitted in float32, as the training step does.
Tolerance after 3 steps: rtol=1e-5, atol=1e-6 (weights and gradients of order 1).
The same optimizers against Keras itself: `test_equals_keras` (fixture).
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from hoarfrost import Sequential, layers, optimizers
from hoarfrost.variables import Variable
from tests.optimizers.keras_fixture import check_case

RTOL, ATOL = 1e-5, 1e-6
SHAPES = [(3, 4), (4,), ()]


# --- NumPy references (Keras 3) --------------------------------------------------------------
class KerasSGD:
    def __init__(self, lr=0.01, momentum=0.0, nesterov=False, weight_decay=None):
        self.lr, self.momentum, self.nesterov, self.wd = lr, momentum, nesterov, weight_decay

    def init(self, w):
        return {"m": np.zeros_like(w)}

    def step(self, w, g, s, t):
        lr = self.lr(t) if callable(self.lr) else self.lr
        if self.wd:
            w = w - w * self.wd * lr
        if self.momentum == 0:
            return w - lr * g
        s["m"] = s["m"] * self.momentum - g * lr
        if self.nesterov:
            return w + (s["m"] * self.momentum - g * lr)
        return w + s["m"]


class KerasAdam:
    def __init__(self, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 weight_decay=None):
        self.lr, self.b1, self.b2, self.eps = lr, beta_1, beta_2, epsilon
        self.amsgrad, self.wd = amsgrad, weight_decay

    def init(self, w):
        return {"m": np.zeros_like(w), "v": np.zeros_like(w), "v_hat": np.zeros_like(w)}

    def step(self, w, g, s, t):
        lr = self.lr
        if self.wd:
            w = w - w * self.wd * lr
        local_step = t + 1
        alpha = lr * np.sqrt(1 - self.b2 ** local_step) / (1 - self.b1 ** local_step)
        s["m"] = s["m"] + (g - s["m"]) * (1 - self.b1)
        s["v"] = s["v"] + (np.square(g) - s["v"]) * (1 - self.b2)
        v = s["v"]
        if self.amsgrad:
            s["v_hat"] = v = np.maximum(s["v_hat"], s["v"])
        return w - s["m"] * alpha / (np.sqrt(v) + self.eps)


class KerasRMSprop:
    def __init__(self, lr=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
        self.lr, self.rho, self.momentum, self.eps, self.centered = (
            lr, rho, momentum, epsilon, centered)

    def init(self, w):
        return {"v": np.zeros_like(w), "mom": np.zeros_like(w), "avg": np.zeros_like(w)}

    def step(self, w, g, s, t):
        rho = self.rho
        s["v"] = rho * s["v"] + (1 - rho) * np.square(g)
        if self.centered:
            s["avg"] = rho * s["avg"] + (1 - rho) * g
            denominator = s["v"] - np.square(s["avg"]) + self.eps
        else:
            denominator = s["v"] + self.eps
        increment = self.lr * g / np.sqrt(denominator)
        if self.momentum > 0:
            s["mom"] = self.momentum * s["mom"] + increment
            return w - s["mom"]
        return w - increment


class KerasAdagrad:
    def __init__(self, lr=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
        self.lr, self.init_value, self.eps = lr, initial_accumulator_value, epsilon

    def init(self, w):
        return {"acc": np.full_like(w, self.init_value)}

    def step(self, w, g, s, t):
        s["acc"] = s["acc"] + np.square(g)
        return w - self.lr * g / np.sqrt(s["acc"] + self.eps)


CASES = {
    "sgd": (lambda: optimizers.SGD(0.1), KerasSGD(0.1)),
    "sgd_momentum": (lambda: optimizers.SGD(0.1, momentum=0.9), KerasSGD(0.1, 0.9)),
    "sgd_nesterov": (lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
                     KerasSGD(0.1, 0.9, nesterov=True)),
    "sgd_weight_decay": (lambda: optimizers.SGD(0.1, momentum=0.5, weight_decay=0.05),
                         KerasSGD(0.1, 0.5, weight_decay=0.05)),
    "adam": (lambda: optimizers.Adam(0.01), KerasAdam(0.01)),
    "adam_amsgrad": (lambda: optimizers.Adam(0.01, beta_1=0.8, amsgrad=True),
                     KerasAdam(0.01, beta_1=0.8, amsgrad=True)),
    "adamw": (lambda: optimizers.AdamW(0.01), KerasAdam(0.01, weight_decay=0.004)),
    "adamw_strong_decay": (lambda: optimizers.AdamW(0.01, weight_decay=0.5),
                           KerasAdam(0.01, weight_decay=0.5)),
    "rmsprop": (lambda: optimizers.RMSprop(0.01), KerasRMSprop(0.01)),
    "rmsprop_momentum_centered": (
        lambda: optimizers.RMSprop(0.01, rho=0.8, momentum=0.5, centered=True),
        KerasRMSprop(0.01, rho=0.8, momentum=0.5, centered=True)),
    "rmsprop_momentum": (lambda: optimizers.RMSprop(0.01, momentum=0.9),
                         KerasRMSprop(0.01, momentum=0.9)),
    "adagrad": (lambda: optimizers.Adagrad(0.1), KerasAdagrad(0.1)),
    "adagrad_zero_init": (lambda: optimizers.Adagrad(0.1, initial_accumulator_value=0.0),
                          KerasAdagrad(0.1, initial_accumulator_value=0.0)),
}


def rate_argument(optimizer):
    """What the training step passes as the traced learning rate."""
    rate = optimizer.learning_rate
    return rate.value if isinstance(rate, Variable) else jnp.asarray(rate, jnp.float32)


def run_hoarfrost(optimizer, weights, grads_per_step):
    variables = [Variable(w, name=f"w{i}") for i, w in enumerate(weights)]
    values = [v.value for v in variables]
    state = optimizer.gather_slots(variables)
    update = jax.jit(optimizer.stateless_update)
    history = []
    for grads in grads_per_step:
        values, state = update([jnp.asarray(g) for g in grads], values, state,
                               rate_argument(optimizer))
        history.append([np.asarray(v) for v in values])
    return history


def run_reference(reference, weights, grads_per_step):
    ws = [np.asarray(w, np.float64) for w in weights]
    states = [reference.init(w) for w in ws]
    history = []
    for step, grads in enumerate(grads_per_step):
        ws = [reference.step(w, np.asarray(g, np.float64), s, step)
              for w, g, s in zip(ws, grads, states)]
        history.append([w.copy() for w in ws])
    return history


def random_problem(seed, steps=3):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=s).astype("float32") for s in SHAPES]
    grads = [[rng.normal(size=s).astype("float32") for s in SHAPES] for _ in range(steps)]
    return weights, grads


@pytest.mark.parametrize("case", sorted(CASES))
def test_three_steps_match_keras(case):
    make, reference = CASES[case]
    weights, grads = random_problem(seed=sorted(CASES).index(case))
    ours = run_hoarfrost(make(), weights, grads)
    theirs = run_reference(reference, weights, grads)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for i, (x, y) in enumerate(zip(a, b)):
            assert x.dtype == np.float32
            np.testing.assert_allclose(x, y, rtol=RTOL, atol=ATOL,
                                       err_msg=f"{case}: step {step}, weight {i}")
    # Every step moved every weight (the comparison is not vacuous).
    assert all(not np.array_equal(x, w) for x, w in zip(ours[0], weights))


@pytest.mark.parametrize("case", ["sgd", "sgd_nesterov", "adam", "adam_amsgrad", "adamw",
                                  "rmsprop", "adagrad"])
def test_equals_keras(case):
    """Six steps, Keras's `optimizer.variables` (paths, order, values) and `iterations`
    (fixture: tools/keras_fixtures/optimizers.py)."""
    check_case(case)


def test_the_former_pure_apply_still_works():
    """`apply(grads, values, slots, learning_rate, iterations)`: the engine's old call."""
    optimizer = optimizers.SGD(0.1, momentum=0.9)
    w = Variable(np.ones(2, "float32"), name="w")
    values, slots = optimizer.apply([jnp.ones(2)], [w.value], [optimizer.slots_for(w)],
                                    jnp.float32(0.1), jnp.int32(0))
    np.testing.assert_allclose(values[0], 0.9)
    np.testing.assert_allclose(slots[0]["momentum"], -0.1)


def test_keras_defaults():
    assert optimizers.SGD().learning_rate.numpy() == np.float32(0.01)
    adam = optimizers.Adam()
    assert (float(adam.learning_rate), adam.beta_1, adam.beta_2, adam.epsilon) == (
        pytest.approx(0.001), 0.9, 0.999, 1e-7)
    assert optimizers.AdamW().weight_decay == 0.004
    rms = optimizers.RMSprop()
    assert (float(rms.learning_rate), rms.rho, rms.momentum, rms.epsilon) == (
        pytest.approx(0.001), 0.9, 0.0, 1e-7)
    ada = optimizers.Adagrad()
    assert (float(ada.learning_rate), ada.initial_accumulator_value, ada.epsilon) == (
        pytest.approx(0.001), 0.1, 1e-7)


# --- learning rates --------------------------------------------------------------------------
def linear_problem(seed=0, n=8):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)).astype("float32"), rng.normal(size=(n, 1)).astype("float32")


def linear_model(optimizer):
    model = Sequential([layers.Dense(1, input_dim=3, use_bias=False)])
    model.compile(optimizer, "mse")
    return model


def mse_grad(kernel, x, y):
    """d/dW of mean((xW - y)^2) over the batch."""
    return 2.0 / len(x) * x.T @ (x @ kernel - y)


def train_step_delta(model, x, y):
    """Run one train_on_batch; return (kernel before, applied update, gradient)."""
    before = model.get_weights()[0].astype(np.float64)
    model.train_on_batch(x, y)
    after = model.get_weights()[0].astype(np.float64)
    return before, before - after, mse_grad(before, x.astype(np.float64), y)


def test_schedule_is_evaluated_at_iterations():
    schedule = optax.exponential_decay(0.1, transition_steps=1, decay_rate=0.5)
    optimizer = optimizers.SGD(learning_rate=schedule)
    np.testing.assert_allclose(optimizer.learning_rate, 0.1, rtol=1e-6)
    model = linear_model(optimizer)
    x, y = linear_problem()
    for step in range(3):
        assert int(optimizer.iterations.numpy()) == step
        np.testing.assert_allclose(optimizer.learning_rate, 0.1 * 0.5 ** step, rtol=1e-6)
        _, delta, grad = train_step_delta(model, x, y)
        np.testing.assert_allclose(delta, 0.1 * 0.5 ** step * grad, rtol=1e-4, atol=1e-7)
    assert model.trace_counts["train"] == 1


def test_schedule_through_apply():
    schedule = optax.piecewise_constant_schedule(0.2, {2: 0.1})
    optimizer = optimizers.SGD(learning_rate=schedule)
    weights, grads = random_problem(seed=3)
    ours = run_hoarfrost(optimizer, weights, grads)
    rates = [0.2, 0.2, 0.02]
    expected = [np.asarray(w, np.float64) for w in weights]
    for step in range(3):
        expected = [w - rates[step] * np.asarray(g, np.float64)
                    for w, g in zip(expected, grads[step])]
        for a, b in zip(ours[step], expected):
            np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


def test_setting_a_float_rate_changes_the_next_step():
    optimizer = optimizers.SGD(learning_rate=0.1)
    model = linear_model(optimizer)
    x, y = linear_problem()
    _, delta, grad = train_step_delta(model, x, y)
    np.testing.assert_allclose(delta, 0.1 * grad, rtol=1e-4, atol=1e-7)
    optimizer.learning_rate = 0.5
    assert float(optimizer.learning_rate) == 0.5
    _, delta, grad = train_step_delta(model, x, y)
    np.testing.assert_allclose(delta, 0.5 * grad, rtol=1e-4, atol=1e-7)
    assert model.trace_counts["train"] == 1  # a new rate is data, not a new program


def test_setting_a_float_on_a_schedule_raises():
    schedule = optax.constant_schedule(0.3)
    optimizer = optimizers.Adam(learning_rate=schedule)
    with pytest.raises(TypeError, match="schedule"):
        optimizer.learning_rate = 0.5
    np.testing.assert_allclose(optimizer.learning_rate, 0.3)


def test_replacing_a_float_rate_by_a_schedule_applies():
    optimizer = optimizers.SGD(learning_rate=0.1)
    model = linear_model(optimizer)
    x, y = linear_problem()
    train_step_delta(model, x, y)
    optimizer.learning_rate = optax.constant_schedule(0.0)
    before, delta, _ = train_step_delta(model, x, y)
    np.testing.assert_array_equal(delta, 0.0)


def test_momentum_with_a_changing_rate_matches_keras():
    schedule = optax.piecewise_constant_schedule(0.1, {1: 0.1})  # 0.1, then 0.01
    weights, grads = random_problem(seed=5)
    ours = run_hoarfrost(optimizers.SGD(schedule, momentum=0.9), weights, grads)
    theirs = run_reference(KerasSGD(lambda t: 0.1 if t < 1 else 0.01, 0.9), weights, grads)
    for a, b in zip(ours[-1], theirs[-1]):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


# --- slots ---------------------------------------------------------------------------------
def test_reset_slots():
    optimizer = optimizers.Adam(learning_rate=0.01)
    model = linear_model(optimizer)
    x, y = linear_problem()
    model.train_on_batch(x, y)
    model.train_on_batch(x, y)
    kernel = model.layers[0].kernel
    assert int(optimizer.iterations.numpy()) == 2
    assert int(optimizer.slots_for(kernel)["count"]) == 2
    assert np.any(np.asarray(optimizer.slots_for(kernel)["momentum"]) != 0)

    other = Variable(np.zeros(2, "float32"), name="other")
    optimizer.slots_for(other)
    optimizer.reset_slots([kernel])  # only these; the step count stays
    assert not optimizer.has_slots(kernel) and optimizer.has_slots(other)
    assert int(optimizer.iterations.numpy()) == 2

    optimizer.reset_slots()  # everything, and the step count
    assert not optimizer.has_slots(kernel) and not optimizer.has_slots(other)
    assert int(optimizer.iterations.numpy()) == 0
    fresh = optimizer.slots_for(kernel)
    assert int(fresh["count"]) == 0 and not np.any(np.asarray(fresh["momentum"]))

    # The next step is a first Adam step again (bias correction restarts).
    before, delta, grad = train_step_delta(model, x, y)
    reference = KerasAdam(0.01)
    expected = before - reference.step(before, grad, reference.init(before), 0)
    np.testing.assert_allclose(delta, expected, rtol=1e-4, atol=1e-6)


def test_optimizer_names_and_unknown():
    for name, cls in [("Adam", optimizers.Adam), ("adam", optimizers.Adam),
                      ("ADAM", optimizers.Adam), ("sgd", optimizers.SGD),
                      ("RMSprop", optimizers.RMSprop), ("adagrad", optimizers.Adagrad),
                      ("AdamW", optimizers.AdamW)]:
        assert type(optimizers.get(name)) is cls
    with pytest.raises(ValueError, match="'adamm'.*Adam.*SGD"):
        optimizers.get("adamm")


def test_config_round_trip():
    optimizer = optimizers.RMSprop(learning_rate=0.02, rho=0.8, momentum=0.1, centered=True)
    clone = optimizers.RMSprop.from_config(optimizer.get_config())
    assert clone.get_config() == optimizer.get_config()
