"""`Model`: a layer that trains. Subclass it, or build it functionally."""

from __future__ import annotations

from typing import Any

from hoarfrost.engine.trainer import Trainer
from hoarfrost.layers.layer import Layer


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
        if cls is Model and (len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs):
            from hoarfrost.models.functional import Functional
            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        Layer.__init__(self, **kwargs)
        Trainer.__init__(self)

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
        from hoarfrost.layers.layer import Layer
        from hoarfrost.selectors import select, walk
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
        from hoarfrost.finetuning import fine_tune
        return fine_tune(self, x, y, epochs, head=head, freeze_epochs=freeze_epochs,
                         base_lr_multiplier=base_lr_multiplier, **fit_kwargs)

    def unfreeze(self, *selectors) -> None:
        """Make the selected layers or variables trainable, and only those.

        Enclosing layers are switched on without touching their other
        contents, so unfreezing `"base/block3/*"` inside a frozen base trains
        block 3 alone.
        """
        from hoarfrost.layers.layer import Layer
        from hoarfrost.selectors import select, variable_owners, walk
        owners = variable_owners(self)
        ancestors_of = {id(layer): ancestors for layer, ancestors in walk(self)}
        for item in select(self, selectors):
            if isinstance(item, Layer):
                item.trainable = True
                path = ancestors_of.get(id(item), ())
            else:
                if item._is_state:
                    continue
                item.trainable = True
                owner, path = owners[id(item)]
                path = path + (owner,)
            for layer in path:
                layer._trainable = True

    def freeze_to(self, n: int) -> None:
        """Freeze `layers[:n]` and make `layers[n:]` trainable (fastai's `freeze_to`)."""
        layers = self.layers
        for layer in layers[:n]:
            layer.trainable = False
        self._trainable = True
        for layer in layers[n:]:
            layer.trainable = True

    def unfreeze_from(self, n: int) -> None:
        """Make `layers[n:]` trainable, leaving `layers[:n]` as they are."""
        self._trainable = True
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
        from hoarfrost.summary import print_summary
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
        from hoarfrost.layers.layer import _shape_to_spec
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
        from hoarfrost.saving.saving_lib import save_model
        save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite: bool = True) -> None:
        """Save the weights to a `.weights.safetensors` file (safetensors whatever the suffix).

        `load_weights` restores values only, as in Keras; `save()` keeps the
        trainable flags and optimizer too.
        """
        from hoarfrost.saving.saving_lib import save_weights
        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath) -> None:
        """Load weights saved by `save_weights` or `save` (matched in `weights` order)."""
        from hoarfrost.saving.saving_lib import load_weights
        load_weights(self, filepath)

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

    def to_json(self, **kwargs) -> str:
        """The architecture as JSON (no weights), for `models.model_from_json`.

        Keyword arguments go to `json.dumps` (e.g. `indent=2`).
        """
        import json

        from hoarfrost.saving.serialization import serialize_layer
        return json.dumps(serialize_layer(self), **kwargs)
