"""Models: `Sequential`, functional `Model`, saving and loading them, cloning."""

from hoarfrost.models.cloning import clone_model, model_from_json
from hoarfrost.models.functional import Functional
from hoarfrost.models.model import Model
from hoarfrost.models.sequential import Sequential
from hoarfrost.saving.saving_lib import load_model, save_model

__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_json",
           "save_model"]
