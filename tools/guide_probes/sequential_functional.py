"""Sequential + Functional API guides, tiny sizes."""
import os, sys
import numpy as np
if os.environ.get("IMPL") == "keras":
    import keras
    from keras import layers, ops
else:
    import hoarfrost as keras
    from hoarfrost import layers, ops

def out(*a):
    print("OUT", *a)

keras.utils.set_random_seed(0)
# --- Sequential ---
model = keras.Sequential([
    layers.Dense(2, activation="relu", name="layer1"),
    layers.Dense(3, activation="relu", name="layer2"),
    layers.Dense(4, name="layer3"),
])
x = ops.ones((3, 3))
y = model(x)
out("seq call", tuple(y.shape), len(model.layers), len(model.weights))
model = keras.Sequential()
model.add(layers.Dense(2, activation="relu"))
model.add(layers.Dense(3, activation="relu"))
model.add(layers.Dense(4))
model.pop()
out("pop", len(model.layers))
model = keras.Sequential(name="my_sequential")
model.add(layers.Dense(2, activation="relu", name="layer1"))
out("weights before build", model.weights)
model.build((None, 4))
out("weights after build", len(model.weights), model.name)
model = keras.Sequential()
model.add(keras.Input(shape=(4,)))
model.add(layers.Dense(2, activation="relu"))
out("input layer in layers", len(model.layers))
model.summary()
model = keras.Sequential()
model.add(keras.Input(shape=(250, 250, 3)))
model.add(layers.Conv2D(32, 5, strides=2, activation="relu"))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.MaxPooling2D(3))
out("conv out", model.output_shape)
model.add(layers.GlobalMaxPooling2D())
model.add(layers.Dense(10))
initial_model = keras.Sequential([
    keras.Input(shape=(25, 25, 3)),
    layers.Conv2D(4, 5, strides=2, activation="relu"),
    layers.Conv2D(4, 3, activation="relu", name="my_intermediate_layer"),
    layers.Conv2D(4, 3, activation="relu"),
])
feature_extractor = keras.Model(inputs=initial_model.inputs,
                                outputs=[layer.output for layer in initial_model.layers])
features = feature_extractor(np.ones((1, 25, 25, 3), "float32"))
out("features", [tuple(f.shape) for f in features])
fe2 = keras.Model(inputs=initial_model.inputs,
                  outputs=initial_model.get_layer(name="my_intermediate_layer").output)
out("fe2", tuple(fe2(np.ones((1, 25, 25, 3), "float32")).shape))

# --- Functional ---
inputs = keras.Input(shape=(784,))
out("input", inputs.shape, inputs.dtype)
dense = layers.Dense(8, activation="relu")
x = dense(inputs)
x = layers.Dense(8, activation="relu")(x)
outputs = layers.Dense(10)(x)
model = keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")
out("params", model.count_params(), model.name)
xt = np.random.default_rng(0).random((64, 784)).astype("float32")
yt = np.random.default_rng(1).integers(0, 10, 64)
model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              optimizer=keras.optimizers.RMSprop(), metrics=["accuracy"])
history = model.fit(xt, yt, batch_size=16, epochs=2, validation_split=0.25, verbose=0)
out("history keys", sorted(history.history), len(history.history["loss"]))
test_scores = model.evaluate(xt, yt, verbose=0)
out("evaluate", type(test_scores).__name__, len(test_scores))
# autoencoder, models as layers
encoder_input = keras.Input(shape=(28, 28, 1), name="img")
x = layers.Conv2D(4, 3, activation="relu")(encoder_input)
x = layers.Conv2D(4, 3, activation="relu")(x)
x = layers.MaxPooling2D(3)(x)
x = layers.Conv2D(4, 3, activation="relu")(x)
x = layers.Conv2D(4, 3, activation="relu")(x)
encoder_output = layers.GlobalMaxPooling2D()(x)
encoder = keras.Model(encoder_input, encoder_output, name="encoder")
decoder_input = keras.Input(shape=(4,), name="encoded_img")
x = layers.Reshape((2, 2, 1))(decoder_input)
x = layers.Conv2DTranspose(4, 3, activation="relu")(x)
x = layers.Conv2DTranspose(4, 3, activation="relu")(x)
x = layers.UpSampling2D(3)(x)
x = layers.Conv2DTranspose(4, 3, activation="relu")(x)
decoder_output = layers.Conv2DTranspose(1, 3, activation="relu")(x)
decoder = keras.Model(decoder_input, decoder_output, name="decoder")
autoencoder_input = keras.Input(shape=(28, 28, 1), name="img")
encoded_img = encoder(autoencoder_input)
decoded_img = decoder(encoded_img)
autoencoder = keras.Model(autoencoder_input, decoded_img, name="autoencoder")
out("autoencoder", autoencoder.output_shape, [l.name for l in autoencoder.layers])
# ensembling
def get_model():
    inputs = keras.Input(shape=(128,))
    outputs = layers.Dense(1)(inputs)
    return keras.Model(inputs, outputs)
m1, m2, m3 = get_model(), get_model(), get_model()
inputs = keras.Input(shape=(128,))
outputs = layers.average([m1(inputs), m2(inputs), m3(inputs)])
ensemble_model = keras.Model(inputs=inputs, outputs=outputs)
out("ensemble", ensemble_model.count_params())
# multi-input multi-output
num_tags, num_words, num_departments = 12, 100, 4
title_input = keras.Input(shape=(None,), name="title")
body_input = keras.Input(shape=(None,), name="body")
tags_input = keras.Input(shape=(num_tags,), name="tags")
title_features = layers.Embedding(num_words, 8)(title_input)
body_features = layers.Embedding(num_words, 8)(body_input)
title_features = layers.LSTM(8)(title_features)
body_features = layers.LSTM(4)(body_features)
x = layers.concatenate([title_features, body_features, tags_input])
priority_pred = layers.Dense(1, name="priority")(x)
department_pred = layers.Dense(num_departments, name="department")(x)
model = keras.Model(inputs=[title_input, body_input, tags_input],
                    outputs={"priority": priority_pred, "department": department_pred})
model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
              loss={"priority": keras.losses.BinaryCrossentropy(from_logits=True),
                    "department": keras.losses.CategoricalCrossentropy(from_logits=True)},
              loss_weights={"priority": 1.0, "department": 0.2})
title_data = np.random.randint(num_words, size=(32, 10))
body_data = np.random.randint(num_words, size=(32, 20))
tags_data = np.random.randint(2, size=(32, num_tags)).astype("float32")
priority_targets = np.random.random(size=(32, 1))
dept_targets = np.random.randint(2, size=(32, num_departments))
h = model.fit({"title": title_data, "body": body_data, "tags": tags_data},
              {"priority": priority_targets, "department": dept_targets},
              epochs=2, batch_size=8, verbose=0)
out("mimo keys", sorted(h.history))
p = model.predict({"title": title_data, "body": body_data, "tags": tags_data}, verbose=0)
out("mimo predict", type(p).__name__, sorted(p) if isinstance(p, dict) else [a.shape for a in p])
# toy resnet
inputs = keras.Input(shape=(32, 32, 3), name="img")
x = layers.Conv2D(4, 3, activation="relu")(inputs)
x = layers.Conv2D(8, 3, activation="relu")(x)
block_1_output = layers.MaxPooling2D(3)(x)
x = layers.Conv2D(8, 3, activation="relu", padding="same")(block_1_output)
x = layers.Conv2D(8, 3, activation="relu", padding="same")(x)
block_2_output = layers.add([x, block_1_output])
x = layers.Conv2D(8, 3, activation="relu")(block_2_output)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dense(8, activation="relu")(x)
x = layers.Dropout(0.5)(x)
outputs = layers.Dense(10)(x)
model = keras.Model(inputs, outputs, name="toy_resnet")
out("resnet params", model.count_params())
model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
              loss=keras.losses.CategoricalCrossentropy(from_logits=True), metrics=["acc"])
xs = np.random.random((16, 32, 32, 3)).astype("float32")
ys = keras.utils.to_categorical(np.random.randint(0, 10, 16), 10)
h = model.fit(xs[:12], ys[:12], batch_size=4, epochs=1, validation_split=0.25, verbose=0)
out("resnet keys", sorted(h.history))
# shared layer, extract and reuse nodes
shared_embedding = layers.Embedding(1000, 16)
text_input_a = keras.Input(shape=(None,), dtype="int32")
text_input_b = keras.Input(shape=(None,), dtype="int32")
encoded_input_a = shared_embedding(text_input_a)
encoded_input_b = shared_embedding(text_input_b)
out("shared", tuple(encoded_input_a.shape), len(shared_embedding.weights))
# custom layer with get_config
class CustomDense(layers.Layer):
    def __init__(self, units=32):
        super().__init__()
        self.units = units
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)
    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b
    def get_config(self):
        return {"units": self.units}
inputs = keras.Input((4,))
outputs = CustomDense(10)(inputs)
model = keras.Model(inputs, outputs)
config = model.get_config()
new_model = keras.Model.from_config(config, custom_objects={"CustomDense": CustomDense})
out("from_config", new_model.output_shape, len(new_model.weights))
