"""Functional models with several inputs and outputs: per-output losses, loss
weights and metrics (list or dict), Keras 3 log names, shared layers, nested
models. Tiny models and few compilations: the whole file runs in seconds."""

import numpy as np
import pytest

from hoarfrost import Input, Model, layers, optimizers
from hoarfrost.models import load_model

N = 16


def _model():
    """Two inputs, two outputs (`reg`, `cls`); `shared` is called on both inputs and
    the nested model `inner` sits on one branch."""
    a, b = Input((3,), name="in_a"), Input((3,), name="in_b")
    shared = layers.Dense(4, activation="tanh", name="shared")
    i = Input((4,), name="inner_in")
    inner = Model(i, layers.Dense(4, activation="tanh", name="inner_dense")(i), name="inner")
    h = layers.Concatenate(name="concat")([shared(a), inner(shared(b))])
    reg = layers.Dense(1, name="reg")(h)
    cls = layers.Dense(3, activation="softmax", name="cls")(h)
    return Model([a, b], [reg, cls])


def _data(seed=0):
    rng = np.random.default_rng(seed)
    xa, xb = (rng.normal(size=(N, 3)).astype("float32") for _ in range(2))
    y_reg = rng.normal(size=(N, 1)).astype("float32")
    y_cls = rng.integers(0, 3, size=(N,)).astype("int32")
    return xa, xb, y_reg, y_cls


def _set_fixed_weights(model, seed=1):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32")
                       for w in model.get_weights()])


# Log names and evaluate() order measured by running keras 3.15.1 (KERAS_BACKEND=jax) on
# the same two-output model, outputs named "reg" and "cls".
KERAS_KEYS_PER_OUTPUT_METRICS = {"loss", "reg_loss", "cls_loss", "reg_mae", "cls_accuracy"}
KERAS_EVALUATE_ORDER = ["loss", "reg_loss", "cls_loss", "cls_accuracy", "reg_mae"]
KERAS_KEYS_WEIGHTED = {"loss", "reg_loss", "cls_loss", "reg_mae", "cls_accuracy",
                       "reg_weighted_mae", "cls_weighted_accuracy"}
KERAS_KEYS_ONE_LOSS = {"loss", "reg_mae", "cls_accuracy"}  # loss=["mse", None]: no per-output loss
KERAS_DICT_OUTPUTS_ORDER = ["loss", "zz_loss", "aa_loss", "aa_accuracy"]  # outputs {"zz", "aa"}
# model.metrics_names, as Keras 3.15: the loss tracker, the compiled metrics as one
# (`compile_metrics`), then each output's loss tracker.
KERAS_METRICS_NAMES = ["loss", "compile_metrics", "reg_loss", "cls_loss"]


def test_list_then_dict_losses_train_with_keras_log_names():
    model = _model()
    xa, xb, y_reg, y_cls = _data()
    model.compile(optimizer="adam", loss=["mse", "sparse_categorical_crossentropy"],
                  loss_weights=[0.5, 2.0], metrics=[["mae"], ["accuracy"]])
    before = model.get_weights()
    history = model.fit([xa, xb], [y_reg, y_cls], epochs=2, batch_size=8, verbose=0)
    assert set(history.history) == KERAS_KEYS_PER_OUTPUT_METRICS
    assert all(np.isfinite(v).all() for v in history.history.values())
    assert not any(np.array_equal(p, q) for p, q in zip(before, model.get_weights()))
    results = model.evaluate([xa, xb], (y_reg, y_cls), batch_size=N, verbose=0)
    logs = model.evaluate([xa, xb], [y_reg, y_cls], batch_size=N, verbose=0, return_dict=True)
    assert model.metrics_names == KERAS_METRICS_NAMES
    assert [m.name for m in model.metrics[1].metrics] == ["reg_mae", "cls_accuracy"]
    assert results == [logs[name] for name in KERAS_EVALUATE_ORDER]
    # `compile_metrics` routes each output to its metrics, as Keras's (a custom step's
    # `metric.update_state(y, y_pred)` relies on it).
    container = model.metrics[1]
    container.reset_state()
    container.update_state([y_reg, y_cls], model.predict([xa, xb], batch_size=N, verbose=0))
    assert {k: float(v) for k, v in container.result().items()} == pytest.approx(
        {k: logs[k] for k in ("reg_mae", "cls_accuracy")}, rel=1e-5)
    # the same by name: losses, weights, targets and inputs as dicts
    model.compile(optimizer="adam", loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                  loss_weights={"reg": 0.5, "cls": 2.0},
                  metrics={"reg": "mae", "cls": ["accuracy"]})
    history = model.fit({"in_a": xa, "in_b": xb}, {"reg": y_reg, "cls": y_cls}, epochs=1,
                        batch_size=8, verbose=0)
    assert set(history.history) == KERAS_KEYS_PER_OUTPUT_METRICS


def test_compiled_loss_is_the_weighted_sum_of_output_losses():
    model = _model()
    _set_fixed_weights(model)
    xa, xb, y_reg, y_cls = _data()
    weight = np.linspace(0.0, 2.0, N).astype("float32")
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0),
                  loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  loss_weights={"reg": 0.25, "cls": 3.0}, metrics=[["mae"], ["accuracy"]])
    logs = model.evaluate([xa, xb], [y_reg, y_cls], sample_weight={"reg": weight},
                          batch_size=N, verbose=0, return_dict=True)
    p_reg, p_cls = model.predict([xa, xb], verbose=0)
    reg_loss = np.sum(weight * np.mean((p_reg - y_reg) ** 2, axis=-1)) / N  # sum_over_batch_size
    cls_loss = np.mean(-np.log(p_cls[np.arange(N), y_cls]))  # no weights for "cls"
    np.testing.assert_allclose(logs["reg_loss"], reg_loss, rtol=1e-5)
    np.testing.assert_allclose(logs["cls_loss"], cls_loss, rtol=1e-5)
    np.testing.assert_allclose(logs["loss"], 0.25 * reg_loss + 3.0 * cls_loss, rtol=1e-5)
    # `metrics` ignore sample weights (Keras 3)
    np.testing.assert_allclose(logs["reg_mae"], np.mean(np.abs(p_reg - y_reg)), rtol=1e-5)
    assert logs["cls_accuracy"] == pytest.approx(np.mean(p_cls.argmax(-1) == y_cls))
    # the training step computes the same total (learning rate 0: nothing moves)
    train = model.train_on_batch([xa, xb], [y_reg, y_cls], sample_weight=[weight, None],
                                 return_dict=True)
    np.testing.assert_allclose(train["loss"], logs["loss"], rtol=1e-5)


def test_weighted_metrics_and_outputs_without_loss_are_named_as_keras(tmp_path):
    model = _model()
    xa, xb, y_reg, y_cls = _data()
    model.compile(optimizer="sgd", loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  loss_weights=[2.0, 1.0], metrics=[["mae"], ["accuracy"]],
                  weighted_metrics={"reg": "mae", "cls": ["accuracy"]})
    logs = model.evaluate([xa, xb], [y_reg, y_cls], batch_size=N, verbose=0, return_dict=True)
    assert set(logs) == KERAS_KEYS_WEIGHTED
    assert logs["reg_mae"] == logs["reg_weighted_mae"]  # no sample weights: the same
    model.save(tmp_path / "two.keras")  # the per-output compile settings come back
    loaded = load_model(tmp_path / "two.keras")
    assert loaded.evaluate([xa, xb], [y_reg, y_cls], batch_size=N, verbose=0,
                           return_dict=True) == logs
    model.compile(optimizer="sgd", loss=["mse", None], metrics=[["mae"], ["accuracy"]])
    logs = model.evaluate([xa, xb], [y_reg, y_cls], batch_size=N, verbose=0, return_dict=True)
    assert set(logs) == KERAS_KEYS_ONE_LOSS


def test_dict_of_outputs_uses_its_keys():
    a = Input((3,), name="in_a")
    h = layers.Dense(4, name="trunk")(a)
    model = Model(a, {"zz": layers.Dense(1, name="r")(h),
                      "aa": layers.Dense(3, activation="softmax", name="c")(h)})
    xa, _, y_reg, y_cls = _data()
    model.compile(optimizer="sgd", loss={"zz": "mse", "aa": "sparse_categorical_crossentropy"},
                  metrics={"aa": "accuracy"})
    results = model.evaluate(xa, {"zz": y_reg, "aa": y_cls}, batch_size=N, verbose=0)
    logs = model.evaluate(xa, {"zz": y_reg, "aa": y_cls}, batch_size=N, verbose=0,
                          return_dict=True)
    assert model.metrics_names == ["loss", "compile_metrics", "zz_loss", "aa_loss"]
    assert results == [logs[name] for name in KERAS_DICT_OUTPUTS_ORDER]


def test_frozen_branch_stays_bit_identical_under_fit():
    model = _model()
    xa, xb, y_reg, y_cls = _data()
    model.compile(optimizer="adam", loss=["mse", "sparse_categorical_crossentropy"],
                  loss_weights=[1.0, 0.5])
    model.get_layer("inner").trainable = False  # after compile: the next step honours it
    model.get_layer("reg").trainable = False
    frozen = [w for name in ("inner_dense", "reg") for w in model.get_layer(name).weights]
    moving = model.get_layer("shared").weights + model.get_layer("cls").weights
    frozen_before = [w.numpy().copy() for w in frozen]
    moving_before = [w.numpy().copy() for w in moving]
    model.fit([xa, xb], [y_reg, y_cls], epochs=2, batch_size=8, verbose=0)
    assert all(np.array_equal(w.numpy(), v) for w, v in zip(frozen, frozen_before))
    assert not any(np.array_equal(w.numpy(), v) for w, v in zip(moving, moving_before))


def test_shared_layer_has_one_set_of_variables_and_nested_names_resolve():
    model = _model()
    shared = model.get_layer("shared")
    assert [layer.name for layer in model.layers].count("shared") == 1
    assert len(shared.weights) == 2 and len(shared._inbound_nodes) == 2
    assert [w.name for w in model.weights].count("shared/kernel") == 1
    # shared 3*4+4, inner 4*4+4, reg 8+1, cls 8*3+3
    assert model.count_params() == 16 + 20 + 9 + 27
    assert len(model.weights) == 8
    inner = model.get_layer("inner")
    assert model.get_layer("inner_dense") is inner.get_layer("inner_dense")
    assert model.output_names == ["reg", "cls"]


def test_mistakes_name_the_output_and_what_was_expected():
    model = _model()
    with pytest.raises(ValueError, match=r"\['foo'\] are not output names.*\['cls'\] have no"):
        model.compile(optimizer="sgd", loss={"reg": "mse", "foo": "mse"})
    with pytest.raises(ValueError, match=r"list of 3 losses for a model with 2 outputs "
                                         r"\['reg', 'cls'\]"):
        model.compile(optimizer="sgd", loss=["mse"] * 3)
    with pytest.raises(ValueError, match=r"loss_weights.*keys \['foo'\] are not output names"):
        model.compile(optimizer="sgd", loss="mse", loss_weights={"foo": 1.0})
    with pytest.raises(ValueError, match=r"metrics.*list of 1 entry for a model with 2 outputs"):
        model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.compile(optimizer="sgd", loss=["mse", "sparse_categorical_crossentropy"])
    xa, xb, y_reg, y_cls = _data()
    with pytest.raises(ValueError, match=r"`y` holds 1 array, but the model has 2 outputs"):
        model.fit([xa, xb], [y_reg], verbose=0)
    with pytest.raises(ValueError, match=r"`y` has keys \['foo'\] that are not output names"):
        model.fit([xa, xb], {"reg": y_reg, "foo": y_cls}, verbose=0)
    with pytest.raises(ValueError, match=r"no target for output 'cls' \(it has loss "
                                         r"'sparse_categorical_crossentropy'\)"):
        model.fit([xa, xb], {"reg": y_reg}, verbose=0)
    with pytest.raises(ValueError, match=r"`y\['cls'\]` holds 5"):
        model.fit([xa, xb], [y_reg, y_cls + 5], verbose=0)
    with pytest.raises(ValueError, match=r"single array of shape \(16, 1\)"):
        model.fit([xa, xb], y_reg, verbose=0)
    with pytest.raises(ValueError, match=r"class_weight.*2 outputs"):
        model.fit([xa, xb], [y_reg, y_cls], class_weight={0: 1.0}, verbose=0)


def test_a_loss_dict_naming_some_outputs_as_keras():
    """Keras 3.15 checks a loss dict when it first trains: outputs given as a dict may be
    left out (no loss for them); for a list of outputs fit raises (compile did not)."""
    a = Input((3,), name="in_a")
    h = layers.Dense(4, name="trunk")(a)
    keyed = Model(a, {"zz": layers.Dense(1, name="r")(h),
                      "aa": layers.Dense(3, activation="softmax", name="c")(h)})
    xa, xb, y_reg, y_cls = _data()
    keyed.compile(optimizer="sgd", loss={"aa": "sparse_categorical_crossentropy"})
    history = keyed.fit(xa, {"zz": y_reg, "aa": y_cls}, batch_size=N, verbose=0)
    assert list(history.history) == ["loss"]  # one loss: no per-output trackers (Keras)
    listed = _model()
    listed.compile(optimizer="sgd", loss={"cls": "sparse_categorical_crossentropy"})
    with pytest.raises(ValueError, match=r"\['reg'\] have no entry"):
        listed.fit([xa, xb], [y_reg, y_cls], verbose=0)
