"""edgenn's device side: load a bundle, preprocess, infer and measure, without TensorFlow.

Importing this package (or any module in it) must never import TensorFlow, Keras or tfmot;
``tests/edge_runtime/test_boundary.py`` proves it.
"""

__version__ = "0.1.0"
