"""Shared fixtures: fresh layer names and seeds for every test.

The suite never writes into the user's home: hoarfrost's home (its compilation
cache, downloaded datasets) is a temporary directory of this test process.
"""

import atexit
import os
import shutil
import tempfile

import pytest

os.environ["HOARFROST_HOME"] = tempfile.mkdtemp(prefix="hoarfrost-tests-")
atexit.register(shutil.rmtree, os.environ["HOARFROST_HOME"], ignore_errors=True)

import hoarfrost


@pytest.fixture(autouse=True)
def fresh_session():
    hoarfrost.backend.clear_session()
    hoarfrost.utils.set_random_seed(0)
    yield
