"""keras-io example "Text classification with Transformer", ported by changing its imports.

The program is `text_classification_transformer.py` beside this file (synthetic IMDB-format
reviews; in CI its PORT_SMALL cut: 400 training and 200 validation reviews); its Keras twin
is tools/guide_ports/keras/text_classification_transformer.py. It subclasses `layers.Layer`
(a Transformer block holding MultiHeadAttention, a Sequential feed-forward net,
LayerNormalization and Dropout; token and position Embeddings) and trains the functional
model around them. The parameter count must equal Keras's; the trained figures must land
in Keras's band over seeds.
"""

from tests.programs.harness import Band, assert_like_keras, run_program

# Keras 3.15, JAX backend, PORT_SMALL=1, seeds 0, 1, 2, 3, 4
# (tools/guide_ports/keras_reference/text_classification_transformer.small.json)
KERAS = {
    'params': 654558,
    'train_accuracy': Band(0.9967, 1.0000, 0.0500),
    'val_accuracy': Band(0.8700, 0.8950, 0.0500),
    'val_loss': Band(0.2489, 0.3321, 0.0917),
}


def test_text_classification_transformer_example_trains_as_on_keras(tmp_path, monkeypatch):
    assert_like_keras(run_program("text_classification_transformer", tmp_path, monkeypatch), KERAS)
