"""Energy per inference: measured on a sensor (:func:`measure`), estimated from CPU time (:func:`cpu_time_estimate`),
bounded below by arithmetic (:func:`estimate`)."""

from edge_runtime.energy.core_power import cpu_time_estimate
from edge_runtime.energy.estimate import estimate
from edge_runtime.energy.measure import measure

__all__ = ["cpu_time_estimate", "estimate", "measure"]
