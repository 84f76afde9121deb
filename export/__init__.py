"""From a trained run to a validated, self-describing bundle of TFLite and ONNX models."""
