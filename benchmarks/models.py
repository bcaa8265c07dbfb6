"""W4-W8's models in the Keras API, built by one function for hoarfrost and for Keras alike.

`lib` is `hoarfrost` or `keras` (each has `Input`, `Model`, `layers`), so every
system trains the same architecture with the same initializers.
"""

from __future__ import annotations


def resnet_backbone(lib, widths=(16, 32, 64)):
    """(inputs, features, top_block_layers): a ResNet-style CNN on 32x32x3 up to its pooling.

    A 3x3 stem, then one residual block per width (two 3x3 convolutions with
    BatchNormalization; the first of each later stage strided, with a 1x1
    projection shortcut), global average pooling. `top_block_layers` are the
    last block's layers (unfrozen in W7's second phase).
    """
    layers = lib.layers
    inputs = lib.Input((32, 32, 3))
    h = layers.Conv2D(widths[0], 3, padding="same", use_bias=False)(inputs)
    h = layers.Activation("relu")(layers.BatchNormalization()(h))
    top: list = []
    for stage, width in enumerate(widths):
        stride = 1 if stage == 0 else 2
        block = [layers.Conv2D(width, 3, strides=stride, padding="same", use_bias=False),
                 layers.BatchNormalization(), layers.Activation("relu"),
                 layers.Conv2D(width, 3, padding="same", use_bias=False),
                 layers.BatchNormalization()]
        shortcut = h
        for layer in block:
            h = layer(h)
        if stride != 1 or shortcut.shape[-1] != width:
            project = [layers.Conv2D(width, 1, strides=stride, use_bias=False),
                       layers.BatchNormalization()]
            for layer in project:
                shortcut = layer(shortcut)
            block += project
        h = layers.Activation("relu")(layers.Add()([h, shortcut]))
        top = block
    features = layers.GlobalAveragePooling2D()(h)
    return inputs, features, top


def resnet(lib):
    """W4: the ResNet-style backbone and a softmax over 10 classes."""
    inputs, features, _ = resnet_backbone(lib)
    return lib.Model(inputs, lib.layers.Dense(10, activation="softmax")(features))


def transfer(lib):
    """W7: (model, backbone_layers, top_block_layers): the W4 backbone under a new head."""
    inputs, features, top = resnet_backbone(lib)
    hidden = lib.layers.Dense(64, activation="relu")(features)
    model = lib.Model(inputs, lib.layers.Dense(10, activation="softmax")(hidden))
    head = model.layers[-2:]
    backbone = [layer for layer in model.layers if layer not in head]
    return model, backbone, top


def transformer(lib, vocab: int, seq: int, dim: int = 64, heads: int = 4, blocks: int = 2,
                ffn: int = 128):
    """W5: token and position embeddings, `blocks` post-norm encoder blocks, mean pooling, 2 classes."""
    layers = lib.layers
    tokens = lib.Input((seq,), dtype="int32")
    positions = PositionEmbedding(lib, seq, dim)
    h = positions(layers.Embedding(vocab, dim)(tokens))
    for _ in range(blocks):
        attended = layers.MultiHeadAttention(heads, dim // heads)(h, h)
        h = layers.LayerNormalization()(layers.Add()([h, attended]))
        hidden = layers.Dense(ffn, activation="relu")(h)
        h = layers.LayerNormalization()(layers.Add()([h, layers.Dense(dim)(hidden)]))
    pooled = layers.GlobalAveragePooling1D()(h)
    return lib.Model(tokens, layers.Dense(2, activation="softmax")(pooled))


def PositionEmbedding(lib, seq: int, dim: int):  # noqa: N802  a layer factory
    """A learned position embedding added to its input (a small custom layer, as users write)."""

    class _PositionEmbedding(lib.layers.Layer):
        def build(self, input_shape):
            self.table = self.add_weight(shape=(seq, dim), initializer="uniform", name="table")

        def call(self, x):
            return x + self.table[None]

        def compute_output_shape(self, input_shape):
            return input_shape

    return _PositionEmbedding()


def lstm(lib, vocab: int, seq: int, dim: int = 64, units: int = 128):
    """W6: token embedding, one LSTM over the sequence, 2 classes from its last state."""
    layers = lib.layers
    tokens = lib.Input((seq,), dtype="int32")
    h = layers.LSTM(units)(layers.Embedding(vocab, dim)(tokens))
    return lib.Model(tokens, layers.Dense(2, activation="softmax")(h))


def dcgan(lib, latent: int = 100, widths=(512, 256, 128, 64)):
    """W8: (generator_step_model, generator, discriminator) of a DCGAN at 64x64x3.

    Generator: Dense to 4x4x512, then 5x5 stride-2 Conv2DTranspose layers
    (BatchNormalization, ReLU) up to 64x64x3 (tanh). Discriminator: 5x5
    stride-2 Conv2D layers 64 -> 512 (LeakyReLU), one logit. The step model is
    D(G(z)) with D frozen: training it on "real" labels is a DCGAN's generator step.
    """
    layers = lib.layers
    z = lib.Input((latent,))
    h = layers.Reshape((4, 4, widths[0]))(layers.Dense(4 * 4 * widths[0], use_bias=False)(z))
    h = layers.Activation("relu")(layers.BatchNormalization()(h))
    for width in widths[1:]:
        h = layers.Conv2DTranspose(width, 5, strides=2, padding="same", use_bias=False)(h)
        h = layers.Activation("relu")(layers.BatchNormalization()(h))
    image = layers.Conv2DTranspose(3, 5, strides=2, padding="same", activation="tanh")(h)
    generator = lib.Model(z, image)

    x = lib.Input((64, 64, 3))
    h = x
    for width in reversed(widths):
        h = layers.LeakyReLU(0.2)(layers.Conv2D(width, 5, strides=2, padding="same")(h))
    logit = layers.Dense(1)(layers.Flatten()(h))
    discriminator = lib.Model(x, logit)
    discriminator.trainable = False
    step = lib.Model(z, discriminator(generator(z)))
    return step, generator, discriminator
