"""The optimizer weights of a legacy HDF5 model file, into Keras's layout by name.

A legacy file names each optimizer weight (tf_keras 2: `iteration:0`,
`Adam/m/dense/kernel:0`; Keras 2's optimizers of TF 2.10 and earlier, tf_keras's
`optimizers.legacy`: `Adam/iter:0`, `Adam/dense/kernel/m:0`; Keras 3's legacy writer:
`adam/iteration`, `adam/hidden_kernel_momentum`), so they are matched to the model's variables
by name and placed in Keras 3's `optimizer/vars` layout, which
`keras_optimizer.restore_keras` checks and restores. What a file does not
hold starts as Keras itself would start it, or as an uninterrupted run holds it:

- tf_keras's Nadam keeps its `u_product` outside its variables: it is
  computed from the step count (what a run that was never saved holds;
  tf_keras itself restarts it at 1 after loading).
- tf_keras's Adafactor keeps nothing for the factored moments of a variable of
  fewer than two dimensions (Keras 3 keeps an int 0 there).
- tf_keras's LossScaleOptimizer saves only its inner optimizer's weights: the
  loss scale and its counter start fresh, as in tf_keras after loading.
"""

from __future__ import annotations

import numpy as np

from hoarfrost.host import to_host
from hoarfrost.saving import keras_optimizer

#: The names tf_keras's optimizers (`Adam/m/dense/kernel:0`) and Keras 2's (TF 2.10 and
#: earlier, tf_keras's `optimizers.legacy`: `Adam/dense/kernel/m:0`) give a slot that
#: hoarfrost (and Keras 3) name otherwise.
TF_KERAS_SLOTS = {"momentum": ("m",), "velocity": ("v", "rms"), "velocity_hat": ("vhat",),
                  "norm": ("u", "v"), "average_gradient": ("mg",),
                  "accumulated_grad": ("accum_grad",), "accumulated_delta_var": ("accum_var",)}
_COUNT_NAMES = ("iteration", "iter", "iterations")
_RATE_NAMES = ("learning_rate", "lr")
#: The names of an optimizer-wide value (Keras 3's legacy writer leaves Nadam's unnamed).
_SHARED_NAMES = {"u_product": ("u_product", "variable")}


def _short(name: str) -> str:
    return name.split("/")[-1].split(":")[0]


def restore(optimizer, variables: list, weights: list, names: dict) -> str | None:
    """Set `optimizer`'s state over `variables` (the trainable ones) from a legacy file's
    optimizer `weights` (`[(name, array)]`); `names` maps the file's weight names to the
    model's variables. Returns why not (nothing changed) or None when done."""
    entries = keras_optimizer.keras_entries(optimizer, variables)
    if entries is None:
        return f"optimizer {type(optimizer).__name__}: no Keras slot layout known"
    counts, rates, found = [], [], {}
    for name, value in weights:
        if _short(name) in _COUNT_NAMES:
            counts.append(value)
        elif _short(name) in _RATE_NAMES:
            rates.append(value)
        else:
            found[name] = value
    if not counts:
        return "its optimizer weights have no iteration count"
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    # Keras 3 writes a wrapper's own (unused) count and rate before its inner optimizer's.
    iterations = counts[-1]
    rate = rates[-1] if rates else np.asarray(float(inner.learning_rate), np.float32)
    state = optimizer.snapshot(variables, copy=False)
    by_variable = {id(v): n for n, v in names.items()}
    arrays = []
    for kind, variable, name in entries:
        if kind == "iterations":
            arrays.append(iterations)
        elif kind == "rate":
            arrays.append(rate)
        elif kind in ("own", "placeholder"):  # unused by Keras; an int 0 where Keras has one
            arrays.append(np.asarray(0, np.int32))
        elif kind == "extra":
            value = _named(found, (name,))
            arrays.append(np.asarray(to_host(state.extra[name])) if value is None else value)
        elif kind == "shared":
            value = _named(found, _SHARED_NAMES.get(name, (name,)))
            if value is None:
                value = keras_optimizer.shared_after(inner, name, int(np.asarray(iterations)))
            arrays.append(value)
        else:
            value = _slot(found, name, by_variable.get(id(variable)))
            if isinstance(value, str):
                return f"{value} for slot {name} of {variable.path}"
            arrays.append(value)
    return keras_optimizer.restore_keras(optimizer, variables, arrays)


def _named(found: dict, shorts: tuple):
    """The one weight whose last name part is one of `shorts`, else None."""
    matches = [n for n in found if _short(n) in shorts]
    return found[matches[0]] if len(matches) == 1 else None


def _slot(found: dict, keras_name: str, weight_name: str | None):
    """The file's weight of slot `keras_name` of the variable the file calls
    `weight_name`, or why there is not exactly one."""
    if weight_name is None:
        return "the model's variable has no weight name in the file"
    shorts = (keras_name, *TF_KERAS_SLOTS.get(keras_name, ()))
    variable = weight_name.split(":")[0]
    stem = variable.replace("/", "_")
    tf_keras = [n for n in found if any(f"/{n}".endswith(f"/{short}/{weight_name}")
                                        or f"/{n}".split(":")[0].endswith(f"/{variable}/{short}")
                                        for short in shorts)]
    exact = [n for n in found if f"/{n}".endswith(f"/{stem}_{keras_name}")]
    # Keras 3 names a weight by its variable's path, which may start with the model's name.
    prefixed = [n for n in found if n.endswith(f"_{stem}_{keras_name}")]
    for candidates in (tf_keras + exact, prefixed):
        if len(candidates) == 1:
            return found[candidates[0]]
        if len(candidates) > 1:
            return f"{len(candidates)} optimizer weights ({', '.join(candidates[:3])}) match"
    return f"no optimizer weight of the file (weight {weight_name!r}) matches"
