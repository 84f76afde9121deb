"""Test-only reference libraries (OpenCV, scikit-image, scikit-learn, jsonschema, hypothesis).

``pytest tests/edge_runtime`` also runs on a device with only the edge extra and pytest. There a test
module whose oracle is not installed is skipped with a reason; where TensorFlow is installed (the
workstation and CI: the dev extra belongs with it) a missing oracle is an error, never a silent skip.
"""

from __future__ import annotations

import importlib
import importlib.util

import pytest


def edge_only() -> bool:
    """True in an install without TensorFlow, i.e. the edge extra on a device."""
    return importlib.util.find_spec("tensorflow") is None


def oracle(module: str):
    """Import ``module``; in an edge-only install skip the calling test module when it is missing."""
    if not edge_only():
        return importlib.import_module(module)
    # ImportError, not only ModuleNotFoundError: models.backend raises MissingExtraError without TensorFlow
    return pytest.importorskip(module, reason=f"edge-only install: the test oracle {module} (dev extra) is absent",
                               exc_type=ImportError)
