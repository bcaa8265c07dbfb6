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
from hoarfrost.saving.keras_config import to_keras
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
        from hoarfrost.variables import Variable
        named = {id(selector) for selector in selectors if isinstance(selector, Variable)}
        for item in select(self, selectors):
            if isinstance(item, Layer):
                item.trainable = True
                path = ancestors_of.get(id(item), ())
            else:
                # State, and int8 weights matched by a pattern, never train (an int8
                # weight passed by itself raises, naming its layer).
                if item.is_state or (item.frozen_by == "quantization"
                                      and id(item) not in named):
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

    # --- parameter-efficient fine-tuning --------------------------------------------------
    def enable_lora(self, rank: int, *selectors, lora_alpha: float | None = None,
                    a_initializer="he_uniform", b_initializer="zeros") -> None:
        """Train low-rank adapters on the selected layers and freeze everything else.

        Each selected `Dense`, `EinsumDense`, `Embedding` or convolution gets
        Keras 3's adapter (`layer.enable_lora(rank)`: its kernel frozen, B at
        zeros so the outputs are unchanged until it trains); then every other
        variable of the model is frozen, so only the adapters train (peft's and
        KerasHub's `Backbone.enable_lora` rule). Unfreeze a new head after it,
        e.g. `model.unfreeze("head")`.

        Args:
            rank: the adapters' rank.
            *selectors: as `freeze`: layer names (a layer selects every
                supported layer inside it, e.g. a MultiHeadAttention's
                projections), globs or regexes on variable paths (a layer is
                selected by its kernel's path: `"*attention*"`, `"dense_*"`),
                layers or variables. None: every supported layer.
            lora_alpha: the updates are scaled by `lora_alpha / rank`
                (default `rank`).
            a_initializer, b_initializer: as `layer.enable_lora`.

        Example:
            >>> model.enable_lora(8, "*attention*", "dense_*")
            >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        """
        from hoarfrost.models.peft import enable_lora
        enable_lora(self, rank, selectors, lora_alpha=lora_alpha, a_initializer=a_initializer,
                    b_initializer=b_initializer)

    def merge_lora(self) -> None:
        """Fold every LoRA adapter into its kernel and remove it: a plain model again.

        Outputs equal the adapted model's up to float32 rounding (an int8
        kernel is quantized again, as Keras does when saving). The merged
        kernels keep their flag (frozen) and follow their layers' flags again:
        `model.trainable = True` trains the whole model. The adapters' optimizer
        slots are dropped.
        """
        from hoarfrost.models.peft import merge_lora
        merge_lora(self)

    def quantize(self, mode: str | None = None, config=None, filters=None, **kwargs) -> None:
        """Store the kernels of `Dense`, `EinsumDense` and `Embedding` layers in int8 (Keras 3).

        Per output channel, with float scales; those weights are frozen by
        definition (a LoRA adapter on them still trains). Saved and loaded with
        the model. Other layers with kernels stay in float, with a warning.

        Args:
            mode: `"int8"`; Keras's other modes raise NotImplementedError.
            config: an `hoarfrost.quantizers.Int8QuantizationConfig`
                (`activation_quantizer=None` for weight-only int8).
            filters: a regex (or list of them) searched in layer names, or a
                callable `layer -> bool`: only those layers are quantized.
            **kwargs: `type_check` (as Keras).
        """
        from hoarfrost.models.peft import quantize
        type_check = kwargs.pop("type_check", True)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to "
                             f"{type(self).__name__}.quantize: {kwargs}")
        quantize(self, mode, config=config, filters=filters, type_check=type_check)

    def save_lora_weights(self, filepath, overwrite: bool = True) -> None:
        """Save the LoRA adapters alone (a small `.lora.safetensors` file; KerasHub's name).

        See `hoarfrost.saving.adapters`.
        """
        from hoarfrost.saving.adapters import save_lora_weights
        save_lora_weights(self, filepath, overwrite=overwrite)

    def load_lora_weights(self, filepath, check_base: bool = True) -> None:
        """Load adapters saved by `save_lora_weights` onto the same base model.

        Layers without an adapter get one (with the saved rank and alpha, and
        everything else frozen, as `enable_lora`). With `check_base`, each
        adapted kernel must be the one the adapters were trained on (by
        checksum); pass False to apply them to another base of the same shapes.
        """
        from hoarfrost.saving.adapters import load_lora_weights
        load_lora_weights(self, filepath, check_base=check_base)

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
            layer_range: `[first, last]` layer names or regexes (both included):
                list only those layers (the totals stay the model's), as Keras.
            positions: where each column ends, as fractions of `line_length`
                (all at most 1) or in characters.
        """
        print_summary(self, line_length=line_length, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable,
                      layer_range=layer_range, positions=positions)

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
    def save(self, filepath, overwrite: bool = True, include_optimizer: bool = True) -> None:
        """Save architecture, weights, trainable flags and optimizer state to a `.keras` zip
        that Keras 3 loads too (hoarfrost's flags and slots ride along as extra members).

        A path ending in `.h5` writes the legacy HDF5 model file instead, as Keras 3
        does (with its warning that the format is legacy); `include_optimizer=False`
        leaves the optimizer out of it."""
        saving_lib.save_model(self, filepath, overwrite=overwrite,
                              include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite: bool = True) -> None:
        """Save the weights: `*.weights.h5` in Keras's HDF5 layout (Keras loads it),
        `*.weights.safetensors` as hoarfrost's native file.

        `load_weights` restores values only, as in Keras; `save()` keeps the
        trainable flags and optimizer too.
        """
        saving_lib.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch: bool = False) -> None:
        """Load weights into this built model, from a file of any kind hoarfrost knows.

        The kind is read from the file's bytes, not its name: a `.keras` zip or a
        Keras 3 `.weights.h5` (matched by Keras's structural names, e.g.
        `layers/dense/vars/0`), a legacy Keras 2 HDF5 model or weights file such
        as Keras's published ImageNet weights (matched by *layer name*; within a
        layer in Keras's `layer.weights` order, shapes checked), or hoarfrost's
        `.weights.safetensors` (in `weights` order). Any layer missing from the
        file, extra in it, or of another shape raises, naming it; nothing is
        assigned then. With `skip_mismatch=True` (Keras's partial loading) such a
        layer (a weight, in files matched by position or legacy HDF5) keeps its
        values, with a warning naming it, and the rest loads.
        """
        saving_lib.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def export(self, filepath, format: str = "tf_saved_model", verbose: bool | None = None,
               input_signature=None, **kwargs) -> None:
        """Export the inference call (`training=False`) as an artifact for serving.

        Args:
            filepath: where to write: one file for `"jax"`, a directory for
                `"tf_saved_model"`.
            format: `"jax"`: the call serialized by `jax.export` (StableHLO,
                batch size symbolic) with the weights, in one file that
                `hoarfrost.export.load` turns back into a callable with JAX
                alone. `"tf_saved_model"` (Keras's default): the same function
                through `jax2tf`, for TensorFlow Serving; needs TensorFlow.
                Keras's `"onnx"`, `"openvino"`, `"litert"` and `"torch"` are
                not supported (no maintained converter from JAX).
            verbose: print the endpoint's signature (default True).
            input_signature: a list with one spec per positional argument
                (`hoarfrost.Input(...)`, `jax.ShapeDtypeStruct` or arrays);
                None sizes are symbolic. Defaults to the model's inputs.
            **kwargs: `platforms`, the platforms to export for (e.g.
                `("cpu", "cuda")`; default: JAX's default backend).

        Example:
            >>> model.export("classifier.hoarfrost-export", format="jax")
            >>> reloaded = hoarfrost.export.load("classifier.hoarfrost-export")
            >>> reloaded.serve(images)
        """
        unknown = sorted(set(kwargs) - {"platforms"})
        if unknown:
            raise TypeError(f"export(): unexpected keyword arguments {unknown}; this export "
                            "takes `platforms` only.")
        if format == "jax":
            from hoarfrost.export import DEFAULT_ENDPOINT_NAME, ExportArchive
            from hoarfrost.export.export_utils import get_input_signature

            if input_signature is None:
                input_signature = get_input_signature(self)
            archive = ExportArchive()
            archive.track(self)
            archive.add_endpoint(DEFAULT_ENDPOINT_NAME,
                                 lambda *args: self(*args, training=False),
                                 input_signature, platforms=kwargs.get("platforms"))
            archive.write_out(filepath, verbose=True if verbose is None else verbose)
        elif format == "tf_saved_model":
            from hoarfrost.export.saved_model import export_saved_model
            export_saved_model(self, filepath, verbose, input_signature,
                               platforms=kwargs.get("platforms"))
        else:
            raise ValueError(
                f"export(): format={format!r} is not supported. Supported formats: 'jax' "
                "(StableHLO via jax.export) and 'tf_saved_model' (via jax2tf, needs "
                "TensorFlow); Keras's 'onnx', 'openvino', 'litert' and 'torch' have no "
                "maintained converter from JAX.")

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
        """The architecture as JSON (no weights) in Keras 3's dialect, for
        `models.model_from_json` here or in Keras.

        Keyword arguments go to `json.dumps` (e.g. `indent=2`).
        """
        return json.dumps(to_keras(self), **kwargs)


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
