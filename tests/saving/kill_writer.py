"""The process `test_kill_during_save.py` kills with SIGKILL, and the models both share.

Run as a script (`python kill_writer.py WORKDIR`), it writes without end, in
three threads, until it is killed:

- `model.save` of a model whose weights all hold the generation number,
  to `saved.keras`, logging `save <generation>` once the call returned;
- `save_weights` the same way to `saved.weights.safetensors` (`weights <g>`);
- `fit` of `fit_model()` with `ModelCheckpoint` (`checkpoint.keras`, every epoch)
  and `BackupAndRestore` (`backup/`), logging `epoch <e>` after both saved.

The log tells the killer where each writer stood: a file must hold the last
logged generation or the next one, complete.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import numpy as np

EPOCHS = 12
SEED = 7
FIT_X = np.random.default_rng(0).normal(size=(8, 16)).astype("float32")
FIT_Y = np.random.default_rng(1).normal(size=(8, 4)).astype("float32")


def generation_model(name: str):
    """A model of ~1 MB of weights (so that a kill often lands inside a write)."""
    from hoarfrost import Sequential, layers
    return Sequential([layers.Dense(256, input_dim=256, name=f"{name}_a"),
                       layers.Dense(256, name=f"{name}_b")], name=name)


def generation_weights(model, generation: int) -> list:
    """Weights that say which generation they are: every value is `generation`
    plus the weight's index (so a mix of two saves is caught too)."""
    return [np.full(w.shape, generation + i / 10, w.dtype) for i, w in enumerate(model.weights)]


def fit_model():
    """A frozen layer under Adam, the same in the killed process and in the test."""
    import hoarfrost
    from hoarfrost import Sequential, layers, optimizers
    hoarfrost.utils.set_random_seed(SEED)
    model = Sequential([layers.Dense(32, activation="relu", input_dim=16, name="base"),
                        layers.Dense(32, activation="relu", name="middle"),
                        layers.Dense(4, name="head")], name="fitted")
    model.get_layer("middle").trainable = False
    model.compile(optimizers.Adam(0.01), "mse")
    return model


def run_fit(model, callbacks, epochs: int = EPOCHS):
    import hoarfrost
    hoarfrost.utils.set_random_seed(SEED + 1)
    return model.fit(FIT_X, FIT_Y, batch_size=4, epochs=epochs, callbacks=callbacks,
                     shuffle=True, verbose=0)


def exit_with_parent(limit: float = 600.0) -> None:
    """Never outlive the test (killed itself before it could kill this process)."""
    parent, start = os.getppid(), time.monotonic()
    while os.getppid() == parent and time.monotonic() - start < limit:
        time.sleep(0.5)
    os._exit(1)


def main(workdir: str) -> None:
    from hoarfrost.callbacks import BackupAndRestore, LambdaCallback, ModelCheckpoint

    log = open(os.path.join(workdir, "progress.log"), "a", buffering=1)
    lock = threading.Lock()

    def note(line: str) -> None:
        with lock:
            log.write(line + "\n")
            log.flush()

    def save_forever(model, kind: str, path: str) -> None:
        generation = 0
        while True:
            generation += 1
            model.set_weights(generation_weights(model, generation))
            if kind == "save":
                model.save(path)
            else:
                model.save_weights(path)
            note(f"{kind} {generation}")

    savers = [(generation_model(kind), kind, os.path.join(workdir, name))
              for kind, name in (("save", "saved.keras"),
                                 ("weights", "saved.weights.safetensors"))]
    model = fit_model()  # seeded: built after the savers drew from the random stream
    threading.Thread(target=exit_with_parent, daemon=True).start()
    for args in savers:
        threading.Thread(target=save_forever, args=args, daemon=True).start()
    callbacks = [ModelCheckpoint(os.path.join(workdir, "checkpoint.keras")),
                 BackupAndRestore(os.path.join(workdir, "backup")),
                 LambdaCallback(on_epoch_end=lambda epoch, logs: note(f"epoch {epoch + 1}"))]
    run_fit(model, callbacks)
    note("fit done")
    threading.Event().wait()  # the savers go on until the kill


if __name__ == "__main__":
    main(sys.argv[1])
