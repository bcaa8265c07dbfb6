"""Learning-rate schedules: Keras's values, used inside the step, saved with the model."""

import json
from pathlib import Path

import numpy as np
import pytest

import hoarfrost
from hoarfrost import layers
from hoarfrost.optimizers import schedules

FIXTURE = json.loads((Path(__file__).parents[1] / "fixtures" / "keras_schedules.json")
                     .read_text())


@pytest.mark.parametrize("case", sorted(FIXTURE["cases"]))
def test_values_equal_keras(case):
    """Recorded with keras 3.15.1 (tools/keras_fixtures/schedules.py) at steps 0..1000."""
    spec = FIXTURE["cases"][case]
    schedule = getattr(schedules, spec["class_name"])(**spec["config"])
    ours = [float(schedule(np.int32(step))) for step in FIXTURE["steps"]]
    np.testing.assert_allclose(ours, spec["values"], rtol=2e-6, atol=1e-9)


def test_rate_seen_by_each_step_and_saved_with_the_model(tmp_path):
    """The compiled step reads the schedule at `iterations`; the optimizer (and a saved,
    reloaded model) reports it; training continues on the same schedule after loading."""
    schedule = schedules.PiecewiseConstantDecay([3, 5], [0.1, 0.01, 0.001])
    model = hoarfrost.Sequential([layers.Dense(1, input_shape=(2,), use_bias=False,
                                               kernel_initializer="zeros")])
    model.compile(optimizer=hoarfrost.optimizers.SGD(schedule), loss="mse")
    x, y = np.ones((1, 2), "float32"), np.ones((1, 1), "float32")
    deltas, rates = [], []
    for _ in range(7):
        rates.append(float(model.optimizer.learning_rate))
        before = model.get_weights()[0].copy()
        model.train_on_batch(x, y)
        # d(mse)/dw = 2 * (w.x - y) * x, so the step is rate * that
        w = before[:, 0]
        deltas.append(float((before - model.get_weights()[0])[0, 0] / (2 * (w.sum() - 1))))
    assert rates == pytest.approx([0.1] * 4 + [0.01] * 2 + [0.001], rel=1e-6)
    np.testing.assert_allclose(deltas, rates, rtol=1e-3)  # float32 differences of weights

    path = tmp_path / "m.keras"
    model.save(path)
    loaded = hoarfrost.models.load_model(path)
    assert isinstance(loaded.optimizer._schedule, schedules.PiecewiseConstantDecay)
    assert loaded.optimizer._schedule.get_config() == schedule.get_config()
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.001)


def test_custom_schedule_round_trips_when_registered():
    @hoarfrost.saving.register_keras_serializable(package="Tests")
    class Halving(schedules.LearningRateSchedule):
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, step):
            return self.rate / (1.0 + step)

        def get_config(self):
            return {"rate": self.rate}

    optimizer = hoarfrost.optimizers.Adam(Halving(0.5))
    again = hoarfrost.optimizers.get({"class_name": "Adam", "config": optimizer.get_config()})
    assert float(again.learning_rate) == 0.5
    assert type(again._schedule).__name__ == "Halving"


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="decay_steps.*received decay_steps=0"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="boundaries of length 2 and values of length 2"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2])
