"""hoarfrost.backend: keras.backend's helpers."""

import numpy as np

from hoarfrost import backend


def test_dtype_helpers_and_uids_as_keras():
    assert backend.backend() == "jax" and backend.floatx() == "float32"
    assert backend.epsilon() == 1e-7 and backend.image_data_format() == "channels_last"
    assert backend.standardize_dtype(None) == "float32"
    assert backend.standardize_dtype(np.float16) == "float16"
    assert backend.standardize_dtype(np.zeros(1, "int8")) == "int8"
    assert backend.is_float_dtype("bfloat16") and not backend.is_float_dtype("int32")
    assert backend.is_int_dtype("uint8") and not backend.is_int_dtype("float32")
    assert backend.result_type("int32", "float16") == "float16"
    assert backend.result_type("float32", "bfloat16") == "float32"
    backend.clear_session()
    assert [backend.get_uid("x"), backend.get_uid("x"), backend.get_uid("y")] == [1, 2, 1]
    backend.clear_session()
    assert backend.get_uid("x") == 1
