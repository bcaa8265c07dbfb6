"""Benchmark: full fine-tuning vs LoRA vs int8 base + LoRA, hoarfrost and Keras 3 (JAX).

    python benchmarks/lora.py                  # the W5-sized encoder, both libraries
    python benchmarks/lora.py --quick          # tiny sizes: checks that it runs end to end
    python benchmarks/lora.py --systems hoarfrost --json results.json
    python benchmarks/lora.py --size wide --rounds 2   # width 256: the dense layers dominate

The model is the speed benchmark's W5: a Transformer encoder classifier (token
and position embeddings, 2 post-norm blocks of 4-head MultiHeadAttention and a
128-unit FFN, width 64, mean pooling), sequences of 128 tokens from a 5,000
token vocabulary, batch 64.

1. Pretraining (once, hoarfrost, in its own process): task A, 4 classes, which
   quarter of the vocabulary a sequence over-samples. Its weights go to an .npz
   (in `get_weights()` order, the same in both libraries).
2. Fine-tuning (task B, 2 classes, a new head): are there more tokens from the
   vocabulary's first quarter than from its last, each over-sampled by a random
   amount. The features task A taught (quarter frequencies) are what B needs.
   Each (system, configuration) runs in a fresh process, one after another:
   - `full`: every weight trains;
   - `lora8`: rank-8 adapters (alpha 16) on the attention projections and the
     FFN's Dense layers; the new head trains too; everything else is frozen;
   - `int8+lora8`: the same on int8 weights (`model.quantize("int8")`, the head
     left in float). Keras: the same calls (`layer.enable_lora`, `quantize` with
     a filter), the other variables frozen by their own flags.
   Reported: trainable parameters, optimizer-state bytes (the optimizer's
   variables after training), peak resident memory of the process
   (`resource.getrusage`), the first epoch (compilation included) and the
   median of the later epochs, and the test accuracy reached.

`--size wide` is the same encoder at width 256 (FFN 1,024, sequences of 64), where the
dense layers' matmuls are most of the step, as in the large models LoRA is for; at W5's
width 64 the attention core and element-wise work dominate, which adapters cannot shrink.
`--rounds N` runs every (system, configuration) N times, interleaved, and reports the
median round, so that a drift of the machine's speed hits every configuration alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SIZES = {"vocab": 5000, "seq": 128, "dim": 64, "heads": 4, "blocks": 2, "ffn": 128,
         "batch": 64, "pretrain_samples": 2560, "pretrain_epochs": 6, "samples": 2560,
         "test_samples": 1000, "epochs": 5, "rank": 8, "alpha": 16, "learning_rate": 1e-3}
QUICK = {"vocab": 400, "seq": 16, "dim": 16, "heads": 2, "blocks": 1, "ffn": 32, "batch": 32,
         "pretrain_samples": 256, "pretrain_epochs": 2, "samples": 256, "test_samples": 128,
         "epochs": 2}
WIDE = {"seq": 64, "dim": 256, "ffn": 1024, "batch": 32, "pretrain_samples": 1024,
        "pretrain_epochs": 3, "samples": 1024, "test_samples": 512, "epochs": 4}
CONFIGS = ("full", "lora8", "int8+lora8")


# --- data ---------------------------------------------------------------------------------
def task_a(n: int, s: dict, seed: int):
    """Which quarter of the vocabulary is over-sampled (40% of the tokens): 4 classes."""
    rng = np.random.default_rng(seed)
    quarter = s["vocab"] // 4
    labels = rng.integers(0, 4, n)
    x = rng.integers(0, s["vocab"], (n, s["seq"]))
    boosted = rng.random((n, s["seq"])) < 0.4
    x = np.where(boosted, labels[:, None] * quarter + rng.integers(0, quarter, x.shape), x)
    return x.astype("int32"), labels.astype("int32")


def task_b(n: int, s: dict, seed: int):
    """More tokens from the first quarter than from the last? Both over-sampled at random."""
    rng = np.random.default_rng(seed)
    quarter = s["vocab"] // 4
    x = rng.integers(0, s["vocab"], (n, s["seq"]))
    p_first, p_last = rng.uniform(0, 0.4, (n, 1)), rng.uniform(0, 0.4, (n, 1))
    draw = rng.random((n, s["seq"]))
    x = np.where(draw < p_first, rng.integers(0, quarter, x.shape), x)
    x = np.where((draw >= p_first) & (draw < p_first + p_last),
                 3 * quarter + rng.integers(0, quarter, x.shape), x)
    labels = (x < quarter).sum(axis=1) > (x >= 3 * quarter).sum(axis=1)
    return x.astype("int32"), labels.astype("int32")


# --- the model, written once for both libraries ------------------------------------------------
def encoder(lib, s: dict, classes: int):
    layers = lib.layers

    class PositionEmbedding(layers.Layer):
        def build(self, input_shape):
            self.table = self.add_weight(shape=(s["seq"], s["dim"]), initializer="uniform",
                                         name="table")

        def call(self, x):
            return x + self.table[None]

        def compute_output_shape(self, input_shape):
            return input_shape

    tokens = lib.Input((s["seq"],), dtype="int32")
    h = PositionEmbedding()(layers.Embedding(s["vocab"], s["dim"])(tokens))
    for _ in range(s["blocks"]):
        attended = layers.MultiHeadAttention(s["heads"], s["dim"] // s["heads"])(h, h)
        h = layers.LayerNormalization()(layers.Add()([h, attended]))
        hidden = layers.Dense(s["ffn"], activation="relu")(h)
        h = layers.LayerNormalization()(layers.Add()([h, layers.Dense(s["dim"])(hidden)]))
    pooled = layers.GlobalAveragePooling1D()(h)
    return lib.Model(tokens, layers.Dense(classes, activation="softmax", name="head")(pooled))


def _lib(system: str):
    if system == "hoarfrost":
        import hoarfrost
        return hoarfrost
    import keras
    return keras


def _targets(model):
    """The layers that get adapters: attention projections and the FFN's Dense layers."""
    found = []

    def visit(layer):
        for sub in getattr(layer, "_layers", []):
            kind = type(sub).__name__
            if kind in ("EinsumDense", "_EinsumDense") or (kind == "Dense"
                                                           and sub.name != "head"):
                found.append(sub)
            visit(sub)

    visit(model)
    return found


def configure(system: str, model, config: str, s: dict) -> None:
    """Apply a configuration with each library's own API."""
    if config == "full":
        return
    not_head = lambda layer: layer.name != "head"  # noqa: E731
    if system == "hoarfrost":
        if config.startswith("int8"):
            model.quantize("int8", filters=not_head)
        model.enable_lora(s["rank"], *_targets(model), lora_alpha=s["alpha"])
        model.unfreeze("head")
        return
    if config.startswith("int8"):
        import warnings
        with warnings.catch_warnings():  # layers without an int8 form (the position table)
            warnings.simplefilter("ignore")
            model.quantize("int8", filters=not_head)
    for variable in model.weights:
        variable.trainable = False
    for layer in _targets(model):
        layer.enable_lora(s["rank"], lora_alpha=s["alpha"])  # its adapters train
    for variable in model.get_layer("head").weights:
        variable.trainable = True


# --- one run per process ---------------------------------------------------------------------------
def pretrain(s: dict, out: str) -> dict:
    import hoarfrost
    model = encoder(hoarfrost, s, 4)
    model.compile(optimizer=hoarfrost.optimizers.Adam(s["learning_rate"]),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = task_a(s["pretrain_samples"], s, seed=1)
    xt, yt = task_a(s["test_samples"], s, seed=2)
    model.fit(x, y, batch_size=s["batch"], epochs=s["pretrain_epochs"], verbose=0)
    accuracy = float(model.evaluate(xt, yt, verbose=0)[1])
    np.savez(out, *model.get_weights())
    return {"pretrain_accuracy": accuracy}


def fine_tune(system: str, config: str, s: dict, base: str) -> dict:
    import resource
    lib = _lib(system)
    model = encoder(lib, s, 2)
    pretrained = np.load(base)
    pretrained = [pretrained[f"arr_{i}"] for i in range(len(pretrained.files))]
    weights = model.get_weights()
    shapes = [w.shape for w in weights[:-2]]
    if shapes != [w.shape for w in pretrained[:-2]]:
        raise ValueError(f"{system}: the weights' order differs from the pretrained file's")
    model.set_weights(pretrained[:-2] + weights[-2:])  # a new head
    configure(system, model, config, s)
    model.compile(optimizer=lib.optimizers.Adam(s["learning_rate"]),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = task_b(s["samples"], s, seed=3)
    xt, yt = task_b(s["test_samples"], s, seed=4)
    times = []

    class Timer(lib.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    model.fit(x, y, batch_size=s["batch"], epochs=s["epochs"], verbose=0, callbacks=[Timer()])
    accuracy = float(model.evaluate(xt, yt, verbose=0)[1])
    slots = sum(np.asarray(v).nbytes for v in model.optimizer.variables)
    later = sorted(times[1:]) or times
    return {"trainable": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
            "total": int(sum(np.prod(w.shape) for w in model.weights)),
            "optimizer_bytes": int(slots), "first_epoch_s": times[0],
            "epoch_s": later[len(later) // 2], "accuracy": accuracy,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_child(task: str, args: dict) -> dict:
    env = dict(os.environ, KERAS_BACKEND="jax")
    paths = [os.path.abspath(p) for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join([str(HERE)] + paths)  # the caller's, from any folder
    args = dict(args)
    python = args.pop("python", None) or sys.executable
    code = ("import json, lora; "
            f"print('RESULT' + json.dumps(lora.{task}(**json.loads({json.dumps(args)!r}))))")
    proc = subprocess.run([python, "-c", code], env=env, capture_output=True, text=True,
                          cwd=HERE)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT"):
            return json.loads(line[len("RESULT"):])
    return {"error": ((proc.stderr or proc.stdout).strip().splitlines() or ["failed"])[-1]}


def _row(system: str, config: str, r: dict, reference: dict | None) -> str:
    if "error" in r:
        return f"| {system} | {config} | error: {r['error'][:80]} | | | | | |"
    ratio = lambda key: f" ({r[key] / reference[key]:.2f}x)" if reference and reference.get(  # noqa: E731
        key) else ""
    return (f"| {system} | {config} | {r['trainable']:,} of {r['total']:,} | "
            f"{r['optimizer_bytes'] / 1024:,.1f} KiB{ratio('optimizer_bytes')} | "
            f"{r['peak_rss_mib']:,.0f} MiB | {r['first_epoch_s']:.2f} s | "
            f"{r['epoch_s']:.3f} s{ratio('epoch_s')} | {r['accuracy']:.4f} |")


def _median_run(runs: list) -> dict:
    """The run whose epoch time is the median of the rounds (an error if every round failed)."""
    good = sorted((r for r in runs if "error" not in r), key=lambda r: r["epoch_s"])
    return good[len(good) // 2] if good else runs[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", nargs="+", default=["hoarfrost", "keras-jax"])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS))
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--size", choices=("w5", "wide"), default="w5",
                        help="w5: width 64 (the speed benchmark's W5); wide: width 256")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run each (system, config) this many times, interleaved")
    parser.add_argument("--keras-python", default=None,
                        help="the Python that has Keras (default: this one)")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args()
    s = dict(SIZES, **(WIDE if args.size == "wide" else {}), **(QUICK if args.quick else {}))
    print(f"# {date.today()} on {platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.python_version()}; sizes: {json.dumps(s)}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        base = os.path.join(folder, "base.npz")
        pre = run_child("pretrain", {"s": s, "out": base})
        print(f"pretraining (task A, hoarfrost): {pre}")
        if "error" in pre:
            sys.exit(1)
        runs: dict = {}
        for round_ in range(args.rounds):
            for system in args.systems:
                for config in args.configs:
                    child = {"system": "hoarfrost" if system == "hoarfrost" else "keras",
                             "config": config, "s": s, "base": base}
                    if system != "hoarfrost" and args.keras_python:
                        child["python"] = args.keras_python
                    r = run_child("fine_tune", child)
                    runs.setdefault(system, {}).setdefault(config, []).append(r)
                    print(f"round {round_ + 1}: {system} {config}: {json.dumps(r)}", flush=True)
        results = {system: {config: _median_run(rs) for config, rs in by_config.items()}
                   for system, by_config in runs.items()}
        print("\n| system | config | trainable params | optimizer state | peak memory | "
              "first epoch | epoch (vs full) | accuracy |\n|---|---|---|---|---|---|---|---|")
        for system, by_config in results.items():
            for config, r in by_config.items():
                print(_row(system, config, r, by_config.get("full")))
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    if args.json:
        args.json.write_text(json.dumps({"sizes": s, "pretrain": pre, "results": results,
                                         "runs": runs},
                                        indent=1))


if __name__ == "__main__":
    main()
