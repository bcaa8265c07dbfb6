"""`SpectralNormalization`: a wrapper that divides a layer's kernel by its
largest singular value, estimated by power iteration (Miyato et al., 2018)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hoarfrost import initializers
from hoarfrost.layers.layer import InputSpec, trainable_in_context
from hoarfrost.layers.wrappers import Wrapper


def _l2_normalize(x, epsilon: float = 1e-7):
    """Keras's `ops.normalize(x, axis=None)`: `x * min(rsqrt(sum(x**2)), 1/epsilon)`."""
    inv_norm = jax.lax.rsqrt(jnp.sum(jnp.square(x), keepdims=True))
    return x * jnp.minimum(inv_norm, 1.0 / epsilon)


class SpectralNormalization(Wrapper):
    """Constrains a layer's kernel to spectral norm 1, as `keras.layers.SpectralNormalization`.

    In a training call the wrapper runs `power_iterations` steps of power
    iteration from its `vector_u` (a non-trainable weight, updated), divides
    the wrapped layer's `kernel` (or `embeddings`) by the estimated largest
    singular value and calls the layer with it. As in Keras on JAX, inside
    `fit` the normalised kernel is what the step computes with (the gradient
    flows through the division) while the optimizer updates the stored
    kernel; a training call outside `fit` assigns the normalised kernel. An
    all-zero kernel is left as it is. Inference calls use the kernel as
    stored.

    Frozen (the wrapper, an enclosing layer or the wrapped layer not
    trainable), the wrapper runs as in inference: neither the kernel nor
    `vector_u` changes (Keras would still renormalise; hoarfrost's contract
    keeps frozen weights bit-identical).

    Weights, in Keras's order: the wrapped layer's kernel, `vector_u`
    `(1, kernel.shape[-1])`, then the wrapped layer's other weights.

    Args:
        layer: a layer with a `kernel` or `embeddings` weight.
        power_iterations: the number of power-iteration steps per training call.
        **kwargs: `name`, `trainable`, `dtype`.

    Differs from Keras: for integer inputs (an `Embedding`) the output keeps
    the layer's dtype (Keras casts it to the inputs' integer dtype).

    Example:
        >>> from hoarfrost.layers import Dense
        >>> layer = SpectralNormalization(Dense(3))
        >>> layer(jnp.ones((2, 4)), training=True).shape
        (2, 3)
    """

    def __init__(self, layer, power_iterations: int = 1, **kwargs):
        super().__init__(layer, **kwargs)
        if not isinstance(power_iterations, int) or power_iterations <= 0:
            raise ValueError(
                "SpectralNormalization: `power_iterations` should be greater than zero. "
                f"Received: power_iterations={power_iterations!r}.")
        self.power_iterations = power_iterations
        self.vector_u = None

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        if getattr(self.layer, "kernel", None) is not None:
            kernel = self.layer.kernel
        elif getattr(self.layer, "embeddings", None) is not None:
            kernel = self.layer.embeddings
        else:
            raise ValueError(f"SpectralNormalization: {type(self.layer).__name__} object has no "
                             "attribute 'kernel' nor 'embeddings'.")
        # Not an attribute the tracker sees: the kernel stays the wrapped layer's variable.
        object.__setattr__(self, "kernel", kernel)
        self.kernel_shape = tuple(kernel.shape)
        self.vector_u = self.add_weight(
            shape=(1, self.kernel_shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False, name="vector_u", dtype=kernel.dtype)
        self.built = True

    def _walk(self, enclosing_trainable: bool = True, state: bool = False):
        """Keras's order: the kernel first (Keras tracks it on the wrapper too), then
        `vector_u`, then the wrapped layer's other weights; each keeps the
        trainability of the layer that owns it."""
        items = list(super()._walk(enclosing_trainable, state))
        kernel = self.__dict__.get("kernel")
        if kernel is not None:
            first = [item for item in items if item[0] is kernel][:1]
            items = first + [item for item in items if item[0] is not kernel]
        yield from items

    def _keras_own_variables(self) -> list:
        """What Keras's `save_own_variables` writes for the wrapper: kernel, vector_u."""
        return [self.kernel, self.vector_u]

    def call(self, inputs, training=False):
        trains = (training and trainable_in_context(self) and self.layer.trainable
                  and self.kernel.trainable)
        if trains:
            kernel = self.kernel.value
            new_u, new_kernel = jax.lax.cond(
                jnp.all(kernel == 0),
                lambda: (self.vector_u.value, kernel),
                self.normalized_weights)
            self.vector_u.assign(new_u)
            self.kernel.assign(new_kernel)
        outputs = self.layer(inputs)
        if jnp.issubdtype(jnp.asarray(inputs).dtype, jnp.floating):
            outputs = outputs.astype(inputs.dtype)
        return outputs

    def normalized_weights(self):
        """`(vector_u, kernel / sigma)`: the power iteration's new `u` and the
        normalised kernel (Keras's `normalized_weights`)."""
        kernel = self.kernel.value
        weights = jnp.reshape(kernel, (-1, self.kernel_shape[-1]))
        vector_u = self.vector_u.value
        vector_v = None
        for _ in range(self.power_iterations):
            vector_v = _l2_normalize(jnp.matmul(vector_u, weights.T))
            vector_u = _l2_normalize(jnp.matmul(vector_v, weights))
        vector_u = jax.lax.stop_gradient(vector_u)
        vector_v = jax.lax.stop_gradient(vector_v)
        sigma = jnp.matmul(jnp.matmul(vector_v, weights), vector_u.T)
        normalized = jnp.reshape(kernel / sigma, self.kernel_shape)
        return vector_u.astype(self.vector_u.dtype), normalized.astype(kernel.dtype)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}
