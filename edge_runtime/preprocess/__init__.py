"""Classical preprocessing, written once: batch-first numpy ops and the Pipeline that chains them.

Importing this package registers every op. ``OPS`` maps names to ops; ``Pipeline.from_spec``
builds a pipeline from a list of ``{"op": name, ...params}`` dicts.
"""

from edge_runtime.preprocess import (  # noqa: F401  (each module registers its ops)
    basic,
    color,
    filters,
    fitted,
    geometry,
    hog,
    lbp,
    moments,
)
from edge_runtime.preprocess.pipeline import Pipeline, Step
from edge_runtime.preprocess.registry import OPS, Op, get_op, register_op

__all__ = ["OPS", "Op", "Pipeline", "Step", "get_op", "register_op"]
