"""The Python functions the ops fixture passes to `scan`, `cond`, `vectorize` and the like.

Shared by tools/keras_fixtures/ops.py (which calls Keras's ops with them) and
tests/ops/test_keras_values.py (which calls hoarfrost's): the fixture names a
function, both sides look it up here. Plain operators only, so that the same
function runs on either library's tensors.
"""


def scan_step(carry, x):
    return carry + x, carry * x


def double_plus_one(x):
    return x * 2.0 + 1.0


def add(a, b):
    return a + b


def true_branch():
    return 1.5


def false_branch():
    return -2.0


def plus_one(x):
    return x + 1.0


def times_three(x):
    return x * 3.0


def count_below_five(i, total):
    return i < 5


def count_and_double(i, total):
    return i + 1, total * 2.0


def add_index(i, value):
    return value + i


def row_dot(row):
    return row @ row


def cube_with_gradient_three(x):
    """`x ** 3`, whose gradient is declared to be 3 times the upstream gradient."""
    return x * x * x, lambda upstream: (upstream * 3.0,)


def multiply_add_one(a, b):
    return a * b + 1.0


def twice_square(x):
    return x * x * 2.0


FUNCTIONS = {name: value for name, value in dict(globals()).items()
             if callable(value) and not name.startswith("_")}
