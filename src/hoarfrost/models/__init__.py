"""Models: `Sequential`, functional `Model`, and loading saved ones."""

from hoarfrost.models.functional import Functional
from hoarfrost.models.model import Model
from hoarfrost.models.sequential import Sequential
from hoarfrost.saving.saving_lib import load_model

__all__ = ["Functional", "Model", "Sequential", "load_model"]
