"""Export models for serving, as `keras.export` (JAX format).

`model.export(path, format="jax")` writes one file: the model's inference call
serialized by `jax.export` (StableHLO, the batch size symbolic) with its weights;
`hoarfrost.export.load(path)` gives it back as a callable, with JAX alone.
`ExportArchive` writes several endpoints (and variable collections) into one such
file. `format="tf_saved_model"` (Keras's default) converts the same function with
`jax2tf` when TensorFlow is installed.
"""

from hoarfrost.export.archive import DEFAULT_ENDPOINT_NAME, ExportArchive, LoadedArchive, load

__all__ = ["DEFAULT_ENDPOINT_NAME", "ExportArchive", "LoadedArchive", "load"]
