"""Keras-written `.keras` files using the layers added for API breadth, part 2, with
Keras's predictions, so hoarfrost's loader is checked on them (class names,
configs, weight layouts): `tests/layers/fixtures/b2_file_<name>.keras` and
`b2_files_predictions.npz`.

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python layers_breadth_files.py
"""

import numpy as np

from common import OUT  # noqa: E402  (run as a script from this folder)

import keras  # noqa: E402

L = keras.layers
rng = np.random.default_rng(0)
keras.utils.set_random_seed(0)


def conv_model():
    x = keras.Input((3, 5, 5, 1))
    y = L.ConvLSTM2D(2, 2, return_sequences=False)(x)
    y = L.SpectralNormalization(L.Conv2D(2, 2))(y)
    y = L.AdaptiveAveragePooling2D(1)(y)
    return keras.Model(x, L.Dense(2)(L.Flatten()(y)))


def text_model():
    tokens = keras.Input((6,), dtype="int32")
    embedding = L.ReversibleEmbedding(10, 4, tie_weights=False)
    hidden = embedding(tokens)
    hidden = L.GroupQueryAttention(2, 2, 1)(hidden, hidden)
    hidden = L.ActivityRegularization(l2=0.01)(hidden)
    return keras.Model(tokens, embedding(hidden, reverse=True))


def volume_model():
    x = keras.Input((4, 4, 4, 2))
    y = L.ZeroPadding3D(1)(x)
    y = L.Cropping3D(((1, 0), 1, (0, 1)))(y)
    y = L.UpSampling3D((1, 2, 1))(y)
    y = L.SpatialDropout3D(0.3)(y)
    y = L.AdaptiveMaxPooling3D((2, 1, 2))(y)
    return keras.Model(x, L.Flatten()(y))


def augment_model():
    # (Equalization is left out: its symbolic output is its input, a cycle in a Keras graph.)
    return keras.Sequential([
        keras.Input((6, 6, 3)),
        L.RandomHue(0.2), L.RandomSaturation(0.5), L.RandomColorJitter(brightness_factor=0.1),
        L.RandomColorDegeneration(0.2), L.RandomInvert(), L.RandomPosterization(4),
        L.RandomSharpness(0.2), L.RandomShear(0.2), L.RandomErasing(),
        L.RandomGaussianBlur(), L.Solarization(), L.RandomPerspective(),
        L.RandAugment(), L.AugMix(), L.MixUp(), L.CutMix(),
        L.Pipeline([L.RandomInvert(), L.RandomShear(0.1)]), L.AutoContrast()])


def audio_model():
    x = keras.Input((64, 1))
    y = L.STFTSpectrogram(frame_length=8, mode="magnitude")(x)
    return keras.Model(x, L.Dense(3)(L.Flatten()(y)))


inputs = {
    "conv": rng.normal(size=(2, 3, 5, 5, 1)).astype("float32"),
    "text": rng.integers(0, 10, size=(2, 6)).astype("int32"),
    "volume": rng.normal(size=(2, 4, 4, 4, 2)).astype("float32"),
    "augment": (rng.random((2, 6, 6, 3)) * 255).astype("float32"),
    "audio": rng.normal(size=(2, 64, 1)).astype("float32"),
}
data = {}
for name, make in (("conv", conv_model), ("text", text_model), ("volume", volume_model),
                   ("augment", augment_model), ("audio", audio_model)):
    model = make()
    model.save(OUT / f"b2_file_{name}.keras")
    data[f"input_{name}"] = inputs[name]
    data[f"output_{name}"] = np.asarray(model.predict(inputs[name], verbose=0))
    print("wrote", name)
np.savez_compressed(OUT / "b2_files_predictions.npz", **data)
