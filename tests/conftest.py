"""Shared fixtures: fresh layer names and seeds for every test.

The suite never writes into the user's home: hoarfrost's home (its compilation
cache, downloaded datasets) is a temporary directory of this test process.
"""

import os
import shutil
import tempfile

import pytest

_HOME = os.environ["HOARFROST_HOME"] = tempfile.mkdtemp(prefix="hoarfrost-tests-")


def pytest_unconfigure(config):
    shutil.rmtree(_HOME, ignore_errors=True)  # also in pytest-xdist's workers, unlike atexit

import hoarfrost


@pytest.fixture(autouse=True)
def fresh_session():
    hoarfrost.backend.clear_session()
    hoarfrost.utils.set_random_seed(0)
    yield
