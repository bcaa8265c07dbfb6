"""Keras fixtures for the small namespaces: activations, initializers, constraints,
random, tree, and the public names of each namespace.

Run from this folder:

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python namespaces.py

Writes, under tests/fixtures/:

- `keras_activations.npz`: the input `x` and, per `name|kwargs-json`, Keras's
  output; `serialize` holds `activations.serialize` of every function.
- `keras_initializers.npz`: the deterministic initializers' values (`Zeros`,
  `Ones`, `Constant`, `Identity`, `STFT` with each window), keyed
  `Class|kwargs-json|shape-json`; `configs` holds `initializers.serialize` of
  every class with non-default arguments.
- `keras_constraints.npz`: each constraint applied to fixed weights; a Dense
  layer with `kernel_constraint=MaxNorm(0.5)` and `bias_constraint=NonNeg()`
  after 3 SGD steps (`dense_*`); the serialized configs.
- `keras_random.npz`: the first values of large draws of every `keras.random`
  function with an int seed and (but gamma, beta, binomial) a `SeedGenerator`
  (two draws), and the generator's state; a fit drawing from a layer's
  SeedGenerator; the JAX version (the values depend on JAX's PRNG).
- `keras_tree.json`: `keras.tree` results (as repr strings) on fixed structures.
- `keras_namespaces.json`: the public names of the namespaces built here.
"""

import collections
import json
import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures"
rng = np.random.default_rng(0)


def key(name, kwargs, *extra):
    return "|".join([name, json.dumps(kwargs, sort_keys=True)] + [json.dumps(e) for e in extra])


# --- activations -----------------------------------------------------------------------------
x = (rng.normal(size=(3, 8)) * 3).astype("float32")
x[0, :4] = [-1.0, 1.0, 0.5, -0.5]  # the corners of the piecewise functions
acts = {"x": x}
names = [n for n in dir(keras.activations) if not n.startswith("_")
         and n not in ("get", "serialize", "deserialize")]
variants = {
    "relu": [{"negative_slope": 0.1, "max_value": 4.0, "threshold": 0.5}, {"max_value": 6}],
    "leaky_relu": [{"negative_slope": 0.1}], "elu": [{"alpha": 0.5}], "celu": [{"alpha": 0.5}],
    "gelu": [{"approximate": True}],
    "soft_shrink": [{"threshold": 1.0}], "hard_shrink": [{"threshold": 1.0}],
    "squareplus": [{"b": 1.0}], "softmax": [{"axis": 0}], "log_softmax": [{"axis": 0}],
    "sparsemax": [{"axis": 0}],
}
required = {"threshold": {"threshold": 0.5, "default_value": -1.0}}
for name in names:
    fn = getattr(keras.activations, name)
    for kwargs in [required.get(name, {})] + variants.get(name, []):
        acts[key(name, kwargs)] = np.asarray(fn(x, **kwargs))
acts["serialize"] = np.array(json.dumps({n: keras.activations.serialize(getattr(keras.activations, n))
                                         for n in names}))
np.savez_compressed(OUT / "keras_activations.npz", **acts)
print("wrote keras_activations.npz:", len(acts) - 2, "outputs")

# --- initializers ----------------------------------------------------------------------------
inits = {}
I = keras.initializers
for cls, kwargs, shape in [
    (I.Zeros, {}, (2, 3)), (I.Ones, {}, (4,)), (I.Constant, {"value": 3.5}, (2, 2)),
    (I.Identity, {}, (3, 4)), (I.Identity, {"gain": 2.0}, (4, 3)),
] + [(I.STFT, {"window": w, "periodic": p}, (16, 1, 9))
     for w in ("hann", "hamming", "blackman", "bartlett", "boxcar") for p in (False, True)] + [
    (I.STFT, {"side": "imag", "scaling": "spectrum"}, (12, 1, 7)),
    (I.STFT, {"window": None, "scaling": None}, (8, 1, 5)),
]:
    inits[key(cls.__name__, kwargs, list(shape))] = np.asarray(cls(**kwargs)(shape))
configs = {}
for cls, kwargs in [(I.Zeros, {}), (I.Constant, {"value": 2.0}), (I.Identity, {"gain": 0.5}),
                    (I.RandomNormal, {"mean": 1.0, "stddev": 2.0, "seed": 3}),
                    (I.RandomUniform, {"minval": -1.0, "maxval": 2.0, "seed": None}),
                    (I.TruncatedNormal, {"stddev": 0.5, "seed": 1}),
                    (I.VarianceScaling, {"scale": 2.0, "mode": "fan_out",
                                         "distribution": "uniform", "seed": 4}),
                    (I.GlorotUniform, {"seed": 5}), (I.GlorotNormal, {}), (I.HeNormal, {}),
                    (I.HeUniform, {}), (I.LecunNormal, {}), (I.LecunUniform, {}),
                    (I.Orthogonal, {"gain": 2.0, "seed": 6}),
                    (I.STFT, {"side": "imag", "window": "hamming"})]:
    configs[key(cls.__name__, kwargs)] = I.serialize(cls(**kwargs))
inits["configs"] = np.array(json.dumps(configs))
np.savez_compressed(OUT / "keras_initializers.npz", **inits)
print("wrote keras_initializers.npz")

# --- constraints -----------------------------------------------------------------------------
C = keras.constraints
w2 = (rng.normal(size=(5, 4)) * 2).astype("float32")
w4 = (rng.normal(size=(3, 3, 2, 4))).astype("float32")
cons = {"w2": w2, "w4": w4}
cases = [("MaxNorm", {"max_value": 2.0, "axis": 0}, "w2"), ("MaxNorm", {}, "w2"),
         ("MaxNorm", {"max_value": 1.5, "axis": [0, 1, 2]}, "w4"),
         ("UnitNorm", {"axis": 0}, "w2"), ("UnitNorm", {"axis": 1}, "w2"),
         ("MinMaxNorm", {"min_value": 2.5, "max_value": 3.0, "rate": 0.7, "axis": 0}, "w2"),
         ("MinMaxNorm", {"axis": [0, 1, 2]}, "w4"), ("NonNeg", {}, "w2")]
for name, kwargs, w in cases:
    cons[key(name, kwargs, w)] = np.asarray(getattr(C, name)(**kwargs)(cons[w]))
cons["configs"] = np.array(json.dumps({key(n, k): C.serialize(getattr(C, n)(**k))
                                       for n, k, _ in cases}))
# A Dense layer whose kernel and bias are projected after each SGD step.
dense_x = rng.normal(size=(6, 5)).astype("float32")
dense_y = rng.normal(size=(6, 3)).astype("float32")
model = keras.Sequential([keras.Input((5,)),
                          keras.layers.Dense(3, kernel_constraint=C.MaxNorm(0.5),
                                             bias_constraint=C.NonNeg())])
initial = [rng.normal(size=(5, 3)).astype("float32"), rng.normal(size=(3,)).astype("float32")]
model.set_weights(initial)
model.compile(keras.optimizers.SGD(0.1), "mse")
model.fit(dense_x, dense_y, batch_size=2, epochs=1, shuffle=False, verbose=0)
cons.update({"dense_x": dense_x, "dense_y": dense_y, "dense_kernel_0": initial[0],
             "dense_bias_0": initial[1], "dense_kernel": model.get_weights()[0],
             "dense_bias": model.get_weights()[1],
             "dense_config": np.array(json.dumps(model.layers[0].get_config()))})
np.savez_compressed(OUT / "keras_constraints.npz", **cons)
print("wrote keras_constraints.npz")

# --- random ----------------------------------------------------------------------------------
# Large draws (their statistics are tested too), of which the fixture keeps a 2 x 12 corner.
R = keras.random
logits = np.log(np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]], "float32"))
ones = np.ones((200, 100), "float32")
calls = {
    "normal": lambda s: R.normal((200, 100), mean=1.0, stddev=2.0, seed=s),
    "uniform": lambda s: R.uniform((200, 100), minval=-1.0, maxval=3.0, seed=s),
    "truncated_normal": lambda s: R.truncated_normal((200, 100), mean=0.5, stddev=2.0, seed=s),
    "randint": lambda s: R.randint((200, 100), 3, 7, seed=s),
    "categorical": lambda s: R.categorical(logits, 10000, seed=s),
    "dropout": lambda s: R.dropout(ones, 0.25, seed=s),
    "dropout_noise_shape": lambda s: R.dropout(ones, 0.25, noise_shape=(1, 100), seed=s),
    "shuffle": lambda s: R.shuffle(np.arange(50, dtype="float32").reshape(5, 10), axis=1,
                                   seed=s),
}
heavy = {  # slow to compile: drawn with an int seed only
    "gamma": lambda s: R.gamma((200, 100), alpha=3.0, seed=s),
    "beta": lambda s: R.beta((200, 100), alpha=2.0, beta=6.0, seed=s),
    "binomial": lambda s: R.binomial((200, 100), counts=10, probabilities=0.3, seed=s),
}


def head(a):
    return np.asarray(a)[:2, :12]


draws = {"jax_version": np.array(jax.__version__)}
for name, call in {**calls, **heavy}.items():
    draws[f"{name}|int"] = head(call(42))
    if name in heavy:
        continue
    generator = R.SeedGenerator(7)
    draws[f"{name}|gen0"] = head(call(generator))
    draws[f"{name}|gen1"] = head(call(generator))
    draws[f"{name}|state"] = np.asarray(generator.state.value)

# A layer drawing from its SeedGenerator inside fit: 4 SGD steps on a zero-initialised kernel,
# whose gradients are the noise of each step.
class Noise(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = R.SeedGenerator(1337)

    def call(self, x):
        return x + R.normal(keras.ops.shape(x), seed=self.seed_generator)


noise_model = keras.Sequential([keras.Input((3,)),
                                keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros"),
                                Noise()])
noise_model.compile(keras.optimizers.SGD(0.1), "mse")
noise_model.fit(np.ones((8, 3), "float32"), np.zeros((8, 1), "float32"), batch_size=4, epochs=2,
                shuffle=False, verbose=0)
draws["fit_kernel"] = noise_model.get_weights()[0]
draws["fit_state"] = np.asarray(noise_model.layers[-1].seed_generator.state.value)
np.savez_compressed(OUT / "keras_random.npz", **draws)
print("wrote keras_random.npz")

# --- tree ------------------------------------------------------------------------------------
T = keras.tree
Point = collections.namedtuple("Point", ["x", "y"])
structures = {
    "nested": [(1, 2), [3], {"b": 4, "a": 5}],
    "ordered": collections.OrderedDict([("z", 1), ("a", (2, 3))]),
    "named": Point(x=1, y=[2, None]),
    "none": None,
    "scalar": 7,
    "empty": [(), {}, []],
}
results = {}
for name, s in structures.items():
    results[f"flatten|{name}"] = repr(T.flatten(s))
    results[f"flatten_with_path|{name}"] = repr(T.flatten_with_path(s))
    results[f"is_nested|{name}"] = repr(T.is_nested(s))
    results[f"lists_to_tuples|{name}"] = repr(T.lists_to_tuples(s))
    results[f"map|{name}"] = repr(T.map_structure(lambda v: None if v is None else v * 10, s))
    results[f"pack|{name}"] = repr(T.pack_sequence_as(s, list(range(len(T.flatten(s))))))
    visited = []
    results[f"traverse_top|{name}"] = repr(T.traverse(visited.append, s))
    results[f"traverse_top_visited|{name}"] = repr(visited)
    visited = []
    T.traverse(visited.append, s, top_down=False)
    results[f"traverse_bottom_visited|{name}"] = repr(visited)
results["map_shape"] = repr(T.map_shape_structure(lambda s: len(s), [(None, 3), {"a": (2,)}, ()]))
results["map_up_to"] = repr(T.map_structure_up_to([0, [0, 0]], str, [[1, 1], [2, 2]]))
results["map_none_not_leaf"] = repr(T.map_structure(lambda v: v + 1, [1, None],
                                                    none_is_leaf=False))
results["traverse_replace"] = repr(T.traverse(
    lambda v: T.MAP_TO_NONE if v == (1, 2) else None, [(1, 2), [3]]))
results["pack_dict_order"] = repr(T.pack_sequence_as({"key3": "", "key1": "", "key2": ""},
                                                     ["value1", "value2", "value3"]))
for a, b in [([(0, 1)], [(2, 3)]), ([0, 1], (2, 3)), (Point(0, 1), (0, 1)),
             ({"a": 1, "b": 2}, collections.OrderedDict([("b", 1), ("a", 2)])), ([1], [[1]])]:
    try:
        T.assert_same_structure(a, b)
        outcome = "same"
    except ValueError:
        outcome = "ValueError"
    results[f"assert_same_structure|{a!r}|{b!r}"] = outcome
    try:
        T.assert_same_paths(a, b)
        outcome = "same"
    except ValueError:
        outcome = "ValueError"
    results[f"assert_same_paths|{a!r}|{b!r}"] = outcome
(OUT / "keras_tree.json").write_text(json.dumps(results, indent=1, sort_keys=True))
print("wrote keras_tree.json")

# --- names -----------------------------------------------------------------------------------
spaces = {n: sorted(x for x in dir(getattr(keras, n)) if not x.startswith("_"))
          for n in ("activations", "backend", "config", "constraints", "initializers", "random",
                    "tree")}
spaces["keras"] = sorted(x for x in dir(keras) if not x.startswith("_"))
(OUT / "keras_namespaces.json").write_text(json.dumps(spaces, indent=1))
print("wrote keras_namespaces.json")
