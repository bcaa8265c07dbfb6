"""Reading the layer configs nested in `RNN` (`cell`), `StackedRNNCells` (`cells`) and
`Bidirectional` (`layer`, `backward_layer`): Keras's recurrent classes found by name."""

from __future__ import annotations

from hoarfrost.object_registration import builtin_class

_RECURRENT_CLASSES = ("SimpleRNN", "LSTM", "GRU", "RNN", "SimpleRNNCell", "LSTMCell", "GRUCell",
                      "StackedRNNCells")


def _recurrent_classes() -> dict[str, type]:
    """The built-in recurrent classes, by name (each registers itself as it is defined, so
    this module need not import the modules that import it)."""
    return {name: builtin_class(name) for name in _RECURRENT_CLASSES}


def _deserialize(config, custom_objects=None):
    from hoarfrost.saving.serialization import deserialize_layer
    objects = dict(custom_objects or {})
    if not config.get("registered_name"):
        for name, cls in _recurrent_classes().items():
            objects.setdefault(name, cls)
    return deserialize_layer(config, objects)
