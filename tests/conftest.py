"""Shared fixtures: fresh layer names and seeds for every test.

The suite never writes into the user's home: hoarfrost's home (its compilation
cache, downloaded datasets) is a temporary directory of this test process.
"""

import os
import shutil
import tempfile

import pytest

# pytest-xdist's workers inherit the controller's home (and so share one compilation
# cache: a program one worker compiled, the other loads); the controller removes it.
_HOME = os.environ.get("HOARFROST_TESTS_HOME") if os.environ.get("PYTEST_XDIST_WORKER") else None
if not _HOME:
    _HOME = os.environ["HOARFROST_TESTS_HOME"] = tempfile.mkdtemp(prefix="hoarfrost-tests-")
os.environ["HOARFROST_HOME"] = _HOME


def pytest_unconfigure(config):
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # the controller, after its workers
        shutil.rmtree(_HOME, ignore_errors=True)

import hoarfrost


@pytest.fixture(autouse=True)
def fresh_session():
    hoarfrost.backend.clear_session()
    hoarfrost.utils.set_random_seed(0)
    yield
