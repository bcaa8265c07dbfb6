"""`Model`: a layer that trains. Subclass it, or build it functionally."""

from __future__ import annotations

import inspect
import json
import warnings
from typing import Any

from hoarfrost import finetuning
from hoarfrost.engine.trainer import Trainer
from hoarfrost.layers.layer import Layer, _shape_to_spec
from hoarfrost.object_registration import builtin_class
from hoarfrost.saving import saving_lib
from hoarfrost.saving.serialization import serialize_layer
from hoarfrost.saving.serialization_lib import deserialize_keras_object
from hoarfrost.selectors import select, variable_owners, walk
from hoarfrost.summary import print_summary


class Model(Trainer, Layer):
    """A layer with training, evaluation, saving and a summary.

    Two ways to build one, as in Keras:

    - functional: `Model(inputs, outputs)` on symbolic tensors from `Input`;
    - subclassing: create layers in `__init__`, use them in `call`.

    Example:
        >>> from hoarfrost import Input, layers
        >>> x = Input(shape=(3,))
        >>> model = Model(x, layers.Dense(1)(x))
        >>> model.count_params()
        4
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and functional_init_arguments(args, kwargs):
            functional = builtin_class("Functional")  # registered as it is defined
            return functional.__new__(functional)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if functional_init_arguments(args, kwargs):
            # Keras: a Model subclass called as Model(inputs, outputs) becomes a
            # functional model with the subclass's methods on top.
            functional = builtin_class("Functional")
            _inject_functional(type(self), functional)
            functional.__init__(self, *args, **kwargs)
            return
        if args:
            raise TypeError(
                f"{type(self).__name__}: Model() takes (inputs, outputs) or keyword arguments "
                f"(name=, trainable=), got {len(args)} positional argument(s).")
        Layer.__init__(self, **kwargs)
        Trainer.__init__(self)

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None):
        """A model from its config: a functional config rebuilds the graph (as `cls`
        when `cls` takes `(inputs, outputs)`, as Keras), any other config is passed to
        `cls(**config)`.

        Args:
            config: the output of `get_config()`.
            custom_objects: classes and functions by name, for the graph's
                custom layers.
        """
        functional = builtin_class("Functional")
        if {"layers", "nodes", "inputs", "outputs"} <= set(config) \
                and _revivable_as_functional(cls, functional):
            target = functional if cls is Model else cls
            return functional.from_config.__func__(target, config, custom_objects)
        try:
            return cls(**config)
        except TypeError as exc:
            raise TypeError(
                "Unable to revive model from config. When overriding the `get_config()` "
                "method, make sure that the returned config contains all items used as "
                f"arguments in the constructor to {cls.__name__}, which is the default "
                "behavior. You can override this default behavior by defining a "
                f"`from_config(cls, config)` class method.\n\nReceived config={config}\n\n"
                f"Error encountered: {exc}") from exc

    @property
    def layers(self) -> list[Layer]:
        """The model's layers, in order."""
        return list(self._layers)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by name (searching nested models too) or by index."""
        if index is not None and name is not None:
            raise ValueError("get_layer: pass either `name` or `index`, not both.")
        if index is not None:
            layers = self.layers
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"get_layer: index {index} is out of range; model \"{self.name}\" has "
                    f"{len(layers)} layers."
                )
            return layers[index]
        if name is None:
            raise ValueError("get_layer: pass a layer `name` or an `index`.")
        for layer in self.layers:
            if layer.name == name:
                return layer
        for layer in self.layers:
            if isinstance(layer, Model):
                try:
                    return layer.get_layer(name)
                except ValueError:
                    pass
        raise ValueError(
            f"No such layer: {name!r}. Model \"{self.name}\" has layers: "
            f"{', '.join(repr(layer.name) for layer in self.layers)}."
        )

    # --- freezing by name ------------------------------------------------------------------
    def freeze(self, *selectors, train_bn: bool = False) -> None:
        """Freeze layers or variables named by selectors (see `hoarfrost.selectors`).

        The same flags as `layer.trainable = False`: the next step honours it.

        Args:
            train_bn: keep every BatchNormalization layer in the selection
                training (gamma/beta learn, statistics update: fastai's
                `train_bn`). By default a frozen BatchNormalization runs in
                inference mode with everything bit-identical (Keras's rule).

        Example:
            >>> model.freeze("dense1")          # a layer, by name
            >>> model.freeze("*/bias")          # every bias, by a glob on paths
        """
        chosen = select(self, selectors)
        for item in chosen:
            item.trainable = False
        if train_bn:
            norms = [layer for item in chosen if isinstance(item, Layer)
                     for layer, _ in walk(item) if type(layer).__name__ == "BatchNormalization"]
            if norms:
                self.unfreeze(*norms)

    def fine_tune(self, x, y, epochs: int, head, freeze_epochs: int = 1,
                  base_lr_multiplier: float = 0.01, **fit_kwargs):
        """Train `head` on a frozen base, then everything with a gentler base rate.

        See `hoarfrost.finetuning.fine_tune`; returns the two phases' histories.
        """
        return finetuning.fine_tune(self, x, y, epochs, head=head, freeze_epochs=freeze_epochs,
                         base_lr_multiplier=base_lr_multiplier, **fit_kwargs)

    def unfreeze(self, *selectors) -> None:
        """Make the selected layers or variables trainable, and only those.

        Enclosing layers are switched on without touching their other
        contents, so unfreezing `"base/block3/*"` inside a frozen base trains
        block 3 alone.
        """
        owners = variable_owners(self)
        ancestors_of = {id(layer): ancestors for layer, ancestors in walk(self)}
        for item in select(self, selectors):
            if isinstance(item, Layer):
                item.trainable = True
                path = ancestors_of.get(id(item), ())
            else:
                if item.is_state:
                    continue
                item.trainable = True
                owner, path = owners[id(item)]
                path = path + (owner,)
            for layer in path:
                layer.set_trainable(True, recursive=False)

    def freeze_to(self, n: int) -> None:
        """Freeze `layers[:n]` and make `layers[n:]` trainable (fastai's `freeze_to`)."""
        layers = self.layers
        for layer in layers[:n]:
            layer.trainable = False
        self.set_trainable(True, recursive=False)
        for layer in layers[n:]:
            layer.trainable = True

    def unfreeze_from(self, n: int) -> None:
        """Make `layers[n:]` trainable, leaving `layers[:n]` as they are."""
        self.set_trainable(True, recursive=False)
        for layer in self.layers[n:]:
            layer.trainable = True

    def summary(self, line_length: int | None = None, positions=None, print_fn=None,
                expand_nested: bool = False, show_trainable: bool = False,
                layer_range=None) -> None:
        """Print a table of layers, output shapes and parameter counts.

        Every variable is counted once: Total = Trainable + Non-trainable.
        Optimizer slots are never counted (Keras 3 adds them after training).

        Args:
            print_fn: called with each line of text instead of printing.
            expand_nested: also list the layers of nested models.
            show_trainable: add a column saying whether each layer trains.
        """
        print_summary(self, line_length=line_length, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable)

    def _layer_output_shapes(self) -> dict[int, Any]:
        """Output shape per layer id, where known (for `summary`)."""
        shapes = {}
        for layer in self.layers:
            for node in layer._inbound_nodes[:1]:
                outs = node.output_tensors
                shapes[id(layer)] = outs[0].shape if len(outs) == 1 else [t.shape for t in outs]
        return shapes

    def build(self, input_shape) -> None:
        """Build a subclassed model by running `call` abstractly on `input_shape`."""
        if not self.built:
            self._build_shapes_dict = input_shape
            self.compute_output_spec(_shape_to_spec(input_shape))
            self.built = True

    def _maybe_build(self, input_shape) -> None:
        # A model's sublayers build themselves during its first call.
        if not self.built:
            self._build_shapes_dict = input_shape
            self.built = True

    # --- saving ---------------------------------------------------------------
    def save(self, filepath, overwrite: bool = True) -> None:
        """Save architecture, weights, trainable flags and optimizer state to a `.keras` zip."""
        saving_lib.save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite: bool = True) -> None:
        """Save the weights to a `.weights.safetensors` file (safetensors whatever the suffix).

        `load_weights` restores values only, as in Keras; `save()` keeps the
        trainable flags and optimizer too.
        """
        saving_lib.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath) -> None:
        """Load weights saved by `save_weights` or `save` (matched in `weights` order)."""
        saving_lib.load_weights(self, filepath)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "trainable": self.trainable}

    def get_compile_config(self) -> dict[str, Any] | None:
        """The arguments `compile()` was given (None before `compile()`), as Keras
        returns them; `save()` stores them serialized when a class overrides this
        or `compile_from_config`."""
        if not self.compiled:
            return None
        config = self._compile_config
        return {"optimizer": self.optimizer, "loss": self.loss, "metrics": config.metrics,
                "loss_weights": config.loss_weights,
                "weighted_metrics": config.weighted_metrics,
                "steps_per_execution": self.steps_per_execution}

    def compile_from_config(self, config: dict[str, Any]) -> None:
        """Compile from `get_compile_config()`'s saved output (called on loading).

        As in Keras, a model whose class overrides `compile()` is left
        uncompiled, with a warning (its `compile` may take other arguments).
        """
        if type(self).compile is not Trainer.compile:
            warnings.warn(
                f'Model "{self.name}": compile() was not called as part of model loading '
                "because the model's compile() method is custom. All subclassed Models that "
                "have compile() overridden should also override get_compile_config() and "
                "compile_from_config(config).", stacklevel=2)
            return
        self.compile(**deserialize_keras_object(config))

    def to_json(self, **kwargs) -> str:
        """The architecture as JSON (no weights), for `models.model_from_json`.

        Keyword arguments go to `json.dumps` (e.g. `indent=2`).
        """
        return json.dumps(serialize_layer(self), **kwargs)


def functional_init_arguments(args: tuple, kwargs: dict) -> bool:
    """Whether a Model is being called as `Model(inputs, outputs)` (Keras's test)."""
    return (len(args) == 2 or (len(args) == 1 and "outputs" in kwargs)
            or ("inputs" in kwargs and "outputs" in kwargs))


def _inject_functional(cls: type, functional: type) -> type:
    """Put `Functional` in place of `Model` among `cls`'s bases (Keras's
    `inject_functional_model_class`), so a subclass built as `MyModel(inputs,
    outputs)` runs, saves and clones as a functional model."""
    if cls is Model:
        return functional
    if cls is object or not issubclass(cls, Model) or issubclass(cls, functional):
        return cls
    cls.__bases__ = tuple(_inject_functional(base, functional) for base in cls.__bases__)
    return cls


def _revivable_as_functional(cls: type, functional: type) -> bool:
    """Whether `cls(inputs, outputs, ...)` can rebuild a functional config (Keras's rule)."""
    if cls in (Model, functional):
        return True
    spec = inspect.getfullargspec(cls.__init__)
    functional_args = inspect.getfullargspec(functional.__init__).args[1:]
    return spec.args[1:] == functional_args or (spec.varargs is not None
                                                 and spec.varkw is not None)
