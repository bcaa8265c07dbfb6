# ON MAIN TODAY: PASS: finishes, metrics within Keras's band
"""Port of the keras-io example "Image similarity estimation using a Siamese Network with a
contrastive loss" (examples/vision/siamese_contrastive.py).

Run on the JAX backend. Substitution: MNIST is the digit sample shipped with hoarfrost; pairs
are made from 1,000 training, 500 validation and 500 test digits (instead of 30,000 /
30,000 / 10,000), and training runs 3 epochs instead of 10. Omitted: the matplotlib
displays. The pairs are drawn with Python's `random`, seeded by `set_random_seed`.
"""

import json
import os
import random

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import hoarfrost as keras
from hoarfrost import ops
from hoarfrost.datasets.mnist import load_sample as mnist_sample

keras.utils.set_random_seed(int(os.environ.get("PORT_SEED", "0")))

epochs = 3
batch_size = 16
margin = 1

(x_train_val, y_train_val), (x_test, y_test) = mnist_sample()
x_train_val = x_train_val.astype("float32")
x_test = x_test.astype("float32")[:500]
y_test = y_test[:500]

x_train, x_val = x_train_val[:1000], x_train_val[1000:1500]
y_train, y_val = y_train_val[:1000], y_train_val[1000:1500]
del x_train_val, y_train_val


def make_pairs(x, y):
    """Creates a tuple containing image pairs with corresponding label."""
    num_classes = max(y) + 1
    digit_indices = [np.where(y == i)[0] for i in range(num_classes)]

    pairs = []
    labels = []

    for idx1 in range(len(x)):
        x1 = x[idx1]
        label1 = y[idx1]
        idx2 = random.choice(digit_indices[label1])
        x2 = x[idx2]

        pairs += [[x1, x2]]
        labels += [0]

        label2 = random.randint(0, num_classes - 1)
        while label2 == label1:
            label2 = random.randint(0, num_classes - 1)

        idx2 = random.choice(digit_indices[label2])
        x2 = x[idx2]

        pairs += [[x1, x2]]
        labels += [1]

    return np.array(pairs), np.array(labels).astype("float32")


pairs_train, labels_train = make_pairs(x_train, y_train)
pairs_val, labels_val = make_pairs(x_val, y_val)
pairs_test, labels_test = make_pairs(x_test, y_test)

x_train_1 = pairs_train[:, 0]
x_train_2 = pairs_train[:, 1]
x_val_1 = pairs_val[:, 0]
x_val_2 = pairs_val[:, 1]
x_test_1 = pairs_test[:, 0]
x_test_2 = pairs_test[:, 1]


def euclidean_distance(vects):
    """Find the Euclidean distance between two vectors."""
    x, y = vects
    sum_square = ops.sum(ops.square(x - y), axis=1, keepdims=True)
    return ops.sqrt(ops.maximum(sum_square, keras.backend.epsilon()))


input = keras.layers.Input((28, 28, 1))
x = keras.layers.BatchNormalization()(input)
x = keras.layers.Conv2D(4, (5, 5), activation="tanh")(x)
x = keras.layers.AveragePooling2D(pool_size=(2, 2))(x)
x = keras.layers.Conv2D(16, (5, 5), activation="tanh")(x)
x = keras.layers.AveragePooling2D(pool_size=(2, 2))(x)
x = keras.layers.Flatten()(x)

x = keras.layers.BatchNormalization()(x)
x = keras.layers.Dense(10, activation="tanh")(x)
embedding_network = keras.Model(input, x)

input_1 = keras.layers.Input((28, 28, 1))
input_2 = keras.layers.Input((28, 28, 1))

tower_1 = embedding_network(input_1)
tower_2 = embedding_network(input_2)

merge_layer = keras.layers.Lambda(euclidean_distance, output_shape=(1,))(
    [tower_1, tower_2]
)
normal_layer = keras.layers.BatchNormalization()(merge_layer)
output_layer = keras.layers.Dense(1, activation="sigmoid")(normal_layer)
siamese = keras.Model(inputs=[input_1, input_2], outputs=output_layer)


def loss(margin=1):
    """Provides 'contrastive_loss' an enclosing scope with variable 'margin'."""

    def contrastive_loss(y_true, y_pred):
        square_pred = ops.square(y_pred)
        margin_square = ops.square(ops.maximum(margin - (y_pred), 0))
        return ops.mean((1 - y_true) * square_pred + (y_true) * margin_square)

    return contrastive_loss


siamese.compile(loss=loss(margin=margin), optimizer="RMSprop", metrics=["accuracy"])
siamese.summary()

history = siamese.fit(
    [x_train_1, x_train_2],
    labels_train,
    validation_data=([x_val_1, x_val_2], labels_val),
    batch_size=batch_size,
    epochs=epochs,
)

results = siamese.evaluate([x_test_1, x_test_2], labels_test)
print("test loss, test acc:", results)
predictions = siamese.predict([x_test_1, x_test_2])

metrics = {
    "params": siamese.count_params(),
    "val_accuracy": float(history.history["val_accuracy"][-1]),
    "test_loss": float(results[0]),
    "test_accuracy": float(results[1]),
    "predictions_shape": list(predictions.shape),
}
print("METRICS", json.dumps(metrics))
