"""keras-io example "Simple MNIST convnet", ported by changing its imports only.

The program is `mnist_convnet.py` beside this file (in CI its PORT_SMALL cut: 600 training
and 500 test digits, 3 epochs); its Keras twin is tools/guide_ports/keras/mnist_convnet.py.
The parameter count must equal Keras's; the trained figures must land in Keras's band over
seeds.
"""

from tests.programs.harness import Band, assert_like_keras, run_program

# Keras 3.15, JAX backend, PORT_SMALL=1, seeds 0, 1, 2, 3, 4
# (tools/guide_ports/keras_reference/mnist_convnet.small.json)
KERAS = {
    'params': 34826,
    'test_accuracy': Band(0.7860, 0.8160, 0.0500),
    'test_loss': Band(0.6067, 0.6816, 0.0824),
    'val_accuracy': Band(0.8100, 0.8500, 0.0500),
}


def test_mnist_convnet_example_trains_as_on_keras(tmp_path, monkeypatch):
    assert_like_keras(run_program("mnist_convnet", tmp_path, monkeypatch), KERAS)
