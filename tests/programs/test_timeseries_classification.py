"""keras-io example "Timeseries classification from scratch", ported by changing its imports.

The program is `timeseries_classification.py` beside this file (synthetic FordA-format series;
in CI its PORT_SMALL cut: 160 training and 100 test series, 4 epochs); its Keras twin is
tools/guide_ports/keras/timeseries_classification.py. It runs the functional API with
Conv1D/BatchNormalization, the example's three callbacks (ModelCheckpoint keeping the best
`.keras` file, ReduceLROnPlateau, EarlyStopping), `load_model` of that file and `evaluate`;
the trained figures must land in Keras's band over seeds.
"""

from tests.programs.harness import Band, assert_like_keras, run_program

# Keras 3.15, JAX backend, PORT_SMALL=1, seeds 0, 1, 2, 3, 4
# (tools/guide_ports/keras_reference/timeseries_classification.small.json)
KERAS = {
    'best_val_loss': Band(0.6627, 0.6700, 0.0500),
    'test_accuracy': Band(0.5900, 0.9500, 0.3854),
    'test_loss': Band(0.6674, 0.6737, 0.0500),
    'train_accuracy': Band(0.8750, 0.9297, 0.0566),
}


def test_timeseries_classification_example_trains_as_on_keras(tmp_path, monkeypatch):
    assert_like_keras(run_program("timeseries_classification", tmp_path, monkeypatch), KERAS)
