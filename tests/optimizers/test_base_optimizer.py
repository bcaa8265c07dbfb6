"""The optimizer-state API: the optimizer owns each variable's slots.

What users (and the engine) rely on: a step gathers the slots of the
variables it trains and scatters them back; a snapshot survives later steps
and `restore` puts it back bit for bit; `save_state` / `load_state` round-trip
through a flat dict of arrays keyed by variable path and slot name; nothing
touches the slots of a variable a call does not name.
"""

import functools
import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import hoarfrost
from hoarfrost import Sequential, layers, optimizers
from hoarfrost.optimizers import OptimizerState, keras_rmsprop, keras_sgd, schedules
from hoarfrost.variables import StatelessScope, Variable
from tests.optimizers.keras_fixture import check_case


def trained(optimizer, steps: int = 2):
    """A two-layer model trained `steps` batches with `optimizer`."""
    model = Sequential([layers.Dense(3, input_dim=2, name="a"), layers.Dense(1, name="b")])
    model.compile(optimizer, "mse")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 2)).astype("float32"), rng.normal(size=(4, 1)).astype("float32")
    for _ in range(steps):
        model.train_on_batch(x, y)
    return model, (x, y)


def leaves(state):
    return [np.asarray(leaf) for leaf in jax.tree.leaves(state)]


def test_slot_names_are_keras_names():
    variable = Variable(np.zeros((2, 3), "float32"), name="w")
    names = {
        optimizers.Adam(): {"count", "momentum", "velocity"},
        optimizers.Adam(amsgrad=True): {"count", "momentum", "velocity", "velocity_hat"},
        optimizers.SGD(momentum=0.9): {"momentum"},
        optimizers.SGD(): set(),
        optimizers.RMSprop(momentum=0.5, centered=True):
            {"velocity", "average_gradient", "momentum"},
    }
    for optimizer, expected in names.items():
        assert set(optimizer.slots_for(variable)) == expected, type(optimizer).__name__
        spec = optimizer.slot_spec(variable)
        assert {k: v.shape for k, v in spec.items()} == {
            k: (() if k == "count" else (2, 3)) for k in expected}


def test_gather_makes_missing_slots_and_scatter_takes_results_back():
    optimizer = optimizers.SGD(0.1, momentum=0.9)
    a, b = (Variable(np.ones(n, "float32"), name=f"v{n}") for n in (2, 3))
    state = optimizer.gather_slots([a, b])
    assert isinstance(state, OptimizerState) and state.variables == (a, b)
    assert state.slots[0] is optimizer.slots_for(a)  # the optimizer's own arrays
    new = state.replace(slots=[{"momentum": jnp.full(2, 5.0)}, None],
                        iterations=state.iterations + 7)
    optimizer.scatter_slots(new)
    assert np.array_equal(optimizer.slots_for(a)["momentum"], [5.0, 5.0])
    assert not optimizer.has_slots(b)  # None drops them
    assert int(optimizer.iterations.numpy()) == 7


def test_state_is_a_pytree_for_jit():
    optimizer = optimizers.Adam()
    variable = Variable(np.ones(2, "float32"), name="v")
    state = optimizer.gather_slots([variable])
    doubled = jax.jit(lambda s: jax.tree.map(lambda x: x * 2, s))(state)
    assert doubled.variables == (variable,)
    assert int(doubled.iterations) == 0 and doubled.slots[0].keys() == state.slots[0].keys()


def test_snapshot_survives_training_and_restore_is_bit_identical():
    model, (x, y) = trained(optimizers.Adam(0.01))
    optimizer = model.optimizer
    snapshot = optimizer.snapshot(model.weights)
    saved = leaves(snapshot.slots)
    model.train_on_batch(x, y)  # donates the optimizer's live arrays
    assert all(np.array_equal(a, b) for a, b in zip(leaves(snapshot.slots), saved))
    assert not all(np.array_equal(a, b) for a, b in zip(leaves(optimizer.snapshot(
        model.weights).slots), saved))
    optimizer.restore(snapshot)
    restored = optimizer.snapshot(model.weights)
    assert all(np.array_equal(a, b) for a, b in zip(leaves(restored.slots), saved))
    assert int(restored.iterations) == 2


def test_a_snapshot_restored_and_trained_from_can_be_restored_again():
    """Restoring copies: the next step donates the optimizer's arrays, not the snapshot's
    (trying several runs from one starting point)."""
    model, (x, y) = trained(optimizers.Adam(0.01))
    weights, snapshot = model.get_weights(), model.optimizer.snapshot(model.weights)
    runs = []
    for _ in range(2):
        model.set_weights(weights)
        model.optimizer.restore(snapshot)
        model.train_on_batch(x, y)  # donated the restored arrays
        runs.append(model.get_weights() + leaves(model.optimizer.snapshot(model.weights)))
    assert all(np.array_equal(a, b) for a, b in zip(*runs))


def test_restore_drops_slots_made_after_the_snapshot():
    optimizer = optimizers.Adam()
    old, new = Variable(np.ones(2, "float32"), name="old"), Variable(np.ones(3, "float32"),
                                                                      name="new")
    optimizer.build([old])
    snapshot = optimizer.snapshot([old, new])
    assert snapshot.slots[1] is None
    optimizer.build([new])
    optimizer.restore(snapshot)
    assert optimizer.has_slots(old) and not optimizer.has_slots(new)


def test_restore_rejects_slots_of_another_optimizer():
    variable = Variable(np.ones(2, "float32"), name="dense/kernel")
    sgd, adam = optimizers.SGD(momentum=0.9), optimizers.Adam()
    sgd.build([variable])
    with pytest.raises(ValueError, match=r"Adam\.restore\(\).*'dense/kernel'.*momentum"):
        adam.restore(sgd.snapshot([variable]))
    assert not adam.has_slots(variable)


def test_save_state_keys_and_load_state_round_trip_continues_bit_identically():
    model, (x, y) = trained(optimizers.Adam(0.01))
    arrays = model.optimizer.save_state(model.weights)
    assert sorted(arrays) == sorted(
        ["iterations"] + [f"{path}/{slot}" for path in ("a/kernel", "a/bias", "b/kernel",
                                                        "b/bias")
                          for slot in ("count", "momentum", "velocity")])
    assert np.array_equal(arrays["a/kernel/momentum"],
                          model.optimizer.slots_for(model.weights[0])["momentum"])
    assert arrays["iterations"] == 2

    twin, _ = trained(optimizers.Adam(0.01), steps=0)
    twin.set_weights(model.get_weights())
    twin.optimizer.load_state(arrays, twin.weights)
    assert int(twin.optimizer.iterations.numpy()) == 2
    model.train_on_batch(x, y)
    twin.train_on_batch(x, y)
    for mine, theirs in zip(model.get_weights(), twin.get_weights()):
        assert np.array_equal(mine, theirs)


def test_load_state_checks_everything_first():
    model, _ = trained(optimizers.SGD(0.1, momentum=0.9), steps=1)
    optimizer, weights = model.optimizer, model.weights
    arrays = optimizer.save_state(weights)
    before = leaves(optimizer.snapshot(weights))
    broken = {k: v for k, v in arrays.items() if k != "iterations"}
    with pytest.raises(ValueError, match="no 'iterations'"):
        optimizer.load_state(broken, weights)
    with pytest.raises(ValueError, match=r"'a/kernel/momentum' has shape \(1,\)"):
        optimizer.load_state({**arrays, "a/kernel/momentum": np.zeros(1, "float32")}, weights)
    with pytest.raises(ValueError, match=r"\['c/kernel/momentum'\] match no slot"):
        optimizer.load_state({**arrays, "c/kernel/momentum": np.zeros(1, "float32")}, weights)
    assert all(np.array_equal(a, b) for a, b in zip(leaves(optimizer.snapshot(weights)),
                                                     before))
    # A variable without saved slots has none afterwards: the state is what was saved.
    optimizer.load_state({k: v for k, v in arrays.items() if not k.startswith("b/")},
                         weights)
    assert [optimizer.has_slots(v) for v in weights] == [True, True, False, False]


def test_keras_sgd_and_rmsprop_are_optax_transformations():
    """They compose with Optax (the rate reaches them through `chain`'s extra arguments)."""
    w, g = jnp.asarray([1.0, -2.0]), jnp.asarray([3.0, 0.5])
    for transform, first_update in (
            (keras_sgd(momentum=0.9), -0.1 * jnp.clip(g, -1, 1)),
            (keras_rmsprop(rho=0.9), -0.1 * jnp.clip(g, -1, 1) * jax.lax.rsqrt(
                0.1 * jnp.square(jnp.clip(g, -1, 1)) + 1e-7))):
        chained = optax.chain(optax.clip(1.0), transform)
        state = chained.init(w)
        update, state = chained.update(g, state, w, learning_rate=0.1)
        np.testing.assert_allclose(update, first_update, rtol=1e-6)
        assert np.array_equal(optax.apply_updates(w, update), w + update)


# --- Keras's common arguments ----------------------------------------------------------------
@pytest.mark.parametrize("case", ["weight_decay_sgd", "exclude_from_weight_decay", "clipnorm",
                                  "clipvalue", "global_clipnorm", "ema", "ema_overwrite",
                                  "accumulation", "loss_scale_factor", "schedule_accumulation"])
def test_common_arguments_equal_keras(case):
    """Six steps, the slots, `iterations` and `finalize_variable_values` (EMA) equal to
    Keras's (fixture: tools/keras_fixtures/optimizers.py)."""
    check_case(case)


@pytest.mark.parametrize("kwargs, message", [
    (dict(decay=0.1), "`decay` is not supported"),
    (dict(clipnorm=1.0, clipvalue=0.5), "only one of `clipnorm`, `clipvalue`"),
    (dict(clipvalue=1.0, global_clipnorm=0.5), "only one of"),
    (dict(gradient_accumulation_steps=1), "`gradient_accumulation_steps` must be an integer"),
    (dict(use_ema=True, ema_momentum=1.5), "`ema_momentum` must be in"),
    (dict(use_ema=True, ema_overwrite_frequency=0), "`ema_overwrite_frequency`"),
])
def test_invalid_common_arguments_raise_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optimizers.Adam(**kwargs)


def test_unknown_arguments_raise_and_zero_decay_is_accepted():
    with pytest.raises(TypeError, match=r"Adam: unrecognized arguments \['betas'\]"):
        optimizers.Adam(betas=(0.9, 0.99))
    assert optimizers.SGD(decay=0.0).get_config()["learning_rate"] == np.float32(0.01)


def test_exclude_from_weight_decay_before_the_first_step_only():
    optimizer = optimizers.AdamW(weight_decay=0.5)
    bias = Variable(np.ones(2, "float32"), name="dense/bias")
    kernel = Variable(np.ones(2, "float32"), name="dense/kernel")
    optimizer.exclude_from_weight_decay(var_list=[kernel], var_names=["bias"])
    assert not optimizer._use_weight_decay(kernel) and not optimizer._use_weight_decay(bias)
    optimizer.build([bias])
    with pytest.raises(ValueError, match="before the optimizer has slots"):
        optimizer.exclude_from_weight_decay(var_names=["kernel"])


# --- the contract: frozen means bit-identical, unfreezing resumes ---------------------------
EVERYTHING = dict(weight_decay=0.1, use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=3,
                  gradient_accumulation_steps=2, global_clipnorm=1.0, loss_scale_factor=2.0)
KINDS = {
    "sgd": lambda **kw: optimizers.SGD(0.1, momentum=0.9, nesterov=True, **kw),
    "adam": lambda **kw: optimizers.Adam(0.01, amsgrad=True, **kw),
    "adamw": lambda **kw: optimizers.AdamW(0.01, **{**kw, "weight_decay": 0.2}),
    "rmsprop": lambda **kw: optimizers.RMSprop(0.01, momentum=0.5, centered=True, **kw),
    "adagrad": lambda **kw: optimizers.Adagrad(0.1, **kw),
    "nadam": lambda **kw: optimizers.Nadam(0.01, **kw),
    "adamax": lambda **kw: optimizers.Adamax(0.01, **kw),
    "adadelta": lambda **kw: optimizers.Adadelta(1.0, **kw),
    "ftrl": lambda **kw: optimizers.Ftrl(0.1, l1_regularization_strength=0.01,
                                         l2_regularization_strength=0.01,
                                         l2_shrinkage_regularization_strength=0.01, beta=0.1,
                                         **kw),
    "lion": lambda **kw: optimizers.Lion(0.01, **kw),
    "lamb": lambda **kw: optimizers.Lamb(0.01, **kw),
    "adafactor": lambda **kw: optimizers.Adafactor(0.1, **kw),
    "loss_scale": lambda **kw: optimizers.LossScaleOptimizer(optimizers.Adam(0.01, **kw),
                                                             initial_scale=4.0,
                                                             dynamic_growth_steps=2),
}
CONTRACT = [(kind, "everything") for kind in KINDS] + [("sgd", "plain"), ("adam", "plain")]


def slot_values(optimizer, variable):
    """Every slot leaf of `variable`, and its slot Variables' values."""
    return ([np.asarray(leaf) for leaf in jax.tree.leaves(optimizer.slots_for(variable))]
            + [v.numpy() for v in optimizer.variables
               if getattr(v, "_variable", None) is variable])


@pytest.mark.parametrize("kind, options", CONTRACT)
def test_frozen_variable_and_slots_stay_bit_identical_and_unfreezing_resumes(kind, options):
    """`a` trains, sits out three steps (frozen: not among the variables a step updates),
    then trains again: meanwhile its value and every slot (moments, accumulator, average,
    counts) keep every bit, and its next step is exactly the step from the kept state."""
    make = functools.partial(KINDS[kind], **(EVERYTHING if options == "everything" else {}))
    rng = np.random.default_rng(0)
    a = Variable(rng.normal(size=(2, 3)).astype("float32"), name="a")
    b = Variable(rng.normal(size=3).astype("float32"), name="b")

    def grad(variable):
        return rng.normal(size=variable.shape).astype("float32")

    optimizer = make()
    with jax.disable_jit():
        for _ in range(3):
            optimizer.apply([grad(a), grad(b)], [a, b])
        value, slots = a.numpy(), slot_values(optimizer, a)
        kept = {k: v for k, v in optimizer.save_state([a]).items() if k.startswith("a/")}
        for _ in range(3):
            optimizer.apply([grad(b)], [b])
        assert np.array_equal(a.numpy(), value)
        assert all(np.array_equal(x, y) for x, y in zip(slot_values(optimizer, a), slots))
        # Unfrozen: the same step as an optimizer holding only the kept state takes.
        twin, twin_a = make(), Variable(value, name="a")
        twin.load_state({**optimizer.save_state([]), **kept}, [twin_a])
        step = grad(a)
        optimizer.apply([step], [a])
        twin.apply([step], [twin_a])
    assert np.array_equal(a.numpy(), twin_a.numpy())
    assert all(np.array_equal(x, y) for x, y in zip(slot_values(optimizer, a),
                                                     slot_values(twin, twin_a)))


def test_fit_keeps_a_frozen_layer_and_its_slots_bit_identical_under_every_option():
    optimizer = optimizers.LossScaleOptimizer(optimizers.Nadam(0.01, **EVERYTHING),
                                              initial_scale=8.0)
    model = Sequential([layers.Dense(3, input_dim=2, name="a"), layers.Dense(1, name="b")])
    model.compile(optimizer, "mse")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 2)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    first = model.get_layer("a")
    first.trainable = False
    frozen = [(v.numpy(), slot_values(optimizer, v)) for v in first.weights]
    trained = model.get_layer("b").kernel.numpy()
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    optimizer.finalize_variable_values(model.trainable_weights)  # the end of fit, in Keras
    for variable, (value, slots) in zip(first.weights, frozen):
        assert np.array_equal(variable.numpy(), value)
        assert all(np.array_equal(x, y) for x, y in zip(slot_values(optimizer, variable),
                                                         slots))
    assert not np.array_equal(model.get_layer("b").kernel.numpy(), trained)
    first.trainable = True
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert not np.array_equal(first.kernel.numpy(), frozen[0][0])


# --- Keras's API -----------------------------------------------------------------------------
def test_stateless_apply_in_jit_equals_apply():
    """The compiled pure form and the eager one compute the same steps, bit for bit, with
    the optimizer's own state (a loss scale, a non-finite step among them) and a schedule."""
    rng = np.random.default_rng(1)
    shapes = [(2, 3), (3,)]

    def make():
        inner = optimizers.Adam(schedules.ExponentialDecay(0.1, 2, 0.5), use_ema=True,
                                ema_overwrite_frequency=2, gradient_accumulation_steps=2)
        return optimizers.LossScaleOptimizer(inner, initial_scale=4.0, dynamic_growth_steps=2)

    initial = [rng.normal(size=s).astype("float32") for s in shapes]
    grads = [[rng.normal(size=s).astype("float32") for s in shapes] for _ in range(6)]
    grads[3][1][0] = np.inf
    eager, compiled = make(), make()
    eager_vars = [Variable(w, name=f"w{i}") for i, w in enumerate(initial)]
    compiled_vars = [Variable(w, name=f"w{i}") for i, w in enumerate(initial)]
    compiled.build(compiled_vars)
    values, state = list(initial), compiled.variables  # Variables go into jit as Keras's do
    apply = jax.jit(compiled.stateless_apply)
    for step in grads:
        eager.apply(step, eager_vars)
        values, state = apply(state, step, values)
    assert all(np.array_equal(v.numpy(), w) for v, w in zip(eager_vars, values))
    def slot_paths(optimizer):  # the two optimizers' names differ (adam, adam_1)
        return [v.path.split("/", 1)[1] for v in optimizer.variables]

    assert slot_paths(eager) == slot_paths(compiled)
    assert all(np.array_equal(v.numpy(), s) for v, s in zip(eager.variables, state))
    # The compiled optimizer itself did not move: its state is in `state`.
    assert int(compiled.iterations.numpy()) == 0
    for variable, value in zip(compiled.variables, state):
        variable.assign(value)
    assert int(compiled.iterations.numpy()) == int(eager.iterations.numpy()) == 2


def test_keras_guide_training_loop_in_jax():
    """The optimizer side of Keras's guide "Writing a training loop from scratch in JAX":
    `optimizer.build`, `optimizer.variables` into `jax.jit`, `stateless_apply`, then the
    values assigned back. (The guide's `model.stateless_call` is written out here with a
    StatelessScope.)"""
    inputs = hoarfrost.Input(shape=(4,))
    hidden = layers.Dense(8, activation="relu")(inputs)
    model = hoarfrost.Model(inputs, layers.Dense(3)(hidden))
    loss_fn = hoarfrost.losses.CategoricalCrossentropy(from_logits=True)
    optimizer = optimizers.Adam(learning_rate=1e-2)

    def stateless_call(trainable_variables, non_trainable_variables, x):
        pairs = (list(zip(model.trainable_variables, trainable_variables))
                 + list(zip(model.non_trainable_variables, non_trainable_variables)))
        with StatelessScope(pairs):
            return model(x), non_trainable_variables

    def compute_loss_and_updates(trainable_variables, non_trainable_variables, x, y):
        y_pred, non_trainable_variables = stateless_call(trainable_variables,
                                                         non_trainable_variables, x)
        return loss_fn(y, y_pred), non_trainable_variables

    grad_fn = jax.value_and_grad(compute_loss_and_updates, has_aux=True)

    @jax.jit
    def train_step(state, data):
        trainable_variables, non_trainable_variables, optimizer_variables = state
        x, y = data
        (loss, non_trainable_variables), grads = grad_fn(
            trainable_variables, non_trainable_variables, x, y)
        trainable_variables, optimizer_variables = optimizer.stateless_apply(
            optimizer_variables, grads, trainable_variables)
        return loss, (trainable_variables, non_trainable_variables, optimizer_variables)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = hoarfrost.utils.to_categorical((x[:, 0] > 0).astype("int32") + (x[:, 1] > 0), 3)
    optimizer.build(model.trainable_variables)
    state = ([v.value for v in model.trainable_variables],
             [v.value for v in model.non_trainable_variables], optimizer.variables)
    losses = []
    for _ in range(30):
        loss, state = train_step(state, (x, y))
        losses.append(float(loss))
    trainable_variables, non_trainable_variables, optimizer_variables = state
    for variable, value in zip(model.trainable_variables, trainable_variables):
        variable.assign(value)
    assert losses[-1] < 0.7 * losses[0]
    assert float(loss_fn(y, model(x))) == pytest.approx(losses[-1], rel=0.1)
    assert int(optimizer_variables[0]) == 30


def test_apply_gradients_apply_and_build():
    optimizer = optimizers.SGD(0.5, momentum=0.5)
    a, b = (Variable(np.ones(n, "float32"), name=f"v{n}") for n in (2, 3))
    with pytest.raises(ValueError, match="build the optimizer first"):
        optimizer.apply([np.ones(2, "float32"), np.ones(3, "float32")])
    iterations = optimizer.apply_gradients(zip([np.ones(2, "float32"), np.ones(3, "float32")],
                                               [a, b]))
    assert int(iterations.numpy()) == 1 and optimizer.built
    assert optimizer._trainable_variables == [a, b]
    np.testing.assert_allclose(a.numpy(), 0.5)
    optimizer.apply([np.ones(2, "float32"), np.ones(3, "float32")])  # the built variables
    np.testing.assert_allclose(b.numpy(), 0.5 - 0.75)
    with pytest.warns(UserWarning, match=r"\['v3'\]"):
        optimizer.apply([np.ones(2, "float32"), None], [a, b])
    np.testing.assert_allclose(b.numpy(), -0.25)  # no gradient: untouched
    with pytest.raises(ValueError, match="No gradients"):
        optimizer.apply([None], [a])
    with pytest.raises(ValueError, match="2 gradients for 1 variables"):
        optimizer.apply([np.ones(2, "float32")] * 2, [a])


def test_apply_honours_constraints_and_lr_multipliers():
    optimizer = optimizers.SGD(1.0)
    a = Variable(np.zeros(2, "float32"), name="block/a")
    b = Variable(np.zeros(2, "float32"), name="head/b")
    a.constraint = lambda w: jnp.clip(w, -0.5, 0.5)
    optimizer.lr_multipliers = {"head/*": 0.1}
    optimizer.apply([np.ones(2, "float32"), np.ones(2, "float32")], [a, b])
    np.testing.assert_allclose(a.numpy(), -0.5)
    np.testing.assert_allclose(b.numpy(), -0.1, rtol=1e-6)


def test_optimizer_variables_are_views_of_the_slots():
    optimizer = optimizers.Adam()
    kernel = Variable(np.ones((2, 2), "float32"), name="dense/kernel")
    optimizer.build([kernel])
    variables = optimizer.variables
    assert [v.path for v in variables] == [
        "adam/iteration", "adam/learning_rate", "adam/dense_kernel_momentum",
        "adam/dense_kernel_velocity", "adam/dense_kernel_count"]
    assert all(v is w for v, w in zip(variables, optimizer.variables))  # the same objects
    variables[2].assign(np.full((2, 2), 3.0, "float32"))
    assert np.array_equal(optimizer.slots_for(kernel)["momentum"], np.full((2, 2), 3.0))
    store = {}
    optimizer.save_own_variables(store)
    optimizer.reset_slots()
    optimizer.load_own_variables(store)
    assert np.array_equal(optimizer.slots_for(kernel)["momentum"], np.full((2, 2), 3.0))
    with pytest.raises(ValueError, match="5 optimizer variables"):
        optimizer.set_weights([np.zeros(())])
    with pytest.raises(ValueError, match="`optimizer_variables`.*got 1, expected 5"):
        optimizer.stateless_apply([0], [np.ones((2, 2), "float32")], [kernel.value])


def test_iterations_count_updates_under_gradient_accumulation():
    optimizer = optimizers.SGD(0.1, gradient_accumulation_steps=3)
    w = Variable(np.ones(2, "float32"), name="w")
    for step in range(7):
        optimizer.apply([np.full(2, float(step), "float32")], [w])
    assert int(optimizer.iterations.numpy()) == 2  # 7 steps, 2 updates
    assert int(optimizer.variables[0].numpy()) == 7  # the step count the schedules read
    np.testing.assert_allclose(w.numpy(), 1 - 0.1 * (1.0 + 4.0), rtol=1e-6)  # means 1, 4
    np.testing.assert_allclose(optimizer.slots_for(w)["gradient_accumulator"], 6.0)
    with pytest.raises(TypeError, match="can not be assigned"):
        optimizer.iterations.assign(0)


def test_settings_are_fixed_after_creation_except_the_rate():
    """The update is built from them: a later change would be ignored, so it raises."""
    optimizer = optimizers.Adam(0.01)
    with pytest.raises(AttributeError, match=r"Adam.beta_1 is fixed.*beta_1=0\.5"):
        optimizer.beta_1 = 0.5
    with pytest.raises(AttributeError, match="Adam.clipnorm is fixed"):
        optimizer.clipnorm = 1.0
    optimizer.learning_rate = 0.1
    optimizer.lr_multipliers = {"a/*": 0.5}
    assert float(optimizer.learning_rate) == pytest.approx(0.1)


@pytest.mark.parametrize("rate", [float("nan"), float("inf"), -0.1])
def test_learning_rate_must_be_finite_and_not_negative(rate):
    message = r"Adam \(\w+\): `learning_rate` must be a finite number >= 0 or a schedule; got "
    with pytest.raises(ValueError, match=message + re.escape(repr(rate))):
        optimizers.Adam(rate)
    optimizer = optimizers.Adam(0.01)
    with pytest.raises(ValueError, match=message):
        optimizer.learning_rate = rate
    assert optimizer.learning_rate.numpy() == np.float32(0.01)  # unchanged
    optimizer.learning_rate = 0.0  # a zero rate is a rate (nothing moves)
    assert optimizer.learning_rate.numpy() == 0.0


@pytest.mark.parametrize("factor", [float("nan"), -1.0, "fast", None])
def test_lr_multipliers_must_be_finite_and_not_negative(factor):
    optimizer = optimizers.SGD(1.0)
    with pytest.raises(ValueError, match=r"`lr_multipliers` factors must be finite numbers "
                                         r">= 0; got .* for 'head/\*'"):
        optimizer.lr_multipliers = {"head/*": factor}
    assert optimizer.lr_multipliers == {}
    with pytest.raises(ValueError, match=r"keys are globs on variable paths or compiled "
                                         r"regexes; got the key 3"):
        optimizer.lr_multipliers = {3: 0.5}
    b = Variable(np.zeros(2, "float32"), name="head/b")
    optimizer.lr_multipliers = {"head/*": 0.5}
    optimizer.lr_multipliers["head/*"] = factor  # edited in place: caught when used
    with pytest.raises(ValueError, match=r"got .* for 'head/b'"):
        optimizer.apply([np.ones(2, "float32")], [b])
    assert np.array_equal(b.numpy(), np.zeros(2, "float32"))
    assert int(optimizer.iterations.numpy()) == 0
