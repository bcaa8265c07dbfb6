"""Keras 3 guide "The Sequential model", ported by changing its imports only.

The program is `sequential_model.py` beside this file; its Keras twin is
tools/guide_ports/keras/sequential_model.py. It trains nothing: every figure it prints
(layer and weight counts, summary output shapes, parameter counts, feature-extractor
shapes) must equal Keras's.
"""

from tests.programs.harness import assert_like_keras, run_program

# Keras 3.15, JAX backend, seeds 0, 1, 2 (tools/guide_ports/keras_reference/sequential_model.json)
KERAS = {
    'all_feature_shapes': [[1, 123, 123, 32], [1, 121, 121, 32], [1, 119, 119, 32]],
    'debug_model_params': 49002,
    'intermediate_feature_shape': [1, 121, 121, 32],
    'layers_after_pop': 2,
    'layers_with_input': 1,
    'model_weights_after_call': 6,
    'shape_after_block_1': [None, 40, 40, 32],
    'shape_after_block_3': [None, 4, 4, 32],
    'weights_after_call': 2,
    'weights_before_call': 0,
}


def test_sequential_model_guide_runs_as_on_keras(tmp_path, monkeypatch):
    assert_like_keras(run_program("sequential_model", tmp_path, monkeypatch), KERAS)
