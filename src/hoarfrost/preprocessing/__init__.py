"""Keras's `keras.preprocessing` names: the dataset builders, and the `image` and
`sequence` helpers, the same functions as `hoarfrost.utils`'."""

from hoarfrost.data.image_dataset import image_dataset_from_directory
from hoarfrost.data.text_dataset import text_dataset_from_directory
from hoarfrost.data.timeseries_dataset import timeseries_dataset_from_array
from hoarfrost.preprocessing import image, sequence

__all__ = ["image", "image_dataset_from_directory", "sequence", "text_dataset_from_directory",
           "timeseries_dataset_from_array"]
