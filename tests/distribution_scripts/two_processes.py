"""One of two processes of a multi-process run on loopback (JAX's runtime, Gloo on CPU).

    python two_processes.py PROCESS_ID PORT OUT_DIR

Run by tests/test_distribution.py, twice at once (process ids 0 and 1), with
`XLA_FLAGS=--xla_force_host_platform_device_count=2` (2 CPU devices per
process, 4 in all). Each process trains the W1 model (784-300-100-10 MLP,
Adam) on random data for 8 steps, three ways, and writes its final weights
to OUT_DIR/weights_<id>.npz, with those of a single-process run on the same
global batches (process 0: the reference for way 1, process 1: for 2 and 3).
In way 2 process 1 starts from other weights: variables start from process 0's.
The third way also prints its progress (`verbose=2`), logs with `CSVLogger`
and `ModelCheckpoint` (OUT_DIR/log_<id>.csv, OUT_DIR/checkpoint_<id>.weights.safetensors),
saves its weights to OUT_DIR/saved_by_<id>.weights.safetensors and plots its history
(OUT_DIR/history_<id>.png): process 0 alone should do all of that. Then a tiny
model is backed up with `BackupAndRestore` and restored by a new fit on every
process (weights and optimizer variables kept as `backed_up` and `restored`),
and a fit with a different seed per process is refused (info `different_seeds`).
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

PER_PROCESS_BATCH, SAMPLES = 16, 256  # 8 global steps of 32 per epoch, 4 per compiled call


def mlp(hoarfrost, layers):
    hoarfrost.backend.clear_session()
    hoarfrost.utils.set_random_seed(0)
    model = hoarfrost.Sequential([layers.Flatten(input_shape=(28, 28)),
                                  layers.Dense(300, activation="relu"),
                                  layers.Dense(100, activation="relu"),
                                  layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], steps_per_execution=4)
    return model


def tiny(hoarfrost, layers):
    hoarfrost.utils.set_random_seed(1)
    model = hoarfrost.Sequential([layers.Dense(4, activation="softmax", input_shape=(3,))])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def main(process_id: int, port: int, out_dir: str) -> None:
    start = time.perf_counter()
    import jax

    import hoarfrost
    from hoarfrost import callbacks, distribution, layers
    distribution.initialize(f"127.0.0.1:{port}", num_processes=2, process_id=process_id)
    assert jax.process_count() == 2 and jax.device_count() == 2 * jax.local_device_count()

    rng = np.random.default_rng(0)
    x = rng.random((SAMPLES, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, SAMPLES).astype("int32")
    out, info = {}, {"process": process_id}

    # 1. Every process passes the same arrays (auto_shard_dataset=True, the default):
    #    each global batch is 2 x 16 consecutive rows of the (shared) shuffled order.
    distribution.set_distribution(distribution.DataParallel())
    model = mlp(hoarfrost, layers)
    model.fit(x, y, batch_size=PER_PROCESS_BATCH, epochs=1, verbose=0)
    out["same_data"] = model.get_weights()
    info["same_data_eval"] = model.evaluate(x, y, verbose=0)
    info["same_data_predict_shape"] = list(model.predict(x[:64], verbose=0).shape)

    # 2. Each process passes its own half (auto_shard_dataset=False): global batch k is
    #    process 0's k-th local batch, then process 1's.
    distribution.set_distribution(distribution.DataParallel(auto_shard_dataset=False))
    half = slice(process_id * SAMPLES // 2, (process_id + 1) * SAMPLES // 2)
    model = mlp(hoarfrost, layers)
    if process_id == 1:  # different starting weights here: process 0's must win (broadcast)
        model.set_weights([w + 1.0 for w in model.get_weights()])
    model.fit(x[half], y[half], batch_size=PER_PROCESS_BATCH, epochs=1, shuffle=False,
              verbose=0)
    out["own_data"] = model.get_weights()
    info["own_data_eval"] = model.evaluate(x[half], y[half], verbose=0)

    # 3. The same stream of batches on every process: one global batch per 2 batches.
    #    The stream is ordered as in 2, so both train on the same global batches.
    order = np.arange(SAMPLES).reshape(2, -1, PER_PROCESS_BATCH).transpose(1, 0, 2).ravel()
    distribution.set_distribution(distribution.DataParallel())
    model = mlp(hoarfrost, layers)
    print(f"process {process_id} fits with verbose=2", flush=True)
    model.fit(((x[order[i:i + 16]], y[order[i:i + 16]]) for i in range(0, SAMPLES, 16)),
              epochs=1, verbose=2,  # the progress line and files: process 0 only
              callbacks=[callbacks.CSVLogger(f"{out_dir}/log_{process_id}.csv"),
                         callbacks.ModelCheckpoint(
                             f"{out_dir}/checkpoint_{process_id}.weights.safetensors",
                             monitor="loss", save_weights_only=True)])
    out["stream"] = model.get_weights()
    model.save_weights(f"{out_dir}/saved_by_{process_id}.weights.safetensors")  # process 0 only
    from hoarfrost.plotting import plot_history
    plot_history(model.history, f"{out_dir}/history_{process_id}.png")

    # 4. BackupAndRestore: process 0 writes the backup; a new fit on every process restores
    #    the weights and the optimizer's slots and step count from it.
    small_x, small_y = x[:32, 0, :3], y[:32] % 4
    small = tiny(hoarfrost, layers)
    backup = callbacks.BackupAndRestore(f"{out_dir}/backup", delete_checkpoint=False)
    small.fit(small_x, small_y, batch_size=8, epochs=1, verbose=0, callbacks=[backup])
    out["backed_up"] = small.get_weights() + [v.numpy() for v in small.optimizer.variables]
    from jax.experimental import multihost_utils
    multihost_utils.sync_global_devices("backup written")  # process 0 has written it
    small = tiny(hoarfrost, layers)
    small.fit(small_x + 1.0, small_y, batch_size=8, epochs=1, verbose=0, callbacks=[
        callbacks.BackupAndRestore(f"{out_dir}/backup")])  # restored at epoch 1: no training
    # (other data: had it trained instead of restoring, it would end elsewhere)
    out["restored"] = small.get_weights() + [v.numpy() for v in small.optimizer.variables]

    # 5. Different explicit seeds with auto-sharded shuffling: refused on every process.
    small = tiny(hoarfrost, layers)
    hoarfrost.utils.set_random_seed(process_id)
    try:
        small.fit(small_x, small_y, batch_size=8, epochs=1, verbose=0)
        info["different_seeds"] = "trained"
    except ValueError as error:
        info["different_seeds"] = str(error)
    distribution.set_distribution(None)
    info["seconds_distributed"] = round(time.perf_counter() - start, 2)

    # Single-process references on the same global batches of 32 (each process one, on its
    # own devices only, so they run at the same time).
    model = mlp(hoarfrost, layers)
    if process_id == 0:  # 1: the shared shuffled order
        model.fit(x, y, batch_size=2 * PER_PROCESS_BATCH, epochs=1, verbose=0)
        out["ref_same_data"] = model.get_weights()
        info["ref_same_data_eval"] = model.evaluate(x, y, verbose=0)
    else:  # 2 and 3: the halves interleaved batch by batch
        model.fit(x[order], y[order], batch_size=2 * PER_PROCESS_BATCH, epochs=1,
                  shuffle=False, verbose=0)
        out["ref_interleaved"] = model.get_weights()
    info["seconds"] = round(time.perf_counter() - start, 2)

    np.savez(f"{out_dir}/weights_{process_id}.npz",
             **{f"{name}/{i}": w for name, ws in out.items() for i, w in enumerate(ws)})
    print("RESULT " + json.dumps(info), flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
