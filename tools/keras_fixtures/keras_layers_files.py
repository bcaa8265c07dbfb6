"""Keras `.keras` files with the layers hoarfrost shares with Keras, both ways, as fixtures.

Three steps, from the repository root (Keras only in the first and last):

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python \
        keras_layers_files.py                                   # 1. Keras writes
    PYTHONPATH=src .venv/bin/python tools/keras_fixtures/keras_layers_files.py \
        --hoarfrost DIR                                         # 2. hoarfrost re-saves
    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python \
        keras_layers_files.py --check DIR                       # 3. Keras reads it

(`.venv` and `.venv-keras` as in /work/main.) Each model of `MODELS` groups
layers of a family (those keras_files.py's models do not already hold). The
`newer` model is trained two epochs with Adam, so its file carries optimizer
state; the others are saved as built (their random layers are identity when
predicting). Step 1 writes under tests/saving/fixtures/layers/ `<name>.keras`
and `keras_layers.npz` (each model's inputs, predictions and number of
weights). Step 2 loads each in hoarfrost and saves `DIR/<name>.keras` with
hoarfrost's predictions; step 3 loads those in Keras and records in
`keras_reads_hoarfrost_layers.json` the largest difference per model.

Not here: RandomCrop (in inference Keras 3.15 returns its input, hoarfrost resizes as
Keras documents: README), Hashing (hoarfrost hashes on the host, before the compiled model),
StringLookup, IntegerLookup and TextVectorization (Keras saves their
vocabulary as an asset file, which hoarfrost does not read), Lambda (Python
code) and Masking's mask-only effect (covered by keras_files.py's `rnn`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "tests" / "saving" / "fixtures" / "layers"


def newer(keras):
    layers = keras.layers
    seq = keras.Input((5, 4), name="seq")
    x = layers.EinsumDense("abc,cd->abd", output_shape=(5, 4), bias_axes="d",
                           name="einsum")(seq)
    x = layers.GroupNormalization(groups=2, name="groupnorm")(x)
    x = layers.PReLU(name="prelu")(x)
    x = layers.Dropout(0.25, seed=3, name="drop")(x)
    x = layers.RNN(layers.StackedRNNCells([layers.LSTMCell(3), layers.GRUCell(2)]),
                   return_sequences=True, name="stacked")(x)
    x = layers.Bidirectional(layers.RNN(layers.SimpleRNNCell(2)), name="bi")(x)
    vol = keras.Input((3, 3, 3, 1), name="vol")
    v = layers.Conv3D(2, 2, name="conv3d")(vol)
    v = layers.GlobalAveragePooling3D(name="gap3d")(v)
    x = layers.Concatenate(name="concat")([x, v])
    x = layers.RMSNormalization(name="rmsnorm")(x)
    return keras.Model([seq, vol], layers.Dense(2, name="head")(x), name="newer")


def conv1d(keras):
    layers = keras.layers
    inp = keras.Input((8, 3), name="signal")
    x = layers.ZeroPadding1D(1)(inp)
    x = layers.Conv1D(4, 3, dilation_rate=2, activation="relu")(x)
    x = layers.SeparableConv1D(4, 2, depth_multiplier=2)(x)
    x = layers.DepthwiseConv1D(2, depth_multiplier=1, padding="same")(x)
    x = layers.Conv1DTranspose(3, 2, strides=2)(x)
    x = layers.SpatialDropout1D(0.3)(x)
    x = layers.Cropping1D((1, 2))(x)
    x = layers.UpSampling1D(2)(x)
    a = layers.AveragePooling1D(2)(x)
    m = layers.MaxPooling1D(2, padding="same")(x)
    x = layers.Add()([a, m])
    return keras.Model(inp, [layers.GlobalMaxPooling1D()(x),
                             layers.GlobalAveragePooling1D(keepdims=True)(x)], name="conv1d")


def conv2d(keras):
    layers = keras.layers
    inp = keras.Input((6, 6, 2), name="image")
    x = layers.ZeroPadding2D(((1, 0), (0, 1)))(inp)
    x = layers.SeparableConv2D(4, 3, padding="same", activation="tanh")(x)
    x = layers.DepthwiseConv2D(3, depth_multiplier=2)(x)
    x = layers.Conv2DTranspose(3, 2, strides=2, padding="same")(x)
    x = layers.LayerNormalization(axis=-1)(x)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    x = layers.SpatialDropout2D(0.2)(x)
    x = layers.Cropping2D(((1, 1), (2, 0)))(x)
    x = layers.UpSampling2D((1, 2), interpolation="bilinear")(x)
    x = layers.AveragePooling2D(2)(x)
    x = layers.ReLU(max_value=1.5)(x)
    x = layers.ELU()(x)
    x = layers.UnitNormalization()(x)
    y = layers.GlobalMaxPooling2D()(x)
    return keras.Model(inp, layers.Softmax()(layers.Dense(3)(y)), name="conv2d")


def conv3d(keras):
    layers = keras.layers
    inp = keras.Input((4, 4, 4, 1), name="volume")
    x = layers.Conv3DTranspose(2, 2, strides=1)(inp)
    x = layers.AveragePooling3D(2)(x)
    a = layers.MaxPooling3D(2, strides=1, padding="same")(x)
    return keras.Model(inp, [layers.GlobalMaxPooling3D()(a), layers.Flatten()(x)],
                       name="conv3d")


def merging(keras):
    layers = keras.layers
    q = keras.Input((3, 4), name="query")
    v = keras.Input((5, 4), name="value")
    mha = layers.MultiHeadAttention(2, 3, name="mha")(q, v)
    att = layers.Attention(use_scale=True)([q, v])
    add = layers.AdditiveAttention()([q, v])
    x = layers.Subtract()([mha, att])
    x = layers.Multiply()([x, add])
    x = layers.Average()([x, q])
    x = layers.Maximum()([x, att])
    x = layers.Minimum()([x, mha])
    x = layers.TimeDistributed(layers.Dense(2))(x)
    x = layers.Permute((2, 1))(x)
    x = layers.SimpleRNN(3)(layers.GaussianNoise(0.1)(x))
    x = layers.RepeatVector(2)(layers.GaussianDropout(0.1)(x))
    x = layers.Reshape((3, 2))(layers.AlphaDropout(0.1)(x))
    dot = layers.Dot(axes=(2, 2))([x, x])
    return keras.Model([q, v], [layers.Identity()(dot), layers.Masking(0.0)(x)],
                       name="merging")


def preprocessing(keras):
    layers = keras.layers
    image = keras.Input((8, 8, 3), name="image")
    x = layers.Rescaling(1 / 255.0, offset=-0.5)(image)
    x = layers.Normalization(mean=[0.1, 0.2, 0.3], variance=[1.0, 2.0, 4.0])(x)
    x = layers.RandomFlip(seed=1)(x)
    x = layers.RandomRotation(0.1, seed=1)(x)
    x = layers.RandomTranslation(0.1, 0.1, seed=1)(x)
    x = layers.RandomZoom(0.1, seed=1)(x)
    x = layers.RandomContrast(0.1, seed=1)(x)
    x = layers.RandomBrightness(0.1, seed=1)(x)
    x = layers.RandomGrayscale(0.5, seed=1)(x)
    x = layers.CenterCrop(4, 4)(x)
    x = layers.Resizing(2, 2)(x)
    codes = keras.Input((3,), dtype="int32", name="codes")
    one_hot = layers.CategoryEncoding(num_tokens=5, output_mode="count")(codes)
    values = keras.Input((4,), name="values")
    bins = layers.Discretization(bin_boundaries=[-0.5, 0.0, 0.5])(values)
    return keras.Model([image, codes, values], [x, one_hot, bins],
                       name="preprocessing")


MODELS = {"newer": newer, "conv1d": conv1d, "conv2d": conv2d, "conv3d": conv3d,
          "merging": merging, "preprocessing": preprocessing}


def data(name: str) -> list[np.ndarray]:
    """The inputs of model `name`, four samples."""
    rng = np.random.default_rng(7)
    normal = lambda *shape: rng.normal(size=(4,) + shape).astype("float32")  # noqa: E731
    if name == "newer":
        return [normal(5, 4), normal(3, 3, 3, 1)]
    if name == "conv1d":
        return [normal(8, 3)]
    if name == "conv2d":
        return [normal(6, 6, 2)]
    if name == "conv3d":
        return [normal(4, 4, 4, 1)]
    if name == "merging":
        return [normal(3, 4), normal(5, 4)]
    return [rng.uniform(0, 255, size=(4, 8, 8, 3)).astype("float32"),
            rng.integers(0, 5, size=(4, 3)).astype("int32"), normal(4)]


def targets() -> np.ndarray:
    return np.random.default_rng(8).normal(size=(4, 2)).astype("float32")


def as_list(outputs) -> list[np.ndarray]:
    return [np.asarray(o) for o in (outputs if isinstance(outputs, (list, tuple))
                                    else [outputs])]


def write() -> None:
    import keras
    OUT.mkdir(parents=True, exist_ok=True)
    record = {}
    for name, build in MODELS.items():
        keras.utils.set_random_seed(1)
        model = build(keras)
        x = data(name)
        x = x if len(x) > 1 else x[0]
        if name == "newer":
            model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
            model.fit(x, targets(), epochs=2, batch_size=2, verbose=0)
        for i, out in enumerate(as_list(model.predict(x, verbose=0))):
            record[f"{name}/predict_{i}"] = out
        for i, value in enumerate(x if isinstance(x, list) else [x]):
            record[f"{name}/x_{i}"] = value
        record[f"{name}/weights"] = np.asarray(len(model.weights))
        model.save(OUT / f"{name}.keras")
    np.savez_compressed(OUT / "keras_layers.npz", **record)
    print("wrote", OUT)


def inputs(record, name: str):
    """The recorded inputs of model `name`: a list, or the one array."""
    x = [record[f"{name}/x_{i}"] for i in range(len(data(name)))]
    return x if len(x) > 1 else x[0]


def hoarfrost_side(directory: str) -> None:
    from hoarfrost.models import load_model
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    record = np.load(OUT / "keras_layers.npz")
    saved = {}
    for name in MODELS:
        model = load_model(OUT / f"{name}.keras")
        x = inputs(record, name)
        if name == "newer":  # continues from Keras's optimizer state
            model.fit(x, targets(), epochs=1, batch_size=2, verbose=0)
            saved[f"{name}/iterations"] = np.asarray(model.optimizer.iterations.numpy())
        for i, value in enumerate(as_list(model.predict(x, verbose=0))):
            saved[f"{name}/predict_{i}"] = value
        model.save(out / f"{name}.keras")
        print("wrote", out / f"{name}.keras")
    np.savez(out / "hoarfrost_layers.npz", **saved)


def check(directory: str) -> None:
    import keras
    directory = Path(directory)
    expected = np.load(directory / "hoarfrost_layers.npz")
    record = np.load(OUT / "keras_layers.npz")
    result = {"keras_version": keras.__version__, "backend": keras.backend.backend(),
              "models": {}}
    for name in MODELS:
        model = keras.models.load_model(directory / f"{name}.keras")
        got = as_list(model.predict(inputs(record, name), verbose=0))
        entry = {"outputs": len(got), "weights": len(model.weights),
                 "max_abs_diff": max(float(np.max(np.abs(
                     g.astype("float64") - expected[f"{name}/predict_{i}"].astype("float64"))))
                     for i, g in enumerate(got))}
        if name == "newer":
            entry["iterations"] = int(np.asarray(model.optimizer.iterations))
            entry["expected_iterations"] = int(expected[f"{name}/iterations"])
        result["models"][name] = entry
        print(name, entry)
    (OUT / "keras_reads_hoarfrost_layers.json").write_text(
        json.dumps(result, indent=1, sort_keys=True))


if __name__ == "__main__":
    from common import three_steps
    three_steps(write, hoarfrost_side, check)
