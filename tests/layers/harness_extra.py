"""Kept for the tests that import from it: the harness is one module, `harness.py`."""

from tests.layers.harness import (assert_config_keys, check_named_fixture, load,  # noqa: F401
                                  named_inputs, run_multi_input_layer_test)
