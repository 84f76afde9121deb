"""The one place TensorFlow is imported: Keras 2 (``tf_keras``) switched on before TF loads.

tensorflow-model-optimization supports only Keras 2 (its issues #1119, #1270), and tf2onnx's
``from_keras`` fails on Keras 3, so every edgenn module uses ``from models.backend import keras, tf``.
"""

from __future__ import annotations

import os
import sys

if "tensorflow" in sys.modules and os.environ.get("TF_USE_LEGACY_KERAS") != "1":
    raise RuntimeError(
        "TensorFlow was imported before models.backend with TF_USE_LEGACY_KERAS unset; "
        "import models.backend first (tfmot needs Keras 2)"
    )
os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep C++ INFO lines out of user output

from edge_runtime.errors import require  # noqa: E402

tf = require("tensorflow", "train", "training and export")
keras = require("tf_keras", "train", "training and export")
tf.get_logger().setLevel("ERROR")

__all__ = ["keras", "tf"]
