"""The first user report (keras-team/keras, 8 Mar 2019), ported by changing imports.

Only the import lines differ from the report, plus one fallback: when the full
MNIST download cannot be reached, it says so and trains on the real
8,000/2,000-digit sample shipped with hoarfrost. On hoarfrost it prints
'the weights did not change!!!', as its author expected.
"""
from hoarfrost.layers import Dense, Flatten
from hoarfrost.utils import to_categorical
from hoarfrost.models import Sequential, load_model
from hoarfrost.datasets import mnist
from hoarfrost.losses import categorical_crossentropy

import numpy as np


def _mnist():
    # The one addition to the report's program: an offline fallback that says so.
    try:
        return mnist.load_data()
    except Exception as error:  # no network and no cached copy
        print(f"mnist.load_data() failed ({type(error).__name__}); using the shipped real "
              "sample from mnist.load_sample() (8,000 train / 2,000 test digits).")
        return mnist.load_sample()


def load_data():
    (x_train, y_train), (x_test, y_test) = _mnist()
    x_train = x_train.astype('float32')
    x_test = x_test.astype('float32')
    x_train /= 255
    x_test /= 255
    y_train = to_categorical(y_train, num_classes=10)
    y_test = to_categorical(y_test, num_classes=10)
    return x_train, y_train, x_test, y_test


def run():
    x_train, y_train, x_test, y_test = load_data()
    model = Sequential([Flatten(input_shape=(28, 28)),
                        Dense(300, name='dense1', activation='relu'),
                        Dense(100, name='dense2', activation='relu'),
                        Dense(10, name='dense3', activation='softmax')])
    model.trainable = True
    model.compile(optimizer='Adam',
                  metrics=['accuracy'],
                  loss=categorical_crossentropy)

    print(model.summary())
    model.fit(x_train, y_train, epochs=5, verbose=2)
    print(model.evaluate(x_test, y_test))
    return model


def freeze(model):
    x_train, y_train, x_test, y_test = load_data()
    name = 'dense1'
    weightsAndBias = model.get_layer(name=name).get_weights()
    # freeze the weights of this layer
    model.get_layer(name=name).trainable = False
    # record the weights before retrain
    weights_before = weightsAndBias[0]
    # retrain
    model.fit(x_train, y_train, verbose=2, epochs=1)
    weights_after = model.get_layer(name=name).get_weights()[0]
    if (weights_before == weights_after).all():
        print('the weights did not change!!!')
    else:
        print('the weights changed!!!!')


if __name__ == '__main__':
    model = run()
    freeze(model)
