"""Every dataset test sees empty caches of its own: hoarfrost's and Keras's."""

import pytest


@pytest.fixture(autouse=True)
def keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "keras" / "datasets"
