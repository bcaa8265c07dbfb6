"""Port of the Keras 3 guide "The Sequential model" (keras-io guides/sequential_model.py).

Run on the JAX backend. No data and no training in the guide; the metrics are the layer
and weight counts and output shapes it prints.
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import hoarfrost as keras
from hoarfrost import layers
from hoarfrost import ops

keras.utils.set_random_seed(int(os.environ.get("PORT_SEED", "0")))

# A Sequential model and the function it is equivalent to.
model = keras.Sequential(
    [
        layers.Dense(2, activation="relu", name="layer1"),
        layers.Dense(3, activation="relu", name="layer2"),
        layers.Dense(4, name="layer3"),
    ]
)
x = ops.ones((3, 3))
y = model(x)

layer1 = layers.Dense(2, activation="relu", name="layer1")
layer2 = layers.Dense(3, activation="relu", name="layer2")
layer3 = layers.Dense(4, name="layer3")
x = ops.ones((3, 3))
y = layer3(layer2(layer1(x)))

# Creating a Sequential model: a list of layers, or add() one at a time; pop() removes.
model = keras.Sequential(
    [
        layers.Dense(2, activation="relu"),
        layers.Dense(3, activation="relu"),
        layers.Dense(4),
    ]
)
model.layers

model = keras.Sequential()
model.add(layers.Dense(2, activation="relu"))
model.add(layers.Dense(3, activation="relu"))
model.add(layers.Dense(4))
model.pop()
layers_after_pop = len(model.layers)
print(layers_after_pop)  # 2

model = keras.Sequential(name="my_sequential")
model.add(layers.Dense(2, activation="relu", name="layer1"))
model.add(layers.Dense(3, activation="relu", name="layer2"))
model.add(layers.Dense(4, name="layer3"))

# Weights are created on the first call.
layer = layers.Dense(3)
weights_before_call = len(layer.weights)
x = ops.ones((1, 4))
y = layer(x)
weights_after_call = len(layer.weights)

model = keras.Sequential(
    [
        layers.Dense(2, activation="relu"),
        layers.Dense(3, activation="relu"),
        layers.Dense(4),
    ]
)
x = ops.ones((1, 4))
y = model(x)
print("Number of weights after calling the model:", len(model.weights))  # 6
model_weights_after_call = len(model.weights)
model.summary()

# Specifying the input shape in advance.
model = keras.Sequential()
model.add(keras.Input(shape=(4,)))
model.add(layers.Dense(2, activation="relu"))
model.summary()
layers_with_input = len(model.layers)

# The add() + summary() debugging workflow.
model = keras.Sequential()
model.add(keras.Input(shape=(250, 250, 3)))
model.add(layers.Conv2D(32, 5, strides=2, activation="relu"))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.MaxPooling2D(3))
model.summary()
shape_after_block_1 = list(model.layers[-1].output.shape)

model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.MaxPooling2D(3))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.MaxPooling2D(2))
model.summary()
shape_after_block_3 = list(model.layers[-1].output.shape)

model.add(layers.GlobalMaxPooling2D())
model.add(layers.Dense(10))
debug_model_params = model.count_params()

# Feature extraction with a Sequential model.
initial_model = keras.Sequential(
    [
        keras.Input(shape=(250, 250, 3)),
        layers.Conv2D(32, 5, strides=2, activation="relu"),
        layers.Conv2D(32, 3, activation="relu"),
        layers.Conv2D(32, 3, activation="relu"),
    ]
)
feature_extractor = keras.Model(
    inputs=initial_model.inputs,
    outputs=[layer.output for layer in initial_model.layers],
)
x = ops.ones((1, 250, 250, 3))
features = feature_extractor(x)
all_feature_shapes = [list(f.shape) for f in features]

initial_model = keras.Sequential(
    [
        keras.Input(shape=(250, 250, 3)),
        layers.Conv2D(32, 5, strides=2, activation="relu"),
        layers.Conv2D(32, 3, activation="relu", name="my_intermediate_layer"),
        layers.Conv2D(32, 3, activation="relu"),
    ]
)
feature_extractor = keras.Model(
    inputs=initial_model.inputs,
    outputs=initial_model.get_layer(name="my_intermediate_layer").output,
)
x = ops.ones((1, 250, 250, 3))
features = feature_extractor(x)

metrics = {
    "layers_after_pop": layers_after_pop,
    "weights_before_call": weights_before_call,
    "weights_after_call": weights_after_call,
    "model_weights_after_call": model_weights_after_call,
    "layers_with_input": layers_with_input,
    "shape_after_block_1": shape_after_block_1,
    "shape_after_block_3": shape_after_block_3,
    "debug_model_params": debug_model_params,
    "all_feature_shapes": all_feature_shapes,
    "intermediate_feature_shape": list(features.shape),
}
print("METRICS", json.dumps(metrics))
