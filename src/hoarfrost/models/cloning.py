"""`clone_model` and `model_from_json`: new models from an existing architecture."""

from __future__ import annotations

import types
from typing import Callable

from hoarfrost.layers.input_layer import InputLayer
from hoarfrost.object_registration import CustomObjectScope


def model_from_json(json_string: str, custom_objects: dict | None = None):
    """The model a JSON architecture describes, with freshly initialised weights.

    Takes `Model.to_json()`'s output and Keras's, in Keras 3's dialect or
    Keras 2's (tf_keras); see `hoarfrost.saving.keras_config`. The JSON is
    checked (nesting depth, graph references, graph operations) before
    anything is built, and read in safe mode, as `load_model` (see
    `hoarfrost.saving.safe_mode`).
    """
    from hoarfrost.saving import keras_config
    from hoarfrost.saving.serialization import deserialize_layer
    from hoarfrost.saving.validation import check_model_config, loads_json
    config = loads_json(json_string, "model_from_json()")
    if isinstance(config, dict) and keras_config.is_keras_config(config):
        config = keras_config.from_keras(config, custom_objects)
    check_model_config(config, "model_from_json()")
    model = deserialize_layer(config, custom_objects)
    shape = (config.get("build_config") or {}).get("input_shape")
    if not model.built and shape is not None:
        from hoarfrost.saving.saving_lib import _to_tuples
        model.build(_to_tuples(shape))
    return model


def _fresh_copy(layer):
    """Keras's default `clone_function`: the same config, new weights."""
    from hoarfrost.saving.serialization import deserialize_layer, serialize_layer
    return deserialize_layer(serialize_layer(layer))


def _clone_layer(layer):
    """Keras's default `clone_function`: `layer.__class__.from_config(layer.get_config())`,
    so a custom class needs no registration (Keras's `_clone_layer`). A plain function the
    layer holds (`activation=my_fn`, saved by name) is found again by that name, where
    Keras would need it registered."""
    functions = {f.__name__: f for f in vars(layer).values()
                 if isinstance(f, types.FunctionType) and f.__name__ != "<lambda>"}
    with CustomObjectScope(functions):
        return type(layer).from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function: Callable | None = None,
                **kwargs):
    """A new model with `model`'s architecture and new weights, as Keras's `clone_model`.

    Nothing is shared: every layer is rebuilt from its config (or made by
    `clone_function(layer)`, which may return the layer itself to share it,
    or a changed copy). The clone has the layers' trainable flags but neither
    the weights' values nor the compile settings; copy weights with
    `clone.set_weights(model.get_weights())`.

    Args:
        model: a `Sequential` or functional model (a subclassed model is
            rebuilt from its `get_config`).
        input_tensors: not supported; the clone gets inputs like the original's.
        clone_function: `layer -> layer`, applied to every layer but the inputs.
    """
    from hoarfrost.models.functional import Functional
    from hoarfrost.models.sequential import Sequential
    if input_tensors is not None:
        raise NotImplementedError(
            "clone_model: `input_tensors` is not supported; the clone takes inputs of the "
            "original's shapes (build a new graph on other inputs with the cloned layers).")
    if kwargs:
        raise TypeError(f"clone_model: unexpected arguments {sorted(kwargs)}.")
    clone_function = clone_function or _clone_layer
    if isinstance(model, Sequential):
        layers = [clone_function(layer) for layer in model.layers]
        if model._input_layer is not None:  # model.layers never lists it
            layers = [_fresh_copy(model._input_layer)] + layers
        return Sequential(layers, name=model.name, trainable=model.trainable)
    if isinstance(model, Functional):
        config = model.get_config()
        by_name = {layer.name: layer for layer in model._layers}  # operations too

        def make_layer(layer_config):
            # The name beside the config: a custom get_config() may leave it out.
            layer = by_name[layer_config.get("name") or layer_config["config"]["name"]]
            return _fresh_copy(layer) if isinstance(layer, InputLayer) else clone_function(layer)

        return Functional.from_config(config, make_layer=make_layer)
    return _fresh_copy(model)
