"""Every builder and every activation converts to TFLite builtin ops and to ONNX, with equal outputs.

One small model per builder / activation; each conversion runs the converted model on the same
input as the Keras model (LiteRT interpreter, onnxruntime) and compares the outputs.
"""

import numpy as np
import pytest

from models.activations import ACTIVATIONS
from models.cnn import CnnParams
from models.hybrid import HybridParams
from models.mlp import MlpParams
from models.perceptron import PerceptronParams
from models.registry import Head, build_model

pytestmark = pytest.mark.slow

CASES = {
    "builder-perceptron": ("perceptron", PerceptronParams(), (3,)),
    "builder-mlp": ("mlp", MlpParams(hidden=[8], dropout=0.1, batch_norm=True), (6, 6, 1)),
    "builder-cnn": ("cnn", CnnParams(filters=[4, 8], dense=[8], batch_norm=True), (12, 12, 1)),
    "builder-cnn-separable": ("cnn", CnnParams(filters=[4, 8], dense=[8], separable=True), (12, 12, 1)),
    "builder-hybrid": ("hybrid", HybridParams(hidden=[8, 4]), (20,)),
    **{f"activation-{name}": ("mlp", MlpParams(hidden=[6], activation=name), (5,)) for name in ACTIVATIONS},
    "activation-maxout-conv": ("cnn", CnnParams(filters=[4], dense=[4], activation="maxout"), (8, 8, 1)),
}


def _model(case):
    from models.backend import keras

    keras.utils.set_random_seed(0)
    builder, params, shape = CASES[case]
    rng = np.random.default_rng(1)
    # the perceptron with 2 classes: one threshold unit shown as two columns
    model = build_model(builder, params, shape, Head("classification", 2 if builder == "perceptron" else 3))
    x = rng.normal(size=(4, *shape)).astype(np.float32)
    if builder == "perceptron":  # non-zero weights so the step outputs differ between samples
        model.get_layer("tlu").set_weights([rng.normal(size=(3, 1)).astype(np.float32), np.zeros(1, np.float32)])
    return model, x


def _tflite_ops(content: bytes) -> set[str]:
    from ai_edge_litert.interpreter import Interpreter

    from edge_runtime.workarounds import tflite_op_counts

    return set(tflite_op_counts(Interpreter(model_content=content)))


@pytest.mark.parametrize("case", CASES)
def test_converts_to_tflite_builtins_with_equal_outputs(case):
    from ai_edge_litert.interpreter import Interpreter

    from models.backend import tf

    model, x = _model(case)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]  # no select (Flex) ops allowed
    content = converter.convert()
    assert not any(op.startswith("Flex") for op in _tflite_ops(content))
    interpreter = Interpreter(model_content=content)
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.resize_tensor_input(inp["index"], x.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(inp["index"], x)
    interpreter.invoke()
    np.testing.assert_allclose(interpreter.get_tensor(out["index"]), model(x).numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("case", CASES)
def test_converts_to_onnx_with_equal_outputs(case):
    import onnxruntime as ort
    import tf2onnx

    from models.backend import tf

    model, x = _model(case)
    spec = (tf.TensorSpec((None, *x.shape[1:]), tf.float32, name="input"),)
    proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=13)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    (result,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(result, model(x).numpy(), rtol=1e-4, atol=1e-5)
