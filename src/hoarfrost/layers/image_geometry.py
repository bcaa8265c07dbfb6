"""Keras 3's geometric augmentations `RandomShear` and `RandomPerspective`.

As in `image_augmentation`, each is Keras's `_draw` / `_transform` pair on
channels-last batches and applies in training only; the warps are
`ops.image.affine_transform` and `ops.image.perspective_transform`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hoarfrost.layers.image_augmentation import _Augmentation, _keras_factor
from hoarfrost.ops.image import affine_transform, perspective_transform

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("nearest", "bilinear")


def _check_choice(layer: str, argument: str, value, allowed) -> None:
    if value not in allowed:
        raise NotImplementedError(f"{layer}: unknown `{argument}` {value!r}. Expected one of "
                                  f"{allowed}.")


class RandomShear(_Augmentation):
    """Shears each image along x and y by random amounts, in training.

    Each image draws `sx` in `x_factor`, `sy` in `y_factor` and one sign for
    both; the output pixel (x, y) samples the input at `(x + sx * y, sy * x + y)`.

    Args:
        x_factor, y_factor: a number `f` (`[-f, f]`) or a pair in [0, 1].
        interpolation: `"bilinear"` (default) or `"nearest"`.
        fill_mode: `"reflect"` (default), `"wrap"`, `"constant"` or `"nearest"`.
        fill_value: the value outside the image with `fill_mode="constant"`.
        seed: an optional seed for the draws.
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear",
                 fill_mode="reflect", fill_value=0.0, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.x_factor = self._factor(x_factor, "x_factor")
        self.y_factor = self._factor(y_factor, "y_factor")
        _check_choice("RandomShear", "fill_mode", fill_mode, _FILL_MODES)
        _check_choice("RandomShear", "interpolation", interpolation, _INTERPOLATIONS)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation

    @staticmethod
    def _factor(factor, name):
        if isinstance(factor, (int, float)) and not isinstance(factor, bool):
            _keras_factor("RandomShear", factor, name=name)
            return -abs(factor), abs(factor)
        # A pair may be negative: Keras's own config holds `(-f, f)` for a number `f`.
        if not isinstance(factor, (tuple, list)) or len(factor) != 2 or any(
                not -1 <= f <= 1 for f in factor):
            raise ValueError("RandomShear: the `factor` argument should be a number in [0, 1] "
                             f"or a pair of numbers in [-1, 1]. Received: {name}={factor}")
        lower, upper = sorted(factor)
        return lower, upper

    def _draw(self, key, images):
        k_sign, k_y, k_x = jax.random.split(key, 3)
        batch, dtype = images.shape[0], images.dtype
        sign = jnp.where(jax.random.uniform(k_sign, (batch, 1), dtype) > 0.5, -1.0, 1.0)
        shear_y = jax.random.uniform(k_y, (batch, 1), dtype, *self.y_factor)
        shear_x = jax.random.uniform(k_x, (batch, 1), dtype, *self.x_factor)
        return {"shear_factor": (jnp.concatenate([shear_x, shear_y], axis=1) * sign).astype(dtype)}

    def _transform(self, images, params):
        factor = params["shear_factor"]
        ones, zeros = jnp.ones(factor.shape[:1]), jnp.zeros(factor.shape[:1])
        matrix = jnp.stack([ones, factor[:, 0], zeros, factor[:, 1], ones, zeros, zeros, zeros],
                           axis=1)
        return affine_transform(images, matrix, interpolation=self.interpolation,
                                fill_mode=self.fill_mode, fill_value=self.fill_value,
                                data_format="channels_last")

    def get_config(self):
        return {**super().get_config(), "x_factor": self.x_factor, "y_factor": self.y_factor,
                "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "fill_value": self.fill_value}


class RandomPerspective(_Augmentation):
    """Warps each image by a random perspective with a random probability, in training.

    Each image's four corners move by up to `scale / 2` of their coordinates
    (the corner at (0, 0) stays); the image is applied with a probability
    drawn in `factor`.

    Args:
        factor: the probability: a number `f` (`[0, f]`) or a pair in [0, 1].
        scale: the distortion's size, in [0, 1].
        interpolation: `"bilinear"` (default) or `"nearest"`.
        fill_value: the value outside the warped image.
        seed: an optional seed for the draws.
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0,
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _keras_factor("RandomPerspective", factor)
        if not 0.0 <= scale <= 1.0:
            raise ValueError("RandomPerspective: the `scale` argument should be a number in the "
                             f"range [0,1]. Received: scale={scale}")
        _check_choice("RandomPerspective", "interpolation", interpolation, _INTERPOLATIONS)
        self.scale = scale
        self.fill_value = fill_value
        self.interpolation = interpolation

    def _draw(self, key, images):
        k_prob, k_thr, k_points = jax.random.split(key, 3)
        batch, height, width = images.shape[:3]
        dtype = images.dtype
        probability = jax.random.uniform(k_prob, (batch,), minval=self.factor[0],
                                         maxval=self.factor[1])
        moves = jax.random.uniform(k_points, (batch, 4, 2), dtype, -0.5 * self.scale,
                                   0.5 * self.scale)
        corners = jnp.asarray([[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1],
                               [width - 1, height - 1]], dtype)
        start = jnp.repeat(corners[None], batch, axis=0)
        return {"apply_perspective": jax.random.uniform(k_thr, (batch,)) < probability,
                "start_points": start, "end_points": start + start * moves}

    def _transform(self, images, params):
        warped = perspective_transform(images, params["start_points"], params["end_points"],
                                       interpolation=self.interpolation,
                                       fill_value=self.fill_value, data_format="channels_last")
        return jnp.where(params["apply_perspective"][:, None, None, None], warped, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value}

