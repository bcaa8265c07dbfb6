"""TimeDistributed, against Keras; a frozen wrapped layer stays frozen."""

import numpy as np
import pytest

from hoarfrost import Input, Model, Sequential, layers, masking
from hoarfrost.layers.wrappers import TimeDistributed
from hoarfrost.saving import load_model

from tests.layers.harness import run_layer_test
from tests.layers.harness_extra import check_named_fixture


def test_harness():
    layer = run_layer_test(TimeDistributed, {"layer": layers.Dense(3)}, (2, 4, 5), (2, 4, 3),
                           18)
    assert [w.path for w in layer.weights] == [w.path for w in layer.layer.weights]


@pytest.mark.parametrize("name,inner", [
    ("td_dense", lambda: layers.Dense(3, activation="tanh")),
    ("td_conv1d", lambda: layers.Conv1D(2, 3)),
])
def test_matches_keras(name, inner):
    check_named_fixture(name, TimeDistributed(inner()))


def test_frozen_inner_layer_stays_frozen_through_fit_and_saving(tmp_path):
    inner = layers.Dense(3, name="per_step")
    inner.trainable = False
    td = TimeDistributed(inner)
    head = layers.Dense(1)
    model = Sequential([Input((4, 5)), td, layers.Flatten(), head])
    model.compile(optimizer="adam", loss="mse")
    assert td.trainable and td.trainable_weights == []
    frozen = [w.numpy() for w in inner.weights]
    kernel = head.kernel.numpy()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 4, 5)).astype("float32")
    model.fit(x, rng.normal(size=(8, 1)).astype("float32"), epochs=2, batch_size=4, verbose=0)
    for before, w in zip(frozen, inner.weights):
        assert np.array_equal(before, w.numpy()), w.path
    assert not np.array_equal(kernel, head.kernel.numpy())

    path = tmp_path / "td.keras"
    model.save(path)
    loaded = load_model(path)
    assert not loaded.layers[0].layer.trainable
    assert loaded.layers[0].trainable_weights == []
    for saved, restored in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(saved, restored)


def test_mask_passes_through():
    tokens = Input((4,), dtype="int32")
    embedded = layers.Embedding(5, 3, mask_zero=True)(tokens)
    model = Model(tokens, TimeDistributed(layers.Dense(2))(embedded))
    out = model(np.array([[1, 2, 0, 0]], np.int32))
    np.testing.assert_array_equal(np.asarray(masking.get_mask(out)), [[True, True, False, False]])


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match="TimeDistributed.*Layer instance.*int"):
        TimeDistributed(3)
    with pytest.raises(ValueError, match=r'"td".*"dense".*rank >= 3.*\(None, 4\)'):
        TimeDistributed(layers.Dense(2), name="td")(Input((4,)))
    with pytest.raises(ValueError, match=r'"td2".*mask.*\(2, 3\).*\(2, 5\)'):
        TimeDistributed(layers.LSTM(2), name="td2")(np.ones((2, 3, 4, 1), np.float32),
                                                     mask=np.ones((2, 5), bool))
