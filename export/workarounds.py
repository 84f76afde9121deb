"""Workarounds for third-party bugs, each with the issue it works around and when it can go.

Keep every one here, small and named, so removing it later is one deletion.
"""

from __future__ import annotations

import contextlib
import warnings


@contextlib.contextmanager
def tflite_integer_io_warning():
    """Silence TFLite's "Statistics for quantized inputs were expected" UserWarning.

    ``tensorflow/lite/python/convert.py`` warns whenever ``inference_input_type`` is an integer
    type, although with a representative dataset the converter computes the input scale and
    zero point itself (they are in the flatbuffer; tests check them). The message is the legacy
    ``quantized_input_stats`` path's; see tensorflow/tensorflow#63987 where it shows in every
    int8 conversion log. Remove when TensorFlow stops warning on integer I/O with calibration.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs were expected", category=UserWarning)
        yield
