"""Record Keras 3's learning-rate schedules at chosen steps (tests/fixtures/keras_schedules.json).

    KERAS_BACKEND=jax .venv-keras/bin/python tools/keras_fixtures/schedules.py
"""

import json
import os
from pathlib import Path

os.environ["KERAS_BACKEND"] = "jax"
import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "keras_schedules.json"
S = keras.optimizers.schedules
cases = {
 "exp": (S.ExponentialDecay, dict(initial_learning_rate=0.1, decay_steps=100, decay_rate=0.5)),
 "exp_stair": (S.ExponentialDecay, dict(initial_learning_rate=0.1, decay_steps=100, decay_rate=0.5, staircase=True)),
 "piecewise": (S.PiecewiseConstantDecay, dict(boundaries=[10, 100], values=[1.0, 0.5, 0.1])),
 "poly": (S.PolynomialDecay, dict(initial_learning_rate=0.1, decay_steps=100, end_learning_rate=0.01, power=2.0)),
 "poly_cycle": (S.PolynomialDecay, dict(initial_learning_rate=0.1, decay_steps=100, end_learning_rate=0.01, power=0.5, cycle=True)),
 "inverse": (S.InverseTimeDecay, dict(initial_learning_rate=0.1, decay_steps=100, decay_rate=0.5)),
 "inverse_stair": (S.InverseTimeDecay, dict(initial_learning_rate=0.1, decay_steps=100, decay_rate=0.5, staircase=True)),
 "cosine": (S.CosineDecay, dict(initial_learning_rate=0.1, decay_steps=100, alpha=0.1)),
 "cosine_warmup": (S.CosineDecay, dict(initial_learning_rate=0.0, decay_steps=100, warmup_target=0.2, warmup_steps=20)),
 "restarts": (S.CosineDecayRestarts, dict(initial_learning_rate=0.1, first_decay_steps=30, t_mul=2.0, m_mul=0.5, alpha=0.05)),
 "restarts_t1": (S.CosineDecayRestarts, dict(initial_learning_rate=0.1, first_decay_steps=30, t_mul=1.0)),
}
steps = [0, 1, 5, 10, 11, 19, 20, 29, 30, 31, 89, 90, 99, 100, 101, 150, 250, 1000]
out = {"steps": steps, "cases": {}}
for key, (cls, kwargs) in cases.items():
    schedule = cls(**kwargs)
    out["cases"][key] = {"class_name": cls.__name__, "config": kwargs,
                         "values": [float(np.asarray(schedule(np.int32(t)))) for t in steps]}
OUT.write_text(json.dumps(out, indent=1))
print(f"wrote {OUT}")
