"""Keras fixtures for GroupNormalization, RMSNormalization, UnitNormalization,
BatchNormalization(renorm=True), PReLU and EinsumDense (see breadth.py).

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python normalization.py
"""

import numpy as np

from breadth import record  # noqa: E402  (run as a script from this folder)

import keras  # noqa: E402

L = keras.layers
rng = np.random.default_rng(0)
x3 = rng.normal(size=(2, 3, 8)).astype("float32") * 2 + 0.5
x4 = rng.normal(size=(2, 3, 4, 6)).astype("float32")

record("norm_group", L.GroupNormalization, {"groups": 4}, x3)
record("norm_group_axis1_no_center", L.GroupNormalization,
       {"groups": 3, "axis": 1, "center": False}, x4)
record("norm_group_instance", L.GroupNormalization, {"groups": -1, "epsilon": 0.1}, x4)
record("norm_rms", L.RMSNormalization, {}, x3)
record("norm_rms_two_axes", L.RMSNormalization, {"axis": [-2, -1], "epsilon": 0.01}, x4)
record("norm_unit", L.UnitNormalization, {}, x3)
record("norm_unit_two_axes", L.UnitNormalization, {"axis": [1, 2]}, x4)
record("norm_batch_renorm", L.BatchNormalization, {"renorm": True, "momentum": 0.9}, x3)
record("norm_batch_renorm_clipped", L.BatchNormalization,
       {"renorm": True, "renorm_clipping": {"rmax": 1.5, "rmin": 0.8, "dmax": 0.3},
        "renorm_momentum": 0.7, "axis": 1, "center": False}, x4)
record("act_prelu", L.PReLU, {}, x3)
record("act_prelu_shared", L.PReLU, {"shared_axes": [1, 2]}, x4)
record("einsum_dense_dense", L.EinsumDense, {"equation": "ab,bc->ac", "output_shape": 4,
                                             "bias_axes": "c"}, x3[:, 0])
record("einsum_dense_3d", L.EinsumDense, {"equation": "abc,cd->abd", "output_shape": [3, 5],
                                          "bias_axes": "d", "activation": "relu"}, x3)
record("einsum_dense_heads", L.EinsumDense, {"equation": "abc,cde->abde",
                                             "output_shape": [None, 2, 3],
                                             "bias_axes": "de"}, x3)
record("einsum_dense_left_ellipsis", L.EinsumDense, {"equation": "...b,bc->...c",
                                                     "output_shape": 3}, x4)
record("einsum_dense_right_ellipsis", L.EinsumDense, {"equation": "ab...,bc->ac...",
                                                      "output_shape": 2, "bias_axes": "c"}, x4)
