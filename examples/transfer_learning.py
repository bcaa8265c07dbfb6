"""Transfer learning with hoarfrost: frozen base, new head, gradual unfreezing.

1. Pretrain a small CNN on a source task: Fashion-MNIST when Debian's
   `dataset-fashion-mnist` is installed, else MNIST digits 0-4 from the sample
   shipped with hoarfrost.
2. Transfer it to MNIST digits 5-9 with few labels: train a new head on the
   frozen base, then unfreeze the base block by block with a reduced, growing
   learning rate (GradualUnfreezing), FreezeGuard checking every epoch that
   frozen weights stayed bit-identical.
3. Train the same architecture from scratch with the same data and epochs.

    python examples/transfer_learning.py            # about a minute on 2 cores
    python examples/transfer_learning.py --quick    # seconds: a smoke run
"""

import argparse
import time

import numpy as np

import hoarfrost
from hoarfrost import Input, Model, Sequential, layers, optimizers
from hoarfrost.datasets import fashion_mnist, mnist
from hoarfrost.finetuning import FreezeGuard, GradualUnfreezing


def source_task(samples: int):
    try:
        (x, y), _ = fashion_mnist.load_data()
        name = "Fashion-MNIST (10 classes)"
    except Exception:
        (x, y), _ = mnist.load_sample()
        keep = y < 5
        x, y = x[keep], y[keep]
        name = "MNIST digits 0-4 (shipped sample)"
    return name, x[:samples] / 255.0, y[:samples].astype("int32"), int(y.max()) + 1


def target_task(train_samples: int, test_samples: int | None = None):
    (x, y), (xt, yt) = mnist.load_sample()
    keep, keep_t = y >= 5, yt >= 5
    x, y = x[keep], y[keep] - 5
    xt, yt = xt[keep_t][:test_samples], yt[keep_t][:test_samples] - 5
    return x[:train_samples] / 255.0, y[:train_samples].astype("int32"), xt / 255.0, yt.astype(
        "int32")


def make_base(name: str) -> Sequential:
    return Sequential([
        layers.Reshape((28, 28, 1), input_shape=(28, 28)),
        layers.Conv2D(16, 3, activation="relu", name=f"{name}_conv1"),
        layers.BatchNormalization(name=f"{name}_bn1"),
        layers.MaxPooling2D(name=f"{name}_pool1"),
        layers.Conv2D(32, 3, activation="relu", name=f"{name}_conv2"),
        layers.BatchNormalization(name=f"{name}_bn2"),
        layers.MaxPooling2D(name=f"{name}_pool2"),
        layers.Flatten(name=f"{name}_flatten"),
    ], name=name)


def classifier(base: Sequential, classes: int, head: str) -> Model:
    inputs = Input((28, 28))
    return Model(inputs, layers.Dense(classes, activation="softmax", name=head)(base(inputs)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    args = parser.parse_args()
    # --quick: whole batches only (a ragged last batch compiles each step a second time).
    source_samples, target_samples, test_samples = (640, 192, 928) if args.quick else (
        12000, 500, None)
    source_epochs, head_epochs, tune_epochs = (1, 1, 2) if args.quick else (3, 2, 4)
    start = time.perf_counter()
    hoarfrost.utils.set_random_seed(0)

    name, xs, ys, classes = source_task(source_samples)
    print(f"1. Pretraining on {name}: {len(xs)} samples, {source_epochs} epochs")
    base = make_base("base")
    source = classifier(base, classes, "source_head")
    source.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    source.fit(xs, ys, epochs=source_epochs, batch_size=64, verbose=2)

    x, y, xt, yt = target_task(target_samples, test_samples)
    epochs = head_epochs + tune_epochs
    print(f"\n2. Transfer to MNIST digits 5-9: {len(x)} labelled samples, {epochs} epochs")
    model = classifier(base, 5, "digits_head")
    model.compile(optimizer=optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    base.trainable = False
    guard = FreezeGuard()
    model.fit(x, y, epochs=head_epochs, batch_size=32, verbose=2, callbacks=[guard])
    head_accuracy = model.evaluate(xt, yt, verbose=0)[1]
    print(f"   after the head on a frozen base: test accuracy {head_accuracy:.4f}")
    thaw = GradualUnfreezing({head_epochs: ["base_conv2", "base_bn2"],
                              head_epochs + 1: ["base_conv1", "base_bn1"]},
                             lr_multiplier=0.1, warmup=2)
    model.fit(x, y, initial_epoch=head_epochs, epochs=epochs, batch_size=32, verbose=2,
              callbacks=[thaw, guard])
    transfer_accuracy = model.evaluate(xt, yt, verbose=0)[1]
    print(f"   after gradual unfreezing: test accuracy {transfer_accuracy:.4f}")
    print(f"   {guard.verdict}")

    print(f"\n3. From scratch: same architecture, same {len(x)} samples, {epochs} epochs")
    scratch = classifier(make_base("scratch"), 5, "scratch_head")
    scratch.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"])
    scratch.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    scratch_accuracy = scratch.evaluate(xt, yt, verbose=0)[1]
    print(f"   test accuracy {scratch_accuracy:.4f}")

    print(f"\nTransferred {transfer_accuracy:.4f} vs from scratch {scratch_accuracy:.4f} "
          f"({'transfer wins' if transfer_accuracy > scratch_accuracy else 'scratch wins'}); "
          f"{time.perf_counter() - start:.0f} s in all.")


if __name__ == "__main__":
    main()
