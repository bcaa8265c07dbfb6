"""Benchmark (issue 7): W1 under `DataParallel` on 1, 2 and 4 virtual CPU devices.

    python benchmarks/distribution.py                    # 1 2 4 devices, 4 epochs each
    python benchmarks/distribution.py --devices 1 2 --epochs 5

W1 is the first report's MLP (784-300-100-10, Adam) on 60,000 samples, here
with a global batch of 128 so that it splits evenly over 4 devices (32 per
device). Each device count runs in its own subprocess, because the number of
virtual CPU devices (`XLA_FLAGS=--xla_force_host_platform_device_count=N`) is
fixed when JAX starts; every run uses `DataParallel()` over all its devices
(one device included), so the device count is the only difference.

Times are seconds per epoch after the first (min and median over the
remaining epochs, at least 3); the first epoch, compilation included, is
shown apart. The ratio is the median against the median on one device.

What it shows: virtual CPU devices share the machine's cores, so on a
2-core machine the runs with 2 and 4 devices measure the *overhead* of
splitting each batch and all-reducing the gradients, not a speed-up. A
speed-up needs devices with their own compute (several GPUs, or hosts).

Data: Fashion-MNIST (`hoarfrost.datasets.fashion_mnist.load_data()`) when
available, else the MNIST sample (`mnist.load_sample()`); the output says which.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOTE = ("Virtual CPU devices share the CPU cores: on a 2-core machine this shows the overhead "
        "of data parallelism (split batches, all-reduced gradients), not a speed-up.")


def load_data():
    """(x, y, x_test, y_test, source), floats in [0, 1] and int32 labels."""
    try:
        from hoarfrost.datasets import fashion_mnist
        (x, y), (xt, yt) = fashion_mnist.load_data()
        source = "Fashion-MNIST (real)"
    except Exception:  # not installed: the small MNIST sample shipped with hoarfrost
        from hoarfrost.datasets import mnist
        (x, y), (xt, yt) = mnist.load_sample()
        source = f"MNIST sample (real, {len(x)} training samples)"
    scale = lambda a: (a.astype("float32") / 255.0)  # noqa: E731
    return scale(x), y.astype("int32"), scale(xt), yt.astype("int32"), source


def worker(epochs: int, batch_size: int) -> dict:
    """One device count (fixed by XLA_FLAGS before JAX starts): train W1, time each epoch."""
    import jax

    import hoarfrost
    from hoarfrost import callbacks, distribution, layers

    x, y, xt, yt, source = load_data()
    devices = jax.device_count()
    distribution.set_distribution(distribution.DataParallel())
    hoarfrost.utils.set_random_seed(0)
    model = hoarfrost.Sequential([layers.Flatten(input_shape=(28, 28)),
                                  layers.Dense(300, activation="relu"),
                                  layers.Dense(100, activation="relu"),
                                  layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    times: list[float] = []
    timer = callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: times.append(-time.perf_counter()),
        on_epoch_end=lambda epoch, logs: times.__setitem__(-1, times[-1] + time.perf_counter()))
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[timer])
    _, accuracy = model.evaluate(xt, yt, batch_size=batch_size, verbose=0)
    return {"devices": devices, "first": times[0], "rest": times[1:],
            "test_accuracy": accuracy, "source": source, "samples": len(x)}


def run(devices: int, epochs: int, batch_size: int) -> dict:
    env = dict(os.environ)
    flags = re.sub(r"--xla_force_host_platform_device_count=\S+", "", env.get("XLA_FLAGS", ""))
    env["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={devices}".strip()
    env["JAX_PLATFORMS"] = "cpu"
    proc = subprocess.run([sys.executable, __file__, "--worker", "--epochs", str(epochs),
                           "--batch-size", str(batch_size)], env=env, capture_output=True,
                          text=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"{devices} devices: the run failed:\n{proc.stderr[-3000:]}")


def machine() -> str:
    try:
        name = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                    if line.startswith("model name"))
    except (OSError, StopIteration):
        name = "unknown CPU"
    return f"{os.cpu_count()} CPU cores ({name})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--epochs", type=int, default=4, help="epochs per run (>= 4: first + 3)")
    parser.add_argument("--batch-size", type=int, default=128, help="the global batch")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print("RESULT " + json.dumps(worker(args.epochs, args.batch_size)), flush=True)
        return
    if args.epochs < 4:
        parser.error(f"--epochs must be >= 4 (the first, then at least 3 timed); got "
                     f"{args.epochs}.")
    for n in args.devices:
        if args.batch_size % n:
            parser.error(f"--batch-size {args.batch_size} does not split over {n} devices.")
    print(f"W1 (784-300-100-10 MLP, Adam), global batch {args.batch_size}, DataParallel on "
          f"virtual CPU devices; {machine()}, {time.strftime('%Y-%m-%d')}, load average "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())} (other work slows every row)")
    print(NOTE)
    rows, base = [], None
    for n in args.devices:
        result = run(n, args.epochs, args.batch_size)
        median = statistics.median(result["rest"])
        base = median if base is None and n == 1 else base
        rows.append((n, args.batch_size // n, result["first"], min(result["rest"]), median,
                     result["test_accuracy"]))
        print(f"  {n} device(s) done ({result['source']}, {result['samples']} samples)",
              flush=True)
    print()
    print("| devices | batch per device | first epoch (s) | s/epoch min | s/epoch median "
          "| vs 1 device | test accuracy |")
    print("|---|---|---|---|---|---|---|")
    for n, per_device, first, low, median, accuracy in rows:
        ratio = f"{median / base:.2f}x" if base else "n/a"
        print(f"| {n} | {per_device} | {first:.2f} | {low:.2f} | {median:.2f} | {ratio} "
              f"| {accuracy:.4f} |")
    print()
    print(f"Timed epochs per run: {args.epochs - 1} (after the first). {NOTE}")


if __name__ == "__main__":
    main()
