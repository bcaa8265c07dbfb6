"""Bad input to fit / evaluate / predict / train_on_batch (engine/data.py and the
models' input checks): each mistake is a clear error, naming the argument or layer,
what was expected and what was given, raised before any weight or optimizer
variable changes; the model trains normally afterwards.

One small model per kind serves every case (module-scoped): a refused call
compiles nothing, and "still trains" reuses one compiled step.
"""

import re

import numpy as np
import pytest

from hoarfrost import Input, Model, Sequential, layers, optimizers
from hoarfrost.py_dataset import PyDataset

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 3)).astype("float32")
Y = (np.arange(16) % 4).astype("int32")


@pytest.fixture(scope="module")
def model():
    """A 4-class softmax head on 3 features; one step taken, so Adam's slots exist."""
    model = Sequential([layers.Dense(4, activation="softmax", input_dim=3)])
    model.compile(optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    model.train_on_batch(X, Y)
    return model


def state(model) -> list:
    """Every weight and optimizer variable (step count, rate, Adam's slots), as NumPy."""
    return ([np.array(w) for w in model.get_weights()]
            + [np.array(v.numpy()) for v in model.optimizer.variables])


def assert_same(before: list, after: list) -> None:
    assert len(before) == len(after)
    for a, b in zip(before, after):
        assert a.shape == b.shape and np.array_equal(a, b)


def still_trains(model, x=X, y=Y) -> None:
    before = model.get_weights()
    model.train_on_batch(x, y)
    after = model.get_weights()
    assert all(np.isfinite(w).all() for w in after)
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))


def refused(model, call, match, error=ValueError) -> str:
    """`call(model)` raises `error` matching `match`, compiles and changes nothing, and
    the model trains afterwards; the message."""
    before, traces = state(model), dict(model.trace_counts)
    with pytest.raises(error) as info:
        call(model)
    message = str(info.value)
    assert re.search(match, message), message
    assert_same(before, state(model))
    assert model.trace_counts == traces
    still_trains(model)
    return message


def fit(x=X, y=Y, **kwargs):
    return lambda model: model.fit(x, y, verbose=0, **kwargs)


def labels(values, dtype="int32"):
    out = Y.astype(dtype)
    out[5] = values
    return out


def with_nan(array, value=np.nan):
    array = array.copy()
    array[3, 1] = value
    return array


EMPTY = (np.zeros((0, 3), "float32"), np.zeros((0,), "int32"))
SHAPE = r'Input of layer "dense\w*" of model "sequential\w*" is incompatible: expected shape '

CASES = {
    # wrong ranks and feature counts
    "x 3-D for a 2-D Sequential": (fit(np.ones((16, 2, 3), "float32")),
                                   SHAPE + r"\(None, 3\), .*shape \(16, 2, 3\)"),
    "predict 3-D": (lambda m: m.predict(np.ones((2, 2, 3), "float32"), verbose=0),
                    SHAPE + r"\(None, 3\), .*shape \(2, 2, 3\)"),
    "evaluate 3-D": (lambda m: m.evaluate(np.ones((16, 2, 3), "float32"), Y, verbose=0),
                     SHAPE + r"\(None, 3\), .*shape \(16, 2, 3\)"),
    "train_on_batch 3-D": (lambda m: m.train_on_batch(np.ones((16, 2, 3), "float32"), Y),
                           SHAPE + r"\(None, 3\)"),
    "a dict for a Sequential": (fit(x={"features": X}),
                                r'Sequential "sequential\w*" takes one input, "\w+" of shape '
                                r"\(None, 3\), but received a dict with keys \['features'\]"),
    "two arrays for a Sequential": (fit(x=[X, X]), r"takes one input of shape \(None, 3\), but "
                                                   r"received 2 arrays of shapes \[\(16, 3\), "
                                                   r"\(16, 3\)\]"),
    "x 1-D": (fit(np.ones(16, "float32")), r"expected min_ndim=2, found ndim=1.*\(16,\)"),
    "5 features for 3": (fit(np.ones((16, 5), "float32")), r"axis -1 .*value 3.*\(16, 5\)"),
    "predict 5 features": (lambda m: m.predict(np.ones((2, 5), "float32"), verbose=0),
                           r"axis -1 .*value 3.*\(2, 5\)"),
    # mismatched lengths
    "y shorter": (fit(y=Y[:12]), r"x has 16, y has 12"),
    "sample_weight shorter": (fit(sample_weight=np.ones(15, "float32")),
                              r"x has 16 samples, sample_weight has 15"),
    "sample_weight (N, 3)": (fit(sample_weight=np.ones((16, 3), "float32")),
                             r"`sample_weight` of shape \(16, 3\) does not fit loss "
                             r"'sparse_categorical_crossentropy'.*values have shape \(16,\).*"
                             r"shape \(16,\)"),
    # labels out of range for the head
    "label 4 of 4 classes": (fit(y=labels(4)), r"\[0, 4\).*holds 4 at index \(5,\)"),
    "label -1": (fit(y=labels(-1)), r"\[0, 4\).*holds -1"),
    "label 2**32+5 as int64": (fit(y=labels(2**32 + 5, "int64")),
                               r"`y` has dtype int64 and holds 4294967301 at index \(5,\), "
                               r"outside the int32 range"),
    "x int64 past int32": (fit(x=np.full((16, 3), 2**40, "int64")), r"`x` has dtype int64"),
    "evaluate label 9": (lambda m: m.evaluate(X, labels(9), verbose=0), r"holds 9"),
    "train_on_batch label 9": (lambda m: m.train_on_batch(X, labels(9)), r"holds 9"),
    "validation labels": (fit(validation_data=(X, labels(7))), r"holds 7"),
    # NaN / infinity: refused by name (SPEC.md, "Bad input")
    "NaN in x": (fit(x=with_nan(X)), r"`x` contains NaN \(first at sample 3"),
    "inf in x": (fit(x=with_nan(X, np.inf)), r"`x` contains infinity"),
    "NaN in sample_weight": (fit(sample_weight=np.r_[np.ones(15), np.nan].astype("float32")),
                             r"`sample_weight` contains NaN"),
    # empty arrays
    "fit empty": (fit(*EMPTY), r"fit\(\): `x` has no samples"),
    "evaluate empty": (lambda m: m.evaluate(*EMPTY, verbose=0), r"evaluate\(\): `x` has no"),
    "predict empty": (lambda m: m.predict(EMPTY[0], verbose=0), r"predict\(\): `x` has no"),
    "train_on_batch empty": (lambda m: m.train_on_batch(*EMPTY),
                             r"train_on_batch\(\): `x` has no samples"),
    "test_on_batch empty": (lambda m: m.test_on_batch(*EMPTY), r"`x` has no samples"),
    # bad batch sizes, epochs, steps
    "batch_size 0": (fit(batch_size=0), r"batch_size must be a positive integer, got 0"),
    "batch_size -4": (fit(batch_size=-4), r"got -4"),
    "batch_size 2.5": (fit(batch_size=2.5), r"got 2.5"),
    "batch_size '8'": (fit(batch_size="8"), r"got '8'"),
    "batch_size True": (fit(batch_size=True), r"got True"),
    "predict batch_size 0": (lambda m: m.predict(X, batch_size=0, verbose=0), r"got 0"),
    "epochs 2.5": (fit(epochs=2.5), r"`epochs` must be an integer >= 0.*got 2.5 of type float"),
    "epochs -1": (fit(epochs=-1), r"`epochs` must be an integer >= 0.*got -1"),
    "epochs '3'": (fit(epochs="3"), r"got '3' of type str"),
    "initial_epoch 1.5": (fit(initial_epoch=1.5), r"`initial_epoch` must be an integer"),
    "steps_per_epoch 0": (fit(steps_per_epoch=0), r"`steps_per_epoch` must be a positive"),
    # validation arguments
    "validation_split 1.0": (fit(validation_split=1.0),
                             r"`validation_split` must be a float in \[0, 1\).*got 1.0"),
    "validation_split '0.2'": (fit(validation_split="0.2"), r"got '0.2' of type str"),
    "validation_split -0.1": (fit(validation_split=-0.1), r"got -0.1"),
    "validation_split of 16 leaves none": (fit(validation_split=0.95),
                                           r"validation_split=0.95 of 16 samples leaves an empty"),
    "validation_freq 0": (fit(validation_split=0.25, validation_freq=0),
                          r"`validation_freq` must be an integer >= 1.*got 0"),
    "validation_freq [0]": (fit(validation_split=0.25, validation_freq=[0]), r"got \[0\]"),
    "validation_freq 1.5": (fit(validation_split=0.25, validation_freq=1.5), r"got 1.5"),
    "validation_data of 4": (fit(validation_data=(X, Y, None, None)),
                             r"validation_data must be a tuple .* of length 4"),
    # strings and objects
    "string x": (fit(x=np.array([["a", "b", "c"]] * 16)), r"`x` has dtype <U1; expected numbers"),
    "string y": (fit(y=np.array(["cat"] * 16)), r"`y` has dtype <U3"),
    "object x": (fit(x=np.array([[1.0, 2.0, None]] * 16, dtype=object)),
                 r"`x` holds Python objects \(dtype=object\)"),
    "ragged x": (fit(x=[[1.0, 2.0, 3.0], [1.0]] * 8), r"`x` could not be converted"),
    # class_weight and sample_weight
    "class_weight with sample_weight": (fit(class_weight={0: 1.0, 1: 2.0},
                                            sample_weight=np.ones(16, np.float32)),
                                        r"`class_weight` and `sample_weight` cannot be given"),
    "class_weight string keys": (fit(class_weight={"cat": 1.0, "dog": 2.0}),
                                 r"`class_weight` must have integer keys >= 0.*'cat' of type str"),
    "class_weight key 1.5": (fit(class_weight={0: 1, 1.5: 1, 2: 1, 3: 1}), r"key 1.5"),
    "class_weight NaN": (fit(class_weight={0: np.nan, 1: 1, 2: 1, 3: 1}),
                         r"finite weights >= 0; got nan for class 0"),
    "class_weight a list": (fit(class_weight=[1.0, 2.0]), r"`class_weight` must be a dict"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_refused_before_anything_changes(model, case):
    call, match = CASES[case]
    refused(model, call, match)


def test_accepted_as_keras_does(model):
    """What Keras accepts stays accepted: epochs=0 (trains nothing), string class keys
    that are numbers ("0"), validation_freq as a list of epochs, a Sequential's input as
    a dict by its name, a list of one or with a trailing axis of 1, int64 labels in
    range, one weight per sample as (N, 1)."""
    before = state(model)
    history = model.fit(X, Y, epochs=0, verbose=0)
    assert history.history == {}
    assert_same(before, state(model))
    history = model.fit(X, Y, epochs=2, batch_size=12, validation_split=0.25,
                        validation_freq=[2], class_weight={"0": 1, "1": 1, "2": 1, "3": 2.0},
                        verbose=0)
    assert len(history.history["loss"]) == 2 and len(history.history["val_loss"]) == 1
    expected = np.asarray(model(X))  # one input: a dict by its name, a list of one (eager)
    assert np.array_equal(np.asarray(model({model.input.name: X})), expected)
    assert np.array_equal(np.asarray(model([X])), expected)
    assert np.array_equal(np.asarray(model(X[:, :, None])), expected)  # (n, 3, 1) squeezed
    model.train_on_batch(X, Y.astype("int64"))
    model.train_on_batch(X, Y, sample_weight=np.ones((16, 1), "float32"))
    assert np.isfinite(model.evaluate(X, Y, verbose=0))


# --- iterables: every batch is checked, not only the first -------------------------------
def batches(bad_at=None, bad=None, count=4):
    for i in range(count):
        x, y = X[4 * i:4 * i + 4], Y[4 * i:4 * i + 4].copy()
        if i == bad_at:
            if isinstance(bad, BaseException):
                raise bad
            y[1] = bad
        yield x, y


class Batches(PyDataset):
    def __init__(self, bad_at, bad):
        super().__init__()
        self.bad_at, self.bad = bad_at, bad

    def __len__(self):
        return 4

    def __getitem__(self, index):
        return list(batches(self.bad_at, self.bad, count=index + 1))[index]


def restore(model, saved: list) -> None:
    weights = len(model.get_weights())
    model.set_weights(saved[:weights])
    for variable, value in zip(model.optimizer.variables, saved[weights:]):
        variable.assign(value)


@pytest.mark.parametrize("data, error, match", [
    (lambda: batches(2, 4), ValueError,
     r"Batch 2 \(0-based\) of this epoch .*\[0, 4\).*holds 4 at index \(1,\)"),
    (lambda: batches(2, -1), ValueError, r"Batch 2 .*holds -1"),
    (lambda: Batches(2, 9), ValueError, r"Batch 2 .*holds 9"),
    (lambda: batches(2, RuntimeError("the source went away")), RuntimeError,
     r"^the source went away$"),  # the generator's own error, as it raised it
])
def test_a_bad_batch_mid_epoch_stops_before_it_trains(model, data, error, match):
    """The batches before the bad one trained, exactly as a run of only those batches;
    the bad one changed nothing; the model trains afterwards."""
    start = state(model)
    with pytest.raises(error, match=match):
        model.fit(data(), verbose=0, shuffle=False)  # a PyDataset in its index order
    failed = state(model)
    restore(model, start)
    model.fit(batches(count=2), verbose=0)
    assert_same(state(model), failed)
    model.fit(batches(), verbose=0)
    still_trains(model)


def test_an_empty_batch_mid_epoch(model):
    def data():
        yield X[:4], Y[:4]
        yield X[:0], Y[:0]

    with pytest.raises(ValueError, match=r"Batch 1 .*fit\(\): this batch has no samples"):
        model.fit(data(), verbose=0)
    still_trains(model)


# --- dict inputs --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def two_inputs():
    a, b = Input((3,), name="a"), Input((2,), name="b")
    out = layers.Dense(4, activation="softmax")(layers.Concatenate()([a, b]))
    model = Model({"a": a, "b": b}, out)
    model.compile(optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    inputs = {"a": X, "b": X[:, :2]}
    model.train_on_batch(inputs, Y)
    return model, inputs


@pytest.mark.parametrize("inputs, match", [
    ({"a": X, "c": X[:, :2]}, r"input dict is missing \['b'\]; expected keys \['a', 'b'\], "
                              r"got \['a', 'c'\]"),
    ({"a": X, "b": X}, r'Input of layer "b" .*expected shape \(None, 2\), .*\(16, 3\)'),
    ({"a": X, "b": X[:12, :2]}, r"different sample counts: \[12, 16\]"),
])
def test_dict_inputs_refused_by_name(two_inputs, inputs, match):
    model, good = two_inputs
    before, traces = state(model), dict(model.trace_counts)
    with pytest.raises(ValueError, match=match):
        model.fit(inputs, Y, verbose=0)
    assert_same(before, state(model))
    assert model.trace_counts == traces
    still_trains(model, good)


# --- the learning rate and its multipliers ------------------------------------------------
def test_lr_multipliers_refused_by_pattern_and_value(model):
    optimizer = model.optimizer
    before, traces = state(model), dict(model.trace_counts)
    with pytest.raises(ValueError, match=r"factors must be finite numbers >= 0; got nan"):
        model.compile(optimizer, "sparse_categorical_crossentropy",
                      lr_multipliers={"*": float("nan")})
    assert optimizer.lr_multipliers == {}
    optimizer.lr_multipliers = {"no_such/*": 0.5}  # as freeze("no_such"): refused by name
    with pytest.raises(ValueError, match=r"pattern 'no_such/\*' matches no variable path of "
                                         r"model \"sequential\w*\". Variable paths look like: "
                                         r"dense\w*/kernel"):
        model.fit(X, Y, verbose=0)
    optimizer.lr_multipliers = {"*": 0.5}
    optimizer.lr_multipliers["*"] = -1.0  # edited in place: caught when used
    with pytest.raises(ValueError, match=r"got -1.0 for '\*'"):
        model.train_on_batch(X, Y)
    assert_same(before, state(model))
    assert model.trace_counts == traces
    optimizer.lr_multipliers = {}
    still_trains(model)


@pytest.mark.parametrize("rate", [float("nan"), float("inf"), -0.01])
def test_learning_rate_set_to_nan_or_negative_is_refused(model, rate):
    before = state(model)
    with pytest.raises(ValueError, match=r"`learning_rate` must be a finite number >= 0 or a "
                                         r"schedule; got " + re.escape(repr(rate))):
        model.optimizer.learning_rate = rate
    assert_same(before, state(model))
    still_trains(model)


def test_huge_finite_values_are_accepted_silently():
    """The finiteness check sums first; a sum that overflows (finite values near float32's
    maximum) is checked value by value, and nothing is refused or warned about."""
    import warnings

    from hoarfrost.engine.data import check_finite
    huge = np.full((8, 3), 3e38, np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_finite((huge, np.full((8,), 6e4, np.float16)), "x")
        huge[5, 1] = -np.inf
        with pytest.raises(ValueError, match=r"`x` contains infinity \(first at sample 5"):
            check_finite((huge,), "x")
