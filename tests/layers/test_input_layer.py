"""`Input` / `InputLayer`: what they accept and how they refuse."""

import pytest

from hoarfrost import Input


def test_a_string_input_is_refused_naming_the_way_to_feed_text():
    """The text tutorials' `Input(shape=(1,), dtype="string")` cannot run on JAX (Keras's
    fit fails on it later); it is refused at once, naming what to do instead."""
    with pytest.raises(TypeError, match=r'dtype=.string.*strings can not enter.*fit\('):
        Input(shape=(1,), dtype="string")
    assert Input(shape=(2,), dtype="int32").dtype == "int32"
