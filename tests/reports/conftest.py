"""The pages' tests build no Keras model."""

import pytest


@pytest.fixture(autouse=True)
def _seed_and_clear():
    """Overrides tests/conftest.py's: no Keras state here, and clearing costs 0.3 s a test."""
    yield
