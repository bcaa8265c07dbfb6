# ON MAIN TODAY: FAILS: TypeError: VAE.call() got an unexpected keyword argument 'training'
"""Port of the keras-io example "Variational AutoEncoder" (examples/generative/vae.py):
a convolutional VAE on MNIST with its own training step.

Run on the JAX backend. The example's `train_step` uses `tf.GradientTape` (TensorFlow
backend only); on JAX a custom step is written in the stateless form of the Keras guide
"Customizing what happens in fit() with JAX": `train_step(self, state, data)` with
`stateless_call`, `jax.value_and_grad`, `optimizer.stateless_apply` and the trackers'
`stateless_update_state`, and `call` returning what the loss needs. The encoder, decoder,
sampling layer, losses and metric names are the example's. Substitution: MNIST is the digit
sample shipped with hoarfrost, cut to 2,048 digits and 3 epochs instead of 70,000 and 30.
Omitted: the matplotlib latent-space plots (the decoder and encoder predictions they make
are kept).
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import numpy as np
import hoarfrost as keras
from hoarfrost import ops
from hoarfrost import layers
from hoarfrost.datasets.mnist import load_sample as mnist_sample

keras.utils.set_random_seed(int(os.environ.get("PORT_SEED", "0")))


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


latent_dim = 2

encoder_inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
x = layers.Flatten()(x)
x = layers.Dense(16, activation="relu")(x)
z_mean = layers.Dense(latent_dim, name="z_mean")(x)
z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
z = Sampling()([z_mean, z_log_var])
encoder = keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")
encoder.summary()

latent_inputs = keras.Input(shape=(latent_dim,))
x = layers.Dense(7 * 7 * 64, activation="relu")(latent_inputs)
x = layers.Reshape((7, 7, 64))(x)
x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(x)
x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
decoder_outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x)
decoder = keras.Model(latent_inputs, decoder_outputs, name="decoder")
decoder.summary()


class VAE(keras.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(
            name="reconstruction_loss"
        )
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [
            self.total_loss_tracker,
            self.reconstruction_loss_tracker,
            self.kl_loss_tracker,
        ]

    def call(self, data):
        z_mean, z_log_var, z = self.encoder(data)
        return z_mean, z_log_var, self.decoder(z)

    def compute_loss_and_updates(
        self, trainable_variables, non_trainable_variables, data, training=False
    ):
        (z_mean, z_log_var, reconstruction), non_trainable_variables = (
            self.stateless_call(
                trainable_variables, non_trainable_variables, data, training=training
            )
        )
        reconstruction_loss = ops.mean(
            ops.sum(
                keras.losses.binary_crossentropy(data, reconstruction),
                axis=(1, 2),
            )
        )
        kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
        kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
        total_loss = reconstruction_loss + kl_loss
        return total_loss, (reconstruction_loss, kl_loss, non_trainable_variables)

    def train_step(self, state, data):
        (
            trainable_variables,
            non_trainable_variables,
            optimizer_variables,
            metrics_variables,
        ) = state
        grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
        (total_loss, (reconstruction_loss, kl_loss, non_trainable_variables)), grads = (
            grad_fn(trainable_variables, non_trainable_variables, data, training=True)
        )
        trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, grads, trainable_variables
        )
        new_metrics_vars = []
        logs = {}
        for name, metric, value in zip(
            ["loss", "reconstruction_loss", "kl_loss"],
            self.metrics,
            [total_loss, reconstruction_loss, kl_loss],
        ):
            this_metric_vars = metrics_variables[
                len(new_metrics_vars) : len(new_metrics_vars) + len(metric.variables)
            ]
            this_metric_vars = metric.stateless_update_state(this_metric_vars, value)
            logs[name] = metric.stateless_result(this_metric_vars)
            new_metrics_vars += this_metric_vars
        state = (
            trainable_variables,
            non_trainable_variables,
            optimizer_variables,
            new_metrics_vars,
        )
        return logs, state


(x_train, _), (x_test, _) = mnist_sample()
mnist_digits = np.concatenate([x_train, x_test], axis=0)[:2048]
mnist_digits = np.expand_dims(mnist_digits, -1).astype("float32") / 255

vae = VAE(encoder, decoder)
vae.compile(optimizer=keras.optimizers.Adam())
history = vae.fit(mnist_digits, epochs=3, batch_size=128)

z_sample = np.array([[0.0, 0.0]])
x_decoded = vae.decoder.predict(z_sample)
(x_train, y_train), _ = mnist_sample()
x_train = np.expand_dims(x_train[:512], -1).astype("float32") / 255
z_mean, _, _ = vae.encoder.predict(x_train)

metrics = {
    "loss": float(history.history["loss"][-1]),
    "reconstruction_loss": float(history.history["reconstruction_loss"][-1]),
    "kl_loss": float(history.history["kl_loss"][-1]),
    "history_keys": sorted(history.history),
    "decoded_shape": list(x_decoded.shape),
    "z_mean_shape": list(z_mean.shape),
}
print("METRICS", json.dumps(metrics))
