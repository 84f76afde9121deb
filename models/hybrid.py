"""The hybrid model: a classical preprocessing stage (in ``edge_runtime``) feeding a small MLP.

The network itself is the ``mlp`` builder; what makes it hybrid is its input: the feature
vector of the config's ``[preprocess]`` pipeline (e.g. deskew + interpolated HOG, 324
features), computed by the same numpy code in training and on the device.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.mlp import MlpParams, mlp_model
from models.registry import Head, register_builder


@dataclass
class HybridParams(MlpParams):
    """Config keys of ``[model]`` for ``builder = "hybrid"``: those of the MLP."""

    hidden: list[int] = field(default_factory=lambda: [128, 64])  # 128-64 on 324 HOG features: ~50k params


@register_builder("hybrid", HybridParams, input_ranks=(1,))
def build_hybrid(params: HybridParams, input_shape: tuple[int, ...], head: Head):
    """MLP on the feature vector of a classical preprocessing pipeline."""
    return mlp_model(params, input_shape, head, "hybrid")
