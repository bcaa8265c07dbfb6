"""`Model.summary()`: Keras's `layer_range`, `positions` and "Connected to" column."""

import pytest

from hoarfrost import Input, Model, layers


def model():
    x = Input((3,))
    h = layers.Dense(4, name="block1_dense")(x)
    h = layers.Dense(4, name="block2_dense")(h)
    return Model(x, layers.Dense(1, name="head")(h), name="ranged")


def rows(lines):
    return [line.split("│")[1].strip() for line in lines if line.startswith("│")]


def test_layer_range_lists_the_layers_from_first_to_last_match():
    m = model()
    lines = []
    m.summary(print_fn=lines.append, layer_range=["block2", "head"])
    assert rows(lines) == ["block2_dense (Dense)", "head (Dense)"]
    assert " Total params: 41 (164.00 B)" in lines  # the totals stay the model's
    lines = []
    m.summary(print_fn=lines.append, layer_range=("block.*", "block.*"))  # regexes
    assert rows(lines) == ["block1_dense (Dense)", "block2_dense (Dense)"]
    with pytest.raises(ValueError, match="'nothing' matches no layer"):
        m.summary(layer_range=["block1", "nothing"])
    with pytest.raises(ValueError, match="list or tuple of 2 strings"):
        m.summary(layer_range="block1")


def test_positions_set_where_each_column_ends():
    lines = []
    model().summary(print_fn=lines.append, line_length=60, positions=[0.5, 0.8, 1.0])
    header = next(line for line in lines if "Layer (type)" in line)
    assert header.index("Output Shape") > 28  # the first column takes half the line
    with pytest.raises(ValueError, match="needs 3 positions"):
        model().summary(positions=[0.5, 1.0])


def test_a_long_layer_name_wraps_and_counts_stay_whole():
    x = Input((3,))
    out = layers.Dense(500, name="a_very_long_layer_name_that_fills_the_first_column_alone")(x)
    lines = []
    Model(x, out).summary(print_fn=lines.append)
    assert any(line.rstrip().endswith("2,000 │") for line in lines), "\n".join(lines)
    assert not any("…" in line for line in lines)
    assert max(len(line) for line in lines) <= 84


def cells(lines, column):
    return [line.split("│")[column].strip() for line in lines if line.startswith("│")]


def test_a_graph_that_is_not_a_chain_shows_what_each_layer_is_connected_to():
    """Keras's fourth column: `layer[node][tensor]` per input of the call, `-` for an
    input, a shared layer's second call numbered 1; a chain keeps three columns."""
    a, b = Input((8,), name="a"), Input((4,), name="b")
    shared = layers.Dense(4, name="shared")
    h = layers.Concatenate(name="cat")([shared(layers.Dense(4, name="pre")(a)), b])
    out = layers.Add(name="add")([shared(b), layers.Dense(4, name="mix")(h)])
    lines = []
    Model([a, b], out).summary(print_fn=lines.append)
    header = next(line for line in lines if "Layer (type)" in line)
    assert "Connected to" in header
    connected = dict(zip(cells(lines, 1), cells(lines, 4)))
    assert connected["a (InputLayer)"] == "-"
    assert connected["pre (Dense)"] == "a[0][0]"
    assert connected["shared (Dense)"] == "pre[0][0], b[0][0]"
    assert connected["cat (Concatenate)"] == "shared[0][0], b[0][0]"
    assert connected["add (Add)"] == "shared[1][0], mix[0][0]"
    lines = []
    model().summary(print_fn=lines.append)
    assert "Connected to" not in next(line for line in lines if "Layer (type)" in line)
