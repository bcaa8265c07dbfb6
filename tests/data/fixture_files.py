"""Write the files a Keras fixture recorded (tests/data/fixtures/keras_*.npz) into a folder."""

import json
from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str):
    data = np.load(FIXTURES / name)
    return data, json.loads(str(data["meta"]))


def write_files(data, root: Path) -> Path:
    for i, name in enumerate(json.loads(str(data["file_names"]))):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data[f"file_{i}"].tobytes())
    return root


def batches(data, case: str) -> list[tuple]:
    out = []
    for i in range(int(data[f"{case}/num_batches"])):
        parts, j = [], 0
        while f"{case}/batch_{i}_{j}" in data:
            parts.append(data[f"{case}/batch_{i}_{j}"])
            j += 1
        out.append(tuple(parts))
    return out
