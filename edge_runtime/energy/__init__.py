"""Energy per inference: measured on a sensor (:func:`measure`) or estimated (:func:`estimate`)."""

from edge_runtime.energy.estimate import estimate
from edge_runtime.energy.measure import measure

__all__ = ["estimate", "measure"]
