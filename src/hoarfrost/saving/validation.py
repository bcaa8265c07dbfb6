"""Checks of a saved file's contents, run before anything is built or assigned.

Each check takes `where` (how errors name the file and member, such as
`'model.keras', member config.json`) and raises one ValueError naming it and
what is wrong, instead of a RecursionError, KeyError or IndexError from deep
inside the rebuild, or a mismatch found later inside a compiled step.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 256  # a saved model's JSON nests a few levels per nested model
_MODELS = ("Sequential", "Functional", "Model")  # whose `layers` are layer entries


def loads_json(blob: bytes | str, where: str) -> Any:
    """Parse JSON, refusing invalid text and nesting deeper than `MAX_DEPTH`."""
    try:
        value = json.loads(blob)
    except RecursionError:
        raise ValueError(f"{where} is corrupted or crafted: its JSON nests deeper than Python "
                         f"can parse (a saved model nests fewer than {MAX_DEPTH} levels)."
                         ) from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise ValueError(f"{where} is corrupted: not valid JSON ({exc}).") from exc
    stack = [(value, 1)]
    while stack:  # iteratively: the check itself must not recurse
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"{where} is corrupted or crafted: its JSON nests more than "
                             f"{MAX_DEPTH} levels deep.")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return value


def _is_index(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def check_model_config(config, where: str) -> None:
    """The architecture's structure: every layer entry, and every graph reference."""
    if not isinstance(config, dict):
        raise ValueError(f"{where}: expected a JSON object describing a model, found a "
                         f"{type(config).__name__}.")
    _check_layer(config, "the model", where)


def _check_layer(entry, label: str, where: str) -> None:
    """A serialized layer, `label` saying where it sits; nested layers in turn."""
    if not (isinstance(entry, dict) and isinstance(entry.get("class_name"), str)
            and isinstance(entry.get("config"), dict)):
        raise ValueError(f"{where}: {label} is not a layer entry "
                         "({class_name: str, config: object}).")
    config = entry["config"]
    label = f'{entry["class_name"]} "{config.get("name")}"' + (
        "" if label == "the model" else f" ({label})")
    if entry["class_name"] == "TensorOp":
        from hoarfrost.layers.tensor_op import ALLOWED_OPS
        if not (isinstance(config.get("op"), str) and config["op"] in ALLOWED_OPS):
            raise ValueError(
                f"{where}: layer {label} names the operation {config.get('op')!r}, which is "
                "not one of the pure array operations a graph may record "
                "(hoarfrost.layers.tensor_op.ALLOWED_OPS); it is refused."
            )
    if isinstance(config.get("layer"), dict):  # wrappers
        _check_layer(config["layer"], f"wrapped by {label}", where)
    if "layers" in config and ("nodes" in config or entry["class_name"] in _MODELS):
        if not isinstance(config["layers"], list):
            raise ValueError(f"{where}: {label} has `layers` that is not a list.")
        for i, layer in enumerate(config["layers"]):
            _check_layer(layer, f"layers[{i}] of {label}", where)
    if "nodes" in config and "layers" in config:
        _check_graph(config, label, where)


def _check_graph(config: dict, label: str, where: str) -> None:
    """A functional graph: nodes name known layers and refer only to earlier outputs."""
    names: set = set()
    for layer in config.get("layers") or []:
        name = layer.get("name") or layer["config"].get("name")  # beside the config too
        if not isinstance(name, str) or name in names:
            raise ValueError(f"{where}: {label} has a layer named {name!r} "
                             f"{'twice' if name in names else '(expected a unique string)'}.")
        names.add(name)
    nodes = config["nodes"]
    if not isinstance(nodes, list):
        raise ValueError(f"{where}: {label} has `nodes` that is not a list.")
    for k, node in enumerate(nodes):
        if not (isinstance(node, dict) and node.get("layer") in names):
            name = node.get("layer") if isinstance(node, dict) else node
            raise ValueError(f"{where}: {label}: node {k} names the layer {name!r}, which is "
                             f"not among its layers {sorted(names)[:8]}.")
        if not isinstance(node.get("kwargs", {}), dict):
            raise ValueError(f"{where}: {label}: node {k} ({node['layer']}) has call "
                             "arguments that are not a JSON object.")
        _check_refs(node.get("inputs"), k, f"node {k} ({node['layer']})", label, where)
    for part in ("inputs", "outputs"):
        if part not in config:
            raise ValueError(f"{where}: {label} lacks its `{part}`.")
        _check_refs(config[part], len(nodes), f"its {part}", label, where)


def _check_refs(tree, limit: int, owner: str, label: str, where: str) -> None:
    """Each `{"ref": [node, output]}` in `tree` names a node before `limit`."""
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict) and "ref" in item:
            ref = item["ref"]
            if not (isinstance(ref, list) and len(ref) == 2 and all(map(_is_index, ref))
                    and ref[0] < limit):
                raise ValueError(
                    f"{where}: {label}: {owner} refers to the tensor {ref!r}, which is not an "
                    f"output of an earlier node (expected [node < {limit}, output index]).")
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def check_state(state, where: str) -> None:
    """state.json: the variables' records, the layers' flags, the optimizer's owners."""
    if not isinstance(state, dict):
        raise ValueError(f"{where}: expected a JSON object.")
    records, flags = state.get("variables"), state.get("layers")
    if not (isinstance(records, list) and isinstance(flags, list)):
        raise ValueError(f"{where} is corrupted: it lacks the lists `variables` and `layers`.")
    for i, record in enumerate(records):
        if not (isinstance(record, dict) and isinstance(record.get("path"), str)
                and isinstance(record.get("shape"), list)
                and all(map(_is_index, record["shape"]))
                and isinstance(record.get("trainable"), bool)):
            raise ValueError(f"{where} is corrupted: variable record {i} is {record!r}, "
                             "expected {path, shape, dtype, trainable}.")
    if not all(isinstance(flag, bool) for flag in flags):
        raise ValueError(f"{where} is corrupted: `layers` holds non-boolean flags.")
    _check_optimizer_state(state.get("optimizer"), where,
                           lambda owner: _is_index(owner) and owner < len(records),
                           f"the file holds {len(records)} weights")


def check_keras_state(state, where: str) -> None:
    """hoarfrost/state.json of a Keras-layout `.keras` file: trainable flags by Keras's
    structural paths (`layers/dense`, `layers/dense/vars/0`), hoarfrost's compile
    settings, and the optimizer's config with the paths of the variables owning slots."""
    if not isinstance(state, dict):
        raise ValueError(f"{where}: expected a JSON object.")
    for part in ("layers", "variables"):
        flags = state.get(part)
        if not (isinstance(flags, dict) and all(isinstance(flag, bool)
                                                for flag in flags.values())):
            raise ValueError(f"{where} is corrupted: `{part}` is not a map of paths to "
                             "boolean trainable flags.")
    if not isinstance(state.get("compile_config"), (dict, type(None))):
        raise ValueError(f"{where} is corrupted: `compile_config` is not a JSON object.")
    _check_optimizer_state(state.get("optimizer"), where,
                           lambda owner: isinstance(owner, str) and owner in state["variables"],
                           "the file's variables are those of `variables`")


def _check_optimizer_state(optimizer, where: str, is_owner, owners_are: str) -> None:
    """The optimizer's part of a state: its config, the (unique) owners of slots, each
    accepted by `is_owner`, and its learning-rate multipliers."""
    if optimizer is None:
        return
    owners = optimizer.get("slots") if isinstance(optimizer, dict) else None
    if not (isinstance(optimizer, dict) and isinstance(optimizer.get("optimizer"), dict)
            and isinstance(owners, list)):
        raise ValueError(f"{where} is corrupted: its `optimizer` lacks the optimizer's "
                         "config or the list of `slots`.")
    bad = [i for i in owners if not is_owner(i)]
    if bad or len(set(map(json.dumps, owners))) != len(owners):
        raise ValueError(
            f"{where} is corrupted: the optimizer's slots belong to weights {owners[:8]}, "
            f"but {owners_are}"
            + (f" ({bad[0]!r} is out of range)." if bad else " (one is listed twice).")
        )
    multipliers = optimizer.get("lr_multipliers", [])
    if not isinstance(multipliers, list):
        raise ValueError(f"{where} is corrupted: `lr_multipliers` is not a list.")
    for entry in multipliers:
        if not (isinstance(entry, list) and len(entry) == 4 and entry[0] in ("glob", "regex")
                and isinstance(entry[1], str) and _is_index(entry[2])
                and isinstance(entry[3], (int, float)) and not isinstance(entry[3], bool)):
            raise ValueError(f"{where} is corrupted: the learning-rate multiplier {entry!r} "
                             "is not [glob|regex, pattern, flags, factor].")


def check_weight_tensors(tensors: dict, records: list, where: str) -> None:
    """The weights member holds exactly one tensor per recorded variable, of its shape."""
    expected = [f"{i:05d}" for i in range(len(records))]
    if sorted(tensors) != expected:
        extra = sorted(set(tensors) - set(expected))
        missing = sorted(set(expected) - set(tensors))
        raise ValueError(
            f"{where} holds {len(tensors)} tensor{'' if len(tensors) == 1 else 's'}, but the "
            f"file records {len(records)} "
            "weights" + (f"; missing {missing[:5]}" if missing else "")
            + (f"; unexpected {extra[:5]}" if extra else "") + "."
        )
    for name, record in zip(expected, records):
        shape, dtype = list(tensors[name].shape), str(tensors[name].dtype)
        if shape != record["shape"] or dtype != record.get("dtype", dtype):
            raise ValueError(f"{where}: tensor {name} ({record['path']}) has shape {shape} and "
                             f"dtype {dtype}, but the file records shape {record['shape']} "
                             f"and dtype {record.get('dtype')}.")


#: The prefix of the optimizer's own state (`OptimizerState.extra`) among its tensors.
OWN_STATE = "extra/"


def check_optimizer_tensors(tensors: dict, owners: list, where: str) -> None:
    """The optimizer member holds the step count and, per owner, slots 0..n-1, nothing else
    (n may be 0: plain SGD keeps no slots); n itself is checked by `check_optimizer_slots`.

    Owners are weight indices (format 1: slots `00002/0`) or Keras's variable paths
    (hoarfrost's extras of a Keras-layout file: slots `layers/dense/vars/0/0`).
    """
    iterations = tensors.get("iterations")
    if iterations is None or iterations.shape != () or iterations.dtype.kind not in "iu":
        raise ValueError(f"{where} is corrupted: it lacks the integer scalar `iterations` "
                         f"(found {None if iterations is None else (iterations.shape, str(iterations.dtype))}).")
    prefixes = {_slot_prefix(owner): owner for owner in owners}
    counts: dict[str, int] = {}
    for name in tensors:
        if name == "iterations":
            continue
        if name.startswith(OWN_STATE):  # the optimizer's own (a loss scale): a scalar
            if tensors[name].shape != () or tensors[name].dtype.kind not in "iuf":
                raise ValueError(f"{where} is corrupted: the optimizer's {name!r} is "
                                 f"{tensors[name].dtype}{list(tensors[name].shape)}, "
                                 "expected a scalar.")
            continue
        prefix, _, slot = name.rpartition("/")
        if not (prefix in prefixes and slot.isdigit()):
            raise ValueError(f"{where}: tensor {name!r} belongs to no weight the file lists as "
                             f"having optimizer slots ({owners[:8]}).")
        counts[prefix] = counts.get(prefix, 0) + 1
    for prefix, owner in prefixes.items():
        names = {f"{prefix}/{j}" for j in range(counts.get(prefix, 0))}
        if not names <= set(tensors):
            raise ValueError(f"{where}: the optimizer slots of weight {owner} are missing or "
                             "not numbered 0, 1, ...")


def _slot_prefix(owner) -> str:
    return f"{owner:05d}" if isinstance(owner, int) else owner


def check_optimizer_slots(templates: list, tensors: dict, owners: list, variables,
                          where: str) -> None:
    """Each owner's saved slots match, in count, shape and dtype, those its optimizer makes.

    Args:
        templates: per owner, the leaves of the slots the compiled optimizer made
            (anything with `shape` and `dtype`).
        owners: weight indices into `variables` (a list), or paths (keys of a dict).
    """
    for owner, leaves in zip(owners, templates):
        prefix = _slot_prefix(owner)
        saved = [tensors.get(f"{prefix}/{j}") for j in range(len(leaves))]
        extra = f"{prefix}/{len(leaves)}" in tensors
        label = f"weight {owner} ({variables[owner].path})"
        if extra or any(t is None for t in saved):
            count = sum(1 for name in tensors if name.rpartition("/")[0] == prefix)
            raise ValueError(f"{where}: {label} has {count} optimizer slots saved, but its "
                             f"optimizer keeps {len(leaves)}.")
        for j, (value, leaf) in enumerate(zip(saved, leaves)):
            if tuple(value.shape) != tuple(leaf.shape) or str(value.dtype) != str(leaf.dtype):
                raise ValueError(
                    f"{where}: optimizer slot {prefix}/{j} of {label} has shape "
                    f"{list(value.shape)} and dtype {value.dtype}, but its optimizer keeps "
                    f"shape {list(leaf.shape)} and dtype {leaf.dtype}."
                )
