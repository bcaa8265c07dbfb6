"""A saved file is checked whole before anything is built: crafted graphs, deep JSON,
bad references, optimizer slots and tensor counts end in one error naming file,
member and mismatch, and no graph operation outside the allowlist ever runs."""

import json

import numpy as np
import pytest
from safetensors.numpy import save as st_save

from hoarfrost import Sequential, layers
from hoarfrost.models import load_model, model_from_json
from hoarfrost.saving import saving_lib
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


def test_graph_op_load_with_a_pickle_is_refused_and_runs_nothing(saved_model, tmp_path):
    path, _, _ = saved_model
    marker, payload = tmp_path / "marker", tmp_path / "payload.npy"
    np.save(payload, np.array([_WritesMarker(marker)], dtype=object), allow_pickle=True)
    crafted = with_json(path, tmp_path / "load.keras", "config.json", _set_op(
        "load", [[str(payload)], {"__dict__": {"allow_pickle": True}}]))
    with pytest.raises(ValueError, match=r"load\.keras.*config\.json.*TensorOp \"mean\".*'load'"):
        load_model(crafted)
    assert not marker.exists()


def test_graph_op_save_is_refused_and_writes_nothing(saved_model, tmp_path):
    path, _, _ = saved_model
    target = tmp_path / "written.npy"
    crafted = with_json(path, tmp_path / "save.keras", "config.json", _set_op(
        "save", [[str(target), [1, 2, 3]], {"__dict__": {}}]))
    with pytest.raises(ValueError, match=r"'save'"):
        load_model(crafted)
    with pytest.raises(ValueError, match=r"'save'"):  # the JSON route is checked the same way
        model_from_json(members(crafted)["config.json"].decode())
    assert not target.exists()


def test_deeply_nested_json_is_a_clear_error(saved_model, tmp_path):
    path, _, _ = saved_model
    deep = b"[" * 100_000 + b"]" * 100_000
    crafted = altered(path, tmp_path / "deep.keras", **{"config.json": deep})
    with pytest.raises(ValueError, match=r"deep\.keras.*config\.json.*nests deeper"):
        load_model(crafted)
    with pytest.raises(ValueError, match=r"model_from_json\(\).*nests deeper"):
        model_from_json(deep.decode())
    parsable = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)  # json parses it; we refuse it
    with pytest.raises(ValueError, match=f"more than {MAX_DEPTH} levels"):
        loads_json(parsable, "test")


def test_a_node_naming_an_unknown_layer_names_it(saved_model, tmp_path):
    path, _, _ = saved_model

    def edit(config):
        config["config"]["nodes"][2]["layer"] = "no_such_layer"

    with pytest.raises(ValueError, match=r"unknown\.keras.*config\.json.*node 2 names the "
                                         r"layer 'no_such_layer'"):
        load_model(with_json(path, tmp_path / "unknown.keras", "config.json", edit))


@pytest.mark.parametrize("ref", [[99, 0], [-1, 0], "x", [1]])
def test_a_bad_reference_is_a_clear_error(saved_model, tmp_path, ref):
    path, _, _ = saved_model

    def edit(config):
        config["config"]["nodes"][2]["inputs"] = [{"ref": ref}]

    with pytest.raises(ValueError, match=r"config\.json.*node 2 \(mean\) refers to the tensor"):
        load_model(with_json(path, tmp_path / "ref.keras", "config.json", edit))


def test_a_reference_to_a_missing_output_is_a_clear_error(saved_model, tmp_path):
    path, _, _ = saved_model

    def edit(config):
        config["config"]["outputs"] = {"ref": [4, 3]}  # the head has one output

    with pytest.raises(ValueError, match=r"config\.json.*output 3 of node 4, but that node "
                                         r"has 1 outputs"):
        load_model(with_json(path, tmp_path / "out.keras", "config.json", edit))


def _optimizer_tensors(path):
    return dict(saving_lib._load_tensors(members(path)["optimizer.safetensors"], path))


def test_optimizer_slots_of_the_wrong_shape_are_refused_naming_the_variable(saved_model,
                                                                             tmp_path):
    path, _, _ = saved_model
    tensors = _optimizer_tensors(path)
    tensors["00002/1"] = np.zeros((2, 4), "float32")  # head/kernel's slot, transposed
    crafted = altered(path, tmp_path / "slots.keras",
                      **{"optimizer.safetensors": st_save(tensors)})
    with pytest.raises(ValueError, match=r"optimizer\.safetensors: optimizer slot 00002/1 of "
                                         r"weight 2 \(head/kernel\) has shape \[2, 4\]"):
        load_model(crafted)


def test_missing_and_unexpected_optimizer_slots_are_refused(saved_model, tmp_path):
    path, _, _ = saved_model
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


def test_optimizer_slots_out_of_range_are_refused(saved_model, tmp_path):
    path, _, _ = saved_model

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


def test_a_state_without_its_records_is_refused(saved_model, tmp_path):
    path, _, _ = saved_model
    with pytest.raises(ValueError, match=r"state\.json is corrupted: variable record 1"):
        load_model(with_json(path, tmp_path / "s.keras", "state.json",
                             lambda s: s["variables"][1].update(shape=[-4])))
    crafted = altered(path, tmp_path / "j.keras", **{"state.json": json.dumps([1]).encode()})
    with pytest.raises(ValueError, match=r"state\.json.*expected a JSON object"):
        load_model(crafted)
