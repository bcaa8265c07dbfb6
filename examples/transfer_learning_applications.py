"""Fine-tune a pretrained backbone from hoarfrost.applications, Keras's recipe:

1. Take MobileNetV2 (alpha 0.35, 96x96) without its top, with Keras's ImageNet
   weights when they are on this machine (hoarfrost's cache `~/.hoarfrost/models`
   or Keras's `~/.keras/models`) or downloadable; otherwise, offline, with fresh
   weights (`weights=None`), said so, and the recipe runs all the same.
2. Freeze the backbone, train a new head on MNIST digits (from the sample shipped
   with hoarfrost, as RGB images), the backbone called in inference mode.
3. Unfreeze the top blocks (BatchNormalization kept frozen, as Keras advises) and
   train on with a 10x lower learning rate.
4. After each phase, the audit (`hoarfrost.audit.weight_changes`): which weights
   moved, which stayed bit-identical.

    python examples/transfer_learning_applications.py           # a few minutes on 2 cores
    python examples/transfer_learning_applications.py --quick   # a smoke run
"""

import argparse
import time

import numpy as np

import hoarfrost
from hoarfrost import layers, optimizers
from hoarfrost.applications import MobileNetV2, WeightsUnavailableError, mobilenet_v2
from hoarfrost.audit import WeightChanges, weight_changes
from hoarfrost.datasets import mnist

SIZE = 96  # a size Keras publishes MobileNetV2 weights for
TOP_BLOCKS = ("block_14_", "block_15_", "block_16_", "Conv_1")  # unfrozen in phase 3


def backbone():
    kwargs = {"alpha": 0.35, "include_top": False, "pooling": "avg",
              "input_shape": (SIZE, SIZE, 3)}
    try:
        return MobileNetV2(weights="imagenet", **kwargs), "ImageNet weights"
    except WeightsUnavailableError as error:
        print(f"No ImageNet weights here, so the backbone starts from fresh weights "
              f"(weights=None): the recipe and the audit run all the same, but a backbone "
              f"that learned nothing gives near-chance accuracy.\n  ({error})\n")
        return MobileNetV2(weights=None, **kwargs), "fresh weights (offline)"


def digits(train: int, test: int):
    """MNIST digits as RGB images of SIZE x SIZE pixels, preprocessed for MobileNetV2."""
    (x, y), (xt, yt) = mnist.load_sample()

    def rgb(images):
        images = np.asarray(images[:, :, :, None], np.float32)
        images = np.repeat(np.repeat(images, SIZE // 28 + 1, axis=1), SIZE // 28 + 1, axis=2)
        images = np.repeat(images[:, :SIZE, :SIZE], 3, axis=3)
        return mobilenet_v2.preprocess_input(images)  # [0, 255] -> [-1, 1]

    return rgb(x[:train]), y[:train].astype("int32"), rgb(xt[:test]), yt[:test].astype("int32")


def audit(model, phase: str, fit) -> None:
    report = weight_changes(model, fit)
    moved = [c for c in report if c.changed]
    print(f"\n   audit after {phase}: {len(moved)} of {len(report)} weights changed, "
          f"{len(report) - len(moved)} bit-identical; the changed ones and their neighbours:")
    rows = {c.index for c in moved} | {c.index - 1 for c in moved} | {c.index + 1 for c in moved}
    print(WeightChanges(c for c in report if c.index in rows))
    frozen_moved = [c.path for c in report if c.changed and not c.trainable]
    assert not frozen_moved, f"frozen weights moved: {frozen_moved}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    args = parser.parse_args()
    train, test, head_epochs, tune_epochs = (128, 64, 1, 1) if args.quick else (1000, 500, 2, 2)
    start = time.perf_counter()
    hoarfrost.utils.set_random_seed(0)

    base, source = backbone()
    x, y, xt, yt = digits(train, test)
    inputs = hoarfrost.Input((SIZE, SIZE, 3))
    features = base(inputs, training=False)  # BatchNormalization in inference mode, always
    outputs = layers.Dense(10, activation="softmax", name="digits_head")(
        layers.Dropout(0.2)(features))
    model = hoarfrost.Model(inputs, outputs)
    print(f"MobileNetV2 backbone ({source}): {base.count_params():,} parameters; "
          f"{len(x)} training images, {len(xt)} test images.")

    print(f"\n1. Frozen backbone, new head: {head_epochs} epochs at learning rate 1e-3")
    base.trainable = False
    model.compile(optimizer=optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    audit(model, "training the head", lambda: model.fit(
        x, y, epochs=head_epochs, batch_size=32, verbose=2))
    print(f"   test accuracy {model.evaluate(xt, yt, verbose=0)[1]:.4f}")

    print(f"\n2. Top blocks unfrozen ({', '.join(TOP_BLOCKS)}; BatchNormalization stays "
          f"frozen): {tune_epochs} epochs at learning rate 1e-4")
    base.trainable = True
    for layer in base.layers:
        layer.trainable = (layer.name.startswith(TOP_BLOCKS)
                           and not isinstance(layer, layers.BatchNormalization))
    model.compile(optimizer=optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    print(f"   {trainable:,} trainable parameters of {model.count_params():,}")
    audit(model, "fine-tuning the top blocks", lambda: model.fit(
        x, y, epochs=tune_epochs, batch_size=32, verbose=2))
    print(f"   test accuracy {model.evaluate(xt, yt, verbose=0)[1]:.4f}")
    print(f"\n{time.perf_counter() - start:.0f} s in all.")


if __name__ == "__main__":
    main()
