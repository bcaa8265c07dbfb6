"""Train a tiny model once and print its results and the compilation-cache hits as JSON.

Run by tests/test_compile_cache.py in fresh processes (the cache's setup is per process).
"""

import json
import logging

import jax
import numpy as np

hits: list = []
programs: list = []


class _CacheHits(logging.Handler):
    def emit(self, record):
        if "Persistent compilation cache hit" in record.getMessage():
            programs.append(record.args[0])


requests: list = []
jax.monitoring.register_event_listener(
    lambda event, **kwargs: hits.append(event) if event.endswith("/cache_hits") else None)
jax.monitoring.register_event_listener(  # each compilation that went through the cache
    lambda event, **kwargs: requests.append(event)
    if event.endswith("/compile_requests_use_cache") else None)
compiler_log = logging.getLogger("jax._src.compiler")
compiler_log.setLevel(logging.DEBUG)
compiler_log.addHandler(_CacheHits())

import hoarfrost  # noqa: E402  after the listeners, as a user's script would import it

cache_after_import = hoarfrost.compile_cache.directory().exists()
hoarfrost.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x, y = rng.normal(size=(64, 6)).astype("float32"), rng.integers(0, 3, 64)
model = hoarfrost.Sequential([hoarfrost.Input((6,)), hoarfrost.layers.Dense(8, activation="relu"),
                              hoarfrost.layers.Dense(3, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
print("RESULT" + json.dumps({
    "loss": history.history["loss"], "weights": [w.tolist() for w in model.get_weights()],
    "hits": len(hits), "requests": len(requests), "programs": programs, "cache_after_import": cache_after_import,
    "jax_cache_dir": jax.config.jax_compilation_cache_dir}))
