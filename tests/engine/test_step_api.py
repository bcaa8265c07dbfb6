"""Keras's stateless model API, used in a training loop written from scratch (Keras's guide
"Writing a training loop from scratch in JAX", with its imports changed)."""

import jax
import numpy as np

import hoarfrost as keras
from hoarfrost import layers


def test_the_guide_training_loop_with_stateless_call_and_metric_variables():
    inputs = keras.Input(shape=(4,))
    hidden = layers.Dense(16, activation="relu")(inputs)
    model = keras.Model(inputs=inputs, outputs=layers.Dense(3)(hidden))
    optimizer = keras.optimizers.Adam(learning_rate=1e-2)
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)
    train_acc_metric = keras.metrics.CategoricalAccuracy()

    def compute_loss_and_updates(trainable_variables, non_trainable_variables,
                                 metric_variables, x, y):
        y_pred, non_trainable_variables = model.stateless_call(
            trainable_variables, non_trainable_variables, x)
        loss = loss_fn(y, y_pred)
        metric_variables = train_acc_metric.stateless_update_state(metric_variables, y, y_pred)
        return loss, (non_trainable_variables, metric_variables)

    grad_fn = jax.value_and_grad(compute_loss_and_updates, has_aux=True)

    @jax.jit
    def train_step(state, data):
        (trainable_variables, non_trainable_variables, optimizer_variables,
         metric_variables) = state
        x, y = data
        (loss, (non_trainable_variables, metric_variables)), grads = grad_fn(
            trainable_variables, non_trainable_variables, metric_variables, x, y)
        trainable_variables, optimizer_variables = optimizer.stateless_apply(
            optimizer_variables, grads, trainable_variables)
        return loss, (trainable_variables, non_trainable_variables, optimizer_variables,
                      metric_variables)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = keras.utils.to_categorical((x[:, 0] > 0).astype("int32") + (x[:, 1] > 0), 3)
    optimizer.build(model.trainable_variables)
    # As the guide: the Variables themselves go into the jitted step (as their values).
    state = (model.trainable_variables, model.non_trainable_variables, optimizer.variables,
             train_acc_metric.variables)
    losses = []
    for _ in range(40):
        loss, state = train_step(state, (x, y))
        losses.append(float(loss))
    trainable_variables, non_trainable_variables, optimizer_variables, metric_variables = state
    for variable, value in zip(model.trainable_variables, trainable_variables):
        variable.assign(value)
    for variable, value in zip(train_acc_metric.variables, metric_variables):
        variable.assign(value)
    assert losses[-1] < 0.5 * losses[0]
    assert float(loss_fn(y, model(x))) < losses[-2]
    assert 0.5 < float(train_acc_metric.result()) <= 1.0
    assert int(optimizer_variables[0]) == 40
    outputs, non_trainable = model.stateless_call(
        [v.value for v in model.trainable_variables], [], x)
    np.testing.assert_allclose(outputs, model(x), rtol=1e-6)
    assert non_trainable == []
