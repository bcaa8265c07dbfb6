# ON MAIN TODAY: PASS: finishes, metrics within Keras's band
"""Port of the GAN that overrides `train_step` from the Keras 3 guides "Customizing what
happens in fit()" (its TensorFlow and PyTorch editions) and the keras-io DCGAN example
(examples/generative/dcgan_overriding_train_step.py), written in the JAX form.

Run on the JAX backend. The guides' GAN step uses `tf.GradientTape` / `torch` autograd; on
JAX a custom step is stateless (guide "Customizing what happens in fit() with JAX"), and
the only optimizer state a JAX `train_step` receives is `self.optimizer`'s, so this GAN
compiles one Adam and both players take their step at once from the same discriminator
(simultaneous updates; Adam's moments are per variable, so one Adam equals two with the same
settings). The discriminator, generator, label noise, losses and metric names are the
guide's; random draws go through `keras.StatelessScope` with the model's seed generator.
Substitution: 1,024 digits of the MNIST sample shipped with hoarfrost, one epoch. Cut for
CPU time: a quarter of the guide's filters (discriminator 16/32 instead of 64/128, generator
32 instead of 128).
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import numpy as np
import hoarfrost as keras
from hoarfrost import layers
from hoarfrost import ops
from hoarfrost.datasets.mnist import load_sample as mnist_sample

keras.utils.set_random_seed(int(os.environ.get("PORT_SEED", "0")))

discriminator = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(16, (3, 3), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(32, (3, 3), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.GlobalMaxPooling2D(),
        layers.Dense(1),
    ],
    name="discriminator",
)

latent_dim = 128
generator = keras.Sequential(
    [
        keras.Input(shape=(latent_dim,)),
        layers.Dense(7 * 7 * 32),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Reshape((7, 7, 32)),
        layers.Conv2DTranspose(32, (4, 4), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2DTranspose(32, (4, 4), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(1, (7, 7), padding="same", activation="sigmoid"),
    ],
    name="generator",
)


class GAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.seed_generator = keras.random.SeedGenerator(1337)
        self.built = True

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, optimizer, loss_fn):
        super().compile(optimizer=optimizer)
        self.loss_fn = loss_fn

    def discriminator_loss(self, d_vars, g_vars, real_images, noise, label_noise):
        generated_images, _ = self.generator.stateless_call(g_vars, [], noise)
        combined_images = ops.concatenate([generated_images, real_images], axis=0)
        batch_size = ops.shape(real_images)[0]
        labels = ops.concatenate(
            [ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], axis=0
        )
        labels += 0.05 * label_noise
        predictions, _ = self.discriminator.stateless_call(d_vars, [], combined_images)
        return self.loss_fn(labels, predictions)

    def generator_loss(self, g_vars, d_vars, noise):
        generated_images, _ = self.generator.stateless_call(g_vars, [], noise)
        misleading_labels = ops.zeros((ops.shape(noise)[0], 1))
        predictions, _ = self.discriminator.stateless_call(d_vars, [], generated_images)
        return self.loss_fn(misleading_labels, predictions)

    def train_step(self, state, real_images):
        (
            trainable_variables,
            non_trainable_variables,
            optimizer_variables,
            metrics_variables,
        ) = state
        n_d = len(self.discriminator.trainable_variables)
        d_vars, g_vars = trainable_variables[:n_d], trainable_variables[n_d:]
        batch_size = ops.shape(real_images)[0]

        mapping = list(zip(self.non_trainable_variables, non_trainable_variables))
        with keras.StatelessScope(state_mapping=mapping) as scope:
            noise = keras.random.normal(
                (batch_size, self.latent_dim), seed=self.seed_generator
            )
            label_noise = keras.random.uniform(
                (2 * batch_size, 1), seed=self.seed_generator
            )
            misleading_noise = keras.random.normal(
                (batch_size, self.latent_dim), seed=self.seed_generator
            )
        non_trainable_variables = [
            scope.get_current_value(v) for v in self.non_trainable_variables
        ]

        d_loss, d_grads = jax.value_and_grad(self.discriminator_loss)(
            d_vars, g_vars, real_images, noise, label_noise
        )
        g_loss, g_grads = jax.value_and_grad(self.generator_loss)(
            g_vars, d_vars, misleading_noise
        )
        trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, list(d_grads) + list(g_grads), trainable_variables
        )

        d_tracker_vars = self.d_loss_tracker.stateless_update_state(
            metrics_variables[:2], d_loss
        )
        g_tracker_vars = self.g_loss_tracker.stateless_update_state(
            metrics_variables[2:], g_loss
        )
        logs = {
            "d_loss": self.d_loss_tracker.stateless_result(d_tracker_vars),
            "g_loss": self.g_loss_tracker.stateless_result(g_tracker_vars),
        }
        state = (
            trainable_variables,
            non_trainable_variables,
            optimizer_variables,
            list(d_tracker_vars) + list(g_tracker_vars),
        )
        return logs, state


batch_size = 64
(x_train, _), (x_test, _) = mnist_sample()
all_digits = np.concatenate([x_train, x_test])[:1024]
all_digits = all_digits.astype("float32") / 255.0
all_digits = np.reshape(all_digits, (-1, 28, 28, 1))

gan = GAN(discriminator=discriminator, generator=generator, latent_dim=latent_dim)
assert all(
    a is b
    for a, b in zip(
        gan.trainable_variables,
        discriminator.trainable_variables + generator.trainable_variables,
    )
)
gan.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.0003),
    loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
)
history = gan.fit(all_digits, batch_size=batch_size, epochs=1)

samples = generator.predict(np.random.normal(size=(16, latent_dim)))
fake_scores = discriminator.predict(samples)
real_scores = discriminator.predict(all_digits[:16])

metrics = {
    "d_loss": float(history.history["d_loss"][-1]),
    "g_loss": float(history.history["g_loss"][-1]),
    "history_keys": sorted(history.history),
    "generated_shape": list(samples.shape),
    "generated_in_unit_range": bool(samples.min() >= 0.0 and samples.max() <= 1.0),
    "mean_fake_minus_real_logit": float(fake_scores.mean() - real_scores.mean()),
}
print("METRICS", json.dumps(metrics))
