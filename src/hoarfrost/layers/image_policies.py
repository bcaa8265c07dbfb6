"""Keras 3's augmentation policies: `RandAugment` and `AugMix`, which apply random
choices of Keras's eleven augmentations (shear, translation, rotation,
posterization, solarization, auto contrast, equalization, brightness, colour
degeneration, contrast, sharpness) with one strength `factor`.

Each augmentation is a helper layer drawing its own parameters (when seeded,
an augmentation picked twice in one call repeats its draw, as Keras reuses
one draw per augmentation). The picks are drawn with the layer's key, inside
the compiled step: unlike Keras's `AugMix`, which picks its chains with
Python's `random` when the step is traced (so a compiled Keras step repeats
the same chains), every step here picks anew.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hoarfrost.layers.image_augmentation import (AutoContrast, Equalization,
                                                 RandomColorDegeneration, RandomPosterization,
                                                 RandomSharpness, Solarization, _Augmentation,
                                                 _keras_factor)
from hoarfrost.layers.image_geometry import RandomShear
from hoarfrost.layers.image_preprocessing import (RandomBrightness, RandomContrast,
                                                  RandomRotation, RandomTranslation)
from hoarfrost.random import draw_key

_GEOMETRIC_AND_TONAL = ("random_shear", "random_translation", "random_rotation",
                        "random_posterization", "solarization", "auto_contrast", "equalization")
_COLOUR = ("random_brightness", "random_color_degeneration", "random_contrast",
           "random_sharpness")
_RAND_AUGMENT_ORDER = ("random_shear", "random_translation", "random_rotation",
                       "random_brightness", "random_color_degeneration", "random_contrast",
                       "random_sharpness", "random_posterization", "solarization",
                       "auto_contrast", "equalization")


def _augmentations(layer, names, factor, value_range, interpolation, seed) -> list:
    """The helper layers `names` (in that order), as Keras's policies configure them."""
    common = {"data_format": layer.data_format, "dtype": layer.dtype_policy}
    colour = {"value_range": value_range, "seed": seed, **common}
    geometric = {"interpolation": interpolation, "seed": seed, **common}
    f = factor
    make = {
        "random_shear": lambda: RandomShear(x_factor=f, y_factor=f, **geometric),
        "random_translation": lambda: RandomTranslation(height_factor=f, width_factor=f,
                                                        **geometric),
        "random_rotation": lambda: RandomRotation(factor=f, **geometric),
        "random_brightness": lambda: RandomBrightness(factor=f, **colour),
        "random_color_degeneration": lambda: RandomColorDegeneration(factor=f, **colour),
        "random_contrast": lambda: RandomContrast(factor=f, **colour),
        "random_sharpness": lambda: RandomSharpness(factor=f, **colour),
        "random_posterization": lambda: RandomPosterization(factor=max(1, int(8 * f[1])),
                                                            **colour),
        "solarization": lambda: Solarization(addition_factor=f, threshold_factor=f, **colour),
        "auto_contrast": lambda: AutoContrast(value_range=value_range, **common),
        "equalization": lambda: Equalization(value_range=value_range, **common),
    }
    return [make[name]() for name in names]


class RandAugment(_Augmentation):
    """RandAugment (Cubuk et al., 2019): `num_ops` augmentations, each picked at random
    per batch from Keras's eleven, applied in training.

    Args:
        value_range: the images' range (default `(0, 255)`).
        num_ops: how many augmentations are applied (2).
        factor: the strength: a number `f` (`[0, f]`) or a pair in [0, 1] (0.5).
        interpolation: for the geometric ones, `"bilinear"` (default) or `"nearest"`.
        seed: an optional seed for the draws.
    """

    def __init__(self, value_range=(0, 255), num_ops: int = 2, factor=0.5,
                 interpolation="bilinear", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range
        self.num_ops = num_ops
        self.factor = _keras_factor("RandAugment", factor)
        self.interpolation = interpolation
        steps = _augmentations(self, _RAND_AUGMENT_ORDER, self.factor, value_range,
                               interpolation, seed)
        object.__setattr__(self, "_steps", steps)  # stateless helpers, not sublayers

    def _run(self, images, labels, training):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training:
            return images, labels
        picks = jax.random.randint(draw_key(self.seed), (self.num_ops,), 0, len(self._steps))
        for i in range(self.num_ops):
            for index, step in enumerate(self._steps):
                images = jnp.where(picks[i] == index, step(images, training=True), images)
        return images, labels

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "num_ops": self.num_ops, "factor": self.factor,
                "interpolation": self.interpolation}


class AugMix(_Augmentation):
    """AugMix (Hendrycks et al., 2020): mixes `num_chains` chains of random
    augmentations with Dirichlet weights, then blends the mix with the image, in
    training.

    Each chain applies `chain_depth` picks, each an augmentation or nothing;
    the chains are summed with weights from `Dirichlet(alpha)` and the result
    is `w * image + (1 - w) * mix` with `w ~ Beta(alpha, alpha)`, clipped to
    `value_range`. One set of picks serves the whole batch (as Keras).

    Args:
        value_range: the images' range (default `(0, 255)`).
        num_chains: the number of chains (3).
        chain_depth: the picks per chain (3).
        factor: the augmentations' strength: a number `f` (`[0, f]`) or a pair
            in [0, 1] (0.3).
        alpha: the Dirichlet and Beta parameter (1.0).
        all_ops: use all eleven augmentations (default) or only the seven
            geometric and tonal ones (no brightness, colour degeneration,
            contrast or sharpness).
        interpolation: for the geometric ones, `"bilinear"` (default) or `"nearest"`.
        seed: an optional seed for the draws.
    """

    def __init__(self, value_range=(0, 255), num_chains: int = 3, chain_depth: int = 3,
                 factor=0.3, alpha: float = 1.0, all_ops: bool = True,
                 interpolation="bilinear", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range
        self.num_chains = num_chains
        self.chain_depth = chain_depth
        self.factor = _keras_factor("AugMix", factor)
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = interpolation
        names = _GEOMETRIC_AND_TONAL + (_COLOUR if all_ops else ())
        steps = _augmentations(self, names, self.factor, value_range, interpolation, seed)
        object.__setattr__(self, "_steps", steps)  # stateless helpers, not sublayers

    def _run(self, images, labels, training):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training:
            return images, labels
        k_mix, k_weight, k_picks = jax.random.split(draw_key(self.seed), 3)
        gammas = jax.random.gamma(k_mix, self.alpha, (self.num_chains,))
        chain_weights = (gammas / jnp.sum(gammas)).astype(images.dtype)
        weight = jax.random.beta(k_weight, self.alpha, self.alpha).astype(images.dtype)
        # Pick len(steps) means "nothing" (Keras's None choice).
        picks = jax.random.randint(k_picks, (self.num_chains, self.chain_depth), 0,
                                   len(self._steps) + 1)
        branches = [lambda x, s=step: s(x, training=True).astype(x.dtype)
                    for step in self._steps] + [lambda x: x]
        mixed = jnp.zeros_like(images)
        for chain in range(self.num_chains):
            augmented = images
            for depth in range(self.chain_depth):
                augmented = jax.lax.switch(picks[chain, depth], branches, augmented)
            mixed = mixed + augmented * chain_weights[chain]
        images = weight * images + (1 - weight) * mixed
        return jnp.clip(images, self.value_range[0], self.value_range[1]), labels

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "num_chains": self.num_chains, "chain_depth": self.chain_depth,
                "factor": self.factor, "alpha": self.alpha, "all_ops": self.all_ops,
                "interpolation": self.interpolation}
