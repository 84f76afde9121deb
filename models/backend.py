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

import contextlib  # noqa: E402

from edge_runtime.errors import require  # noqa: E402


@contextlib.contextmanager
def _quiet_native_stderr():
    """Silence C++ log lines written to fd 2 while TensorFlow loads.

    Workaround: TF 2.21 logs through Abseil before ``absl::InitializeLog()``, which ignores
    TF_CPP_MIN_LOG_LEVEL (abseil/abseil-cpp#1718, #1957; tensorflow/tensorflow#102212) and prints
    oneDNN/CUDA INFO lines on every import. Python exceptions are unaffected. Remove once TF
    initializes Abseil logging itself. Set EDGENN_TF_LOGS=1 to see the lines.
    """
    if os.environ.get("EDGENN_TF_LOGS") == "1":
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


with _quiet_native_stderr():
    tf = require("tensorflow", "train", "training and export")
    keras = require("tf_keras", "train", "training and export")
    tf.config.list_physical_devices()  # device discovery logs (CUDA probes) happen here, once
tf.get_logger().setLevel("ERROR")

__all__ = ["keras", "tf"]
