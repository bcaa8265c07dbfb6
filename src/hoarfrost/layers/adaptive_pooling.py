"""Adaptive pooling: `AdaptiveAveragePooling1D/2D/3D` and `AdaptiveMaxPooling1D/2D/3D`.

They pool any spatial size down to a fixed `output_size` (window sizes and
strides follow from the input), as Keras's layers: the two-window-size
gather of `ops.adaptive_average_pool` / `ops.adaptive_max_pool`.
"""

from __future__ import annotations

from hoarfrost.config import standardize_data_format
from hoarfrost.layers.layer import InputSpec, Layer
from hoarfrost.ops import adaptive_average_pool, adaptive_max_pool


class _AdaptivePooling(Layer):
    rank = 0
    _op = None

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            output_size = (output_size,) * self.rank
        elif isinstance(output_size, (tuple, list)) and len(output_size) == self.rank:
            output_size = tuple(output_size)
        else:
            raise TypeError(f"{name}: `output_size` must be an integer or a tuple of "
                            f"{self.rank} integers. Received: {output_size!r}.")
        if not all(isinstance(v, int) and v > 0 for v in output_size):
            raise ValueError(f"{name}: `output_size` must hold positive integers. Received: "
                             f"{output_size!r}.")
        self.output_size = output_size
        self.data_format = standardize_data_format(data_format, name)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    def call(self, inputs):
        return type(self)._op(inputs, self.output_size, data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size,
                "data_format": self.data_format}


_DOC = """Adaptive {kind} pooling of {what} to `output_size`, whatever the input's size.

    Args:
        output_size: the output's spatial size: an int or a tuple of {rank} ints.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        >>> {name}({size})(jnp.ones({example})).shape
        {expected}
"""


class AdaptiveAveragePooling1D(_AdaptivePooling):
    rank, _op = 1, staticmethod(adaptive_average_pool)
    __doc__ = _DOC.format(kind="average", what="sequences", rank=1,
                          name="AdaptiveAveragePooling1D", size=3, example="(2, 7, 4)",
                          expected="(2, 3, 4)")


class AdaptiveAveragePooling2D(_AdaptivePooling):
    rank, _op = 2, staticmethod(adaptive_average_pool)
    __doc__ = _DOC.format(kind="average", what="images", rank=2,
                          name="AdaptiveAveragePooling2D", size="(2, 3)",
                          example="(1, 7, 8, 3)", expected="(1, 2, 3, 3)")


class AdaptiveAveragePooling3D(_AdaptivePooling):
    rank, _op = 3, staticmethod(adaptive_average_pool)
    __doc__ = _DOC.format(kind="average", what="volumes", rank=3,
                          name="AdaptiveAveragePooling3D", size=2,
                          example="(1, 5, 5, 5, 2)", expected="(1, 2, 2, 2, 2)")


class AdaptiveMaxPooling1D(_AdaptivePooling):
    rank, _op = 1, staticmethod(adaptive_max_pool)
    __doc__ = _DOC.format(kind="max", what="sequences", rank=1, name="AdaptiveMaxPooling1D",
                          size=3, example="(2, 7, 4)", expected="(2, 3, 4)")


class AdaptiveMaxPooling2D(_AdaptivePooling):
    rank, _op = 2, staticmethod(adaptive_max_pool)
    __doc__ = _DOC.format(kind="max", what="images", rank=2, name="AdaptiveMaxPooling2D",
                          size="(2, 3)", example="(1, 7, 8, 3)", expected="(1, 2, 3, 3)")


class AdaptiveMaxPooling3D(_AdaptivePooling):
    rank, _op = 3, staticmethod(adaptive_max_pool)
    __doc__ = _DOC.format(kind="max", what="volumes", rank=3, name="AdaptiveMaxPooling3D",
                          size=2, example="(1, 5, 5, 5, 2)", expected="(1, 2, 2, 2, 2)")
