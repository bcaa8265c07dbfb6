"""The second user report (a tf.keras 2.1 notebook), ported by changing imports.

Only the import lines differ (and the version printout names hoarfrost). On
hoarfrost every case does what the notebook's author expected: a layer frozen
before *or after* compile is 'not updated', and the summary counts 65 = 33 + 32,
never 97 or 130.
"""
import hoarfrost
print("hoarfrost version is", hoarfrost.__version__)

from hoarfrost.models import Model, Sequential
from hoarfrost.layers import Dense, Input
import numpy as np


def make_model(functional=False):
    if functional:
        x = Input((3,))
        y = Dense(7)(x)
        y = Dense(4)(y)
        y = Dense(1)(y)
        model = Model(inputs=x, outputs=y)
        return model
    else:
        model = Sequential([
            Dense(7, input_dim=3),
            Dense(4),
            Dense(1)
        ])
    return model


def compile_model(model):
    model.compile(loss="mse", optimizer="adam")


def train_model(model, batchsize=1):
    x = np.random.randn(batchsize, 3)
    y = np.random.randn(batchsize, 1)
    model.train_on_batch(x, y)


def check_weight_update(model, operation):
    w1 = {w.name: w.numpy() for w in model.weights}
    operation(model)
    w2 = {w.name: w.numpy() for w in model.weights}
    for i, name in enumerate(w1):
        if np.allclose(w1[name], w2[name]):
            print("weight %d (%s)\tnot updated" % (i, name))
        else:
            print("weight %d (%s)\tupdated" % (i, name))


# Case 1: set whole model as not trainable, then compile
def operation(model):
    model.trainable = False
    compile_model(model)
    model.summary()
    train_model(model)


model = make_model()
check_weight_update(model, operation)
model = make_model(functional=True)
check_weight_update(model, operation)


# Case 2: set a specific layer as not trainable, then compile
def operation(model):
    model.layers[1].trainable = False
    compile_model(model)
    model.summary()
    train_model(model)


model = make_model()
check_weight_update(model, operation)


def operation(model):
    # change the index because functional model includes input layer at top
    model.layers[2].trainable = False
    compile_model(model)
    model.summary()
    train_model(model)


model = make_model(functional=True)
check_weight_update(model, operation)

# Note: modifying trainable does not change the order of `model.weights`
model = make_model()
for w in model.weights:
    print(w.name)
print("")
model.layers[1].trainable = False
for w in model.weights:
    print(w.name)


# Case 3: compile model, then set whole model as not trainable
def operation(model):
    compile_model(model)
    model.trainable = False
    model.summary()
    train_model(model)


model = make_model()
check_weight_update(model, operation)
model = make_model(functional=True)
check_weight_update(model, operation)


# Case 4: compile model, then set a specific layer as not trainable
def operation(model):
    compile_model(model)
    model.layers[1].trainable = False
    model.summary()
    train_model(model)


model = make_model()
check_weight_update(model, operation)


def operation(model):
    compile_model(model)
    model.layers[2].trainable = False
    model.summary()
    train_model(model)


model = make_model(functional=True)
check_weight_update(model, operation)
