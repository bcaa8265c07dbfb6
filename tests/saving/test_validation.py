"""A saved file is checked whole before anything is built: crafted graphs, deep JSON,
bad references, optimizer slots and tensor counts end in one error naming file,
member and mismatch, and no graph operation outside the allowlist ever runs; in
hoarfrost's first format (`saved_v1`) as in the Keras layout `save()` writes now
(`saved_model`: Keras's config dialect, hoarfrost's extras keyed by Keras's paths)."""

import json

import numpy as np
import pytest
from safetensors.numpy import save as st_save

from hoarfrost.saving import tensor_file

from hoarfrost import Sequential, layers
from hoarfrost.models import load_model, model_from_json
from hoarfrost.saving.validation import MAX_DEPTH, loads_json
from tests.saving.crafting import altered, members, with_json


class _WritesMarker:
    """Unpickling it creates the marker file: the proof that a pickle ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def _set_op(op, arguments):
    def edit(config):
        for layer in config["config"]["layers"]:
            if layer["class_name"] == "TensorOp" and layer["config"]["op"] == "mean":
                layer["config"].update(op=op, arguments=arguments)
    return edit


def test_graph_op_load_with_a_pickle_is_refused_and_runs_nothing(saved_v1, tmp_path):
    path, _, _ = saved_v1
    marker, payload = tmp_path / "marker", tmp_path / "payload.npy"
    np.save(payload, np.array([_WritesMarker(marker)], dtype=object), allow_pickle=True)
    crafted = with_json(path, tmp_path / "load.keras", "config.json", _set_op(
        "load", [[str(payload)], {"__dict__": {"allow_pickle": True}}]))
    with pytest.raises(ValueError, match=r"load\.keras.*config\.json.*TensorOp \"mean\".*'load'"):
        load_model(crafted)
    assert not marker.exists()


def test_graph_op_save_is_refused_and_writes_nothing(saved_v1, tmp_path):
    path, _, _ = saved_v1
    target = tmp_path / "written.npy"
    crafted = with_json(path, tmp_path / "save.keras", "config.json", _set_op(
        "save", [[str(target), [1, 2, 3]], {"__dict__": {}}]))
    with pytest.raises(ValueError, match=r"'save'"):
        load_model(crafted)
    with pytest.raises(ValueError, match=r"'save'"):  # the JSON route is checked the same way
        model_from_json(members(crafted)["config.json"].decode())
    assert not target.exists()


@pytest.mark.parametrize("fixture", ["saved_model", "saved_v1"])
def test_deeply_nested_json_is_a_clear_error(fixture, request, tmp_path):
    path, _, _ = request.getfixturevalue(fixture)
    deep = b"[" * 100_000 + b"]" * 100_000
    crafted = altered(path, tmp_path / "deep.keras", **{"config.json": deep})
    with pytest.raises(ValueError, match=r"deep\.keras.*config\.json.*nests deeper"):
        load_model(crafted)
    with pytest.raises(ValueError, match=r"model_from_json\(\).*nests deeper"):
        model_from_json(deep.decode())
    parsable = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)  # json parses it; we refuse it
    with pytest.raises(ValueError, match=f"more than {MAX_DEPTH} levels"):
        loads_json(parsable, "test")


def test_a_node_naming_an_unknown_layer_names_it(saved_v1, tmp_path):
    path, _, _ = saved_v1

    def edit(config):
        config["config"]["nodes"][2]["layer"] = "no_such_layer"

    with pytest.raises(ValueError, match=r"unknown\.keras.*config\.json.*node 2 names the "
                                         r"layer 'no_such_layer'"):
        load_model(with_json(path, tmp_path / "unknown.keras", "config.json", edit))


@pytest.mark.parametrize("ref", [[99, 0], [-1, 0], "x", [1]])
def test_a_bad_reference_is_a_clear_error(saved_v1, tmp_path, ref):
    path, _, _ = saved_v1

    def edit(config):
        config["config"]["nodes"][2]["inputs"] = [{"ref": ref}]

    with pytest.raises(ValueError, match=r"config\.json.*node 2 \(mean\) refers to the tensor"):
        load_model(with_json(path, tmp_path / "ref.keras", "config.json", edit))


def test_a_reference_to_a_missing_output_is_a_clear_error(saved_v1, tmp_path):
    path, _, _ = saved_v1

    def edit(config):
        config["config"]["outputs"] = {"ref": [4, 3]}  # the head has one output

    with pytest.raises(ValueError, match=r"config\.json.*output 3 of node 4, but that node "
                                         r"has 1 outputs"):
        load_model(with_json(path, tmp_path / "out.keras", "config.json", edit))


def _optimizer_tensors(path, member="optimizer.safetensors"):
    return dict(tensor_file.loads(members(path)[member], str(path))[0])


def test_optimizer_slots_of_the_wrong_shape_are_refused_naming_the_variable(saved_v1,
                                                                             tmp_path):
    path, _, _ = saved_v1
    tensors = _optimizer_tensors(path)
    tensors["00002/1"] = np.zeros((2, 4), "float32")  # head/kernel's slot, transposed
    crafted = altered(path, tmp_path / "slots.keras",
                      **{"optimizer.safetensors": st_save(tensors)})
    with pytest.raises(ValueError, match=r"optimizer\.safetensors: optimizer slot 00002/1 of "
                                         r"weight 2 \(head/kernel\) has shape \[2, 4\]"):
        load_model(crafted)


def test_missing_and_unexpected_optimizer_slots_are_refused(saved_v1, tmp_path):
    path, _, _ = saved_v1
    tensors = _optimizer_tensors(path)
    missing = {k: v for k, v in tensors.items() if k != "00001/1"}
    with pytest.raises(ValueError, match=r"optimizer\.safetensors: the optimizer slots of "
                                         r"weight 1 are missing or not numbered"):
        load_model(altered(path, tmp_path / "a.keras",
                           **{"optimizer.safetensors": st_save(missing)}))
    extra = {**tensors, "00001/3": np.zeros(4, "float32")}
    with pytest.raises(ValueError, match=r"weight 1 \(hidden/bias\) has 4 optimizer slots "
                                         r"saved, but its optimizer keeps 3"):
        load_model(altered(path, tmp_path / "b.keras",
                           **{"optimizer.safetensors": st_save(extra)}))


def test_optimizer_slots_out_of_range_are_refused(saved_v1, tmp_path):
    path, _, _ = saved_v1

    def edit(state):
        state["optimizer"]["slots"] = [0, 1, 2, 7]

    with pytest.raises(ValueError, match=r"state\.json.*holds 4 weights \(7 is out of range"):
        load_model(with_json(path, tmp_path / "range.keras", "state.json", edit))


@pytest.mark.parametrize("count", [1, 3])
def test_a_weights_file_with_the_wrong_count_says_the_real_count(tmp_path, count):
    model = Sequential([layers.Dense(2, input_dim=3)])  # 2 weights
    path = tmp_path / "w.weights.safetensors"
    model.save_weights(path)
    from safetensors import safe_open
    with safe_open(path, framework="numpy") as handle:
        state = handle.metadata()["state"]
    tensors = {f"{i:05d}": np.zeros(3, "float32") for i in range(count)}
    path.write_bytes(st_save(tensors, metadata={"format": "hoarfrost.keras", "state": state}))
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=f"w.weights.safetensors' holds {count} tensors?, but "
                                         "the file records 2 weights"):
        model.load_weights(path)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_a_state_without_its_records_is_refused(saved_v1, tmp_path):
    path, _, _ = saved_v1
    with pytest.raises(ValueError, match=r"state\.json is corrupted: variable record 1"):
        load_model(with_json(path, tmp_path / "s.keras", "state.json",
                             lambda s: s["variables"][1].update(shape=[-4])))
    crafted = altered(path, tmp_path / "j.keras", **{"state.json": json.dumps([1]).encode()})
    with pytest.raises(ValueError, match=r"state\.json.*expected a JSON object"):
        load_model(crafted)


# --- the Keras layout save() writes ----------------------------------------------------------
def _keras_op(op_class, args, kwargs):
    """An edit of a Keras config: the `Mean` op entry becomes `op_class` on `args`."""
    def edit(config):
        for layer in config["config"]["layers"]:
            if layer["class_name"] == "Mean":
                layer["class_name"] = op_class
                layer["config"] = {"name": "mean", **kwargs}
                layer["inbound_nodes"] = [{"args": args, "kwargs": {}}]
    return edit


def test_keras_op_outside_the_allowlist_is_refused_and_runs_nothing(saved_model, tmp_path):
    path, _, _ = saved_model
    marker, payload = tmp_path / "marker", tmp_path / "payload.npy"
    np.save(payload, np.array([_WritesMarker(marker)], dtype=object), allow_pickle=True)
    crafted = with_json(path, tmp_path / "load.keras", "config.json",
                        _keras_op("Load", [str(payload)], {"allow_pickle": True}))
    with pytest.raises(ValueError, match=r"load\.keras', member config\.json: Keras config: "
                                         r"the operation Load \('load'\) is not one of the "
                                         r"pure array operations"):
        load_model(crafted)
    with pytest.raises(ValueError, match=r"operation Load \('load'\)"):
        model_from_json(members(crafted)["config.json"].decode())
    target = tmp_path / "written.npy"
    crafted = with_json(path, tmp_path / "save.keras", "config.json",
                        _keras_op("Save", [str(target), [1, 2, 3]], {}))
    with pytest.raises(ValueError, match=r"operation Save \('save'\)"):
        load_model(crafted)
    assert not marker.exists() and not target.exists()


def test_a_tensor_op_entry_in_a_keras_config_is_checked_too(saved_model, tmp_path):
    """hoarfrost's own TensorOp class named in a Keras config goes through the same
    allowlist as a Keras op."""
    path, _, _ = saved_model
    target = tmp_path / "written.npy"

    def edit(config):
        config["config"]["layers"].append(
            {"class_name": "TensorOp", "name": "evil", "inbound_nodes": [],
             "config": {"name": "evil", "op": "save",
                        "arguments": [[str(target), [1]], {"__dict__": {}}]}})

    with pytest.raises(ValueError, match=r"config\.json: layer TensorOp \"evil\".*'save'.*"
                                         r"ALLOWED_OPS"):
        load_model(with_json(path, tmp_path / "op.keras", "config.json", edit))
    assert not target.exists()


def _history(config, layer: str) -> dict:
    """The first input tensor of `layer`'s first call in a Keras config."""
    entry = next(e for e in config["config"]["layers"] if e["name"] == layer)
    return entry["inbound_nodes"][0]["args"][0]["config"]


@pytest.mark.parametrize("edit, message", [
    (lambda c: _history(c, "head").update(keras_history=["nope", 0, 0]),
     r"the graph is disconnected: the calls of \['head'\] need tensors"),
    (lambda c: _history(c, "head").update(keras_history=["multiply", 0, 5]),
     r"output 5 of node 3, but that node has 1 outputs"),
    (lambda c: _history(c, "head").update(keras_history="x"),
     r"the call of 'head': its input .* holds no tensor"),
    (lambda c: c["config"]["layers"][1].update(inbound_nodes=5),
     r"is corrupted or crafted: its model config is malformed \(TypeError"),
    (lambda c: c["config"].update(output_layers=[["nope", 0, 0]]),
     r"is corrupted or crafted: its model config is malformed \(KeyError"),
    (lambda c: c["config"]["layers"].__setitem__(1, 7),
     r"is corrupted or crafted: its model config is malformed"),
])
def test_a_bad_keras_graph_is_a_clear_error(saved_model, tmp_path, edit, message):
    path, _, _ = saved_model
    with pytest.raises(ValueError, match=r"graph\.keras', member config\.json.*" + message):
        load_model(with_json(path, tmp_path / "graph.keras", "config.json", edit))


SLOTS = "hoarfrost/optimizer.safetensors"


def test_keras_layout_slots_are_checked_before_any_is_assigned(saved_model, tmp_path):
    """hoarfrost's extras key the slots by Keras's variable paths; a wrong shape or dtype,
    a missing or an extra slot, or slots of a variable the model lacks are refused by
    name (files whose slots lack checksums still load: these are rewritten without)."""
    path, x, predictions = saved_model
    tensors = _optimizer_tensors(path, SLOTS)
    head = "layers/dense_1/vars/0"  # head/kernel: Keras's path
    cases = [
        ({**tensors, f"{head}/1": np.zeros((2, 4), "float32")},
         rf"{SLOTS}: optimizer slot {head}/1 of weight {head} \(head/kernel\) has shape "
         r"\[2, 4\]"),
        ({**tensors, f"{head}/1": tensors[f"{head}/1"].astype("float16")},
         r"dtype float16, but its optimizer keeps shape \[4, 2\] and dtype float32"),
        ({k: v for k, v in tensors.items() if k != f"{head}/1"},
         rf"the optimizer slots of weight {head} are missing or not numbered"),
        ({**tensors, f"{head}/3": np.zeros(4, "float32")},
         rf"weight {head} \(head/kernel\) has 4 optimizer slots saved, but its optimizer "
         r"keeps 3"),
        ({**tensors, "layers/other/vars/0/0": np.zeros(4, "float32")},
         r"tensor 'layers/other/vars/0/0' belongs to no weight"),
        ({k: v for k, v in tensors.items() if k != "iterations"},
         r"lacks the integer scalar `iterations`"),
    ]
    for i, (crafted, message) in enumerate(cases):
        with pytest.raises(ValueError, match=message):
            load_model(altered(path, tmp_path / f"{i}.keras", **{SLOTS: st_save(crafted)}))
    model = load_model(altered(path, tmp_path / "plain.keras", **{SLOTS: st_save(tensors)}))
    np.testing.assert_array_equal(model(x), predictions)


@pytest.mark.parametrize("edit, message", [
    (lambda s: s["optimizer"].update(slots=["layers/dense/vars/0", "layers/nope/vars/0"]),
     r"'layers/nope/vars/0' is out of range"),
    (lambda s: s["optimizer"].update(slots=["layers/dense/vars/0"] * 2),
     r"one is listed twice"),
    (lambda s: s["layers"].update({"layers/dense": "yes"}),
     r"`layers` is not a map of paths to boolean trainable flags"),
    (lambda s: s.update(variables=[]), r"`variables` is not a map"),
    (lambda s: s["optimizer"].update(lr_multipliers=[["glob", "*", 0, "x"]]),
     r"the learning-rate multiplier"),
])
def test_a_bad_keras_layout_state_is_refused(saved_model, tmp_path, edit, message):
    path, _, _ = saved_model
    with pytest.raises(ValueError, match=r"s\.keras', member hoarfrost/state\.json is "
                                         r"corrupted.*" + message):
        load_model(with_json(path, tmp_path / "s.keras", "hoarfrost/state.json", edit))
