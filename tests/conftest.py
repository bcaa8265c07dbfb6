"""Shared fixtures: fresh layer names and seeds for every test."""

import pytest

import hoarfrost


@pytest.fixture(autouse=True)
def fresh_session():
    hoarfrost.backend.clear_session()
    hoarfrost.utils.set_random_seed(0)
    yield
