# ON MAIN TODAY: finishes, differs from Keras: fine_tune_loss = 0.6931251883506775, Keras
#   0.8174..0.8174 (+-0.05)
"""The `keras.applications` cells of the Keras 3 guides "Transfer learning & fine-tuning"
(guides/transfer_learning.py) and "The Functional API" (its VGG19 feature extraction).

Run on the JAX backend. Substitutions: `weights=None` instead of `"imagenet"` (no download),
so the metrics are the architectures' parameter counts and a short, untrained-backbone fit;
MobileNetV2 (alpha 0.35) at 32x32 stands in for Xception at 150x150 for CPU time, and VGG19
runs at 32x32 without its top instead of 224x224 with it. The data is 256 digits of the
sample shipped with hoarfrost (grey repeated to RGB, resized to 32x32), odd versus even.
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import hoarfrost as keras
from hoarfrost.datasets.mnist import load_sample as mnist_sample

keras.utils.set_random_seed(int(os.environ.get("PORT_SEED", "0")))

# The Functional API: extract and reuse nodes in the graph of layers.
vgg19 = keras.applications.VGG19(weights=None, include_top=False, input_shape=(32, 32, 3))
features_list = [layer.output for layer in vgg19.layers]
feat_extraction_model = keras.Model(inputs=vgg19.input, outputs=features_list)
img = np.random.random((1, 32, 32, 3)).astype("float32")
extracted_features = feat_extraction_model(img)

# Transfer learning: the typical workflow with a keras.applications backbone.
(x_digits, y_digits), _ = mnist_sample()
x = np.repeat(x_digits[:256, :, :, None], 3, axis=-1).astype("float32")
x = np.asarray(keras.layers.Resizing(32, 32)(x))
y = (y_digits[:256] % 2).astype("float32")

base_model = keras.applications.MobileNetV2(
    weights=None, input_shape=(32, 32, 3), include_top=False, alpha=0.35
)
base_model.trainable = False

inputs = keras.Input(shape=(32, 32, 3))
scale_layer = keras.layers.Rescaling(scale=1 / 127.5, offset=-1)
h = scale_layer(inputs)
h = base_model(h, training=False)
h = keras.layers.GlobalAveragePooling2D()(h)
h = keras.layers.Dropout(0.2)(h)
outputs = keras.layers.Dense(1)(h)
model = keras.Model(inputs, outputs)
model.summary(show_trainable=True)
frozen_trainable_params = sum(int(np.prod(w.shape)) for w in model.trainable_weights)

model.compile(
    optimizer=keras.optimizers.Adam(),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy()],
)
top_history = model.fit(x, y, epochs=1, batch_size=64)

base_model.trainable = True
model.compile(
    optimizer=keras.optimizers.Adam(1e-5),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy()],
)
fine_history = model.fit(x, y, epochs=1, batch_size=64)

metrics = {
    "vgg19_params": vgg19.count_params(),
    "vgg19_layers": len(vgg19.layers),
    "vgg19_last_feature_shape": list(extracted_features[-1].shape),
    "mobilenetv2_params": base_model.count_params(),
    "mobilenetv2_layers": len(base_model.layers),
    "frozen_trainable_params": frozen_trainable_params,
    "top_loss": float(top_history.history["loss"][-1]),
    "fine_tune_loss": float(fine_history.history["loss"][-1]),
}
print("METRICS", json.dumps(metrics))
