"""Every graph twin converts, inside a Keras model, to TFLite builtin ops and to standard ONNX ops,
and the converted model (LiteRT, onnxruntime) computes the numpy op on MNIST-5k digits.

The converters are edgenn's own (``export.keras2tflite`` fp32, ``export.keras2onnx``). To keep
the conversions few, one model holds every twin as a named output.
"""

import numpy as np
import pytest

from tests.models.twins.cases import CASES, as_kind, derive, fitted, mnist5k

pytestmark = pytest.mark.slow

#: digits run through each converted model (every 25th of the file: all ten classes)
SAMPLES = np.arange(0, 5000, 25)
#: standard ONNX operator domains (no contrib ops)
ONNX_DOMAINS = ("", "ai.onnx")
#: beyond each case's own tolerance: the converters rewrite x / constant as x * (1 / constant)
#: (grappler's arithmetic optimizer) and XNNPACK fuses multiply-adds, so a converted twin may be
#: 2 ulp off (relative) where the eager twin is exact
CONVERTED_RTOL = 2.4e-7


def _name(case: str) -> str:
    return case.replace("-", "_")


@pytest.fixture(scope="module")
def converted():
    """(Keras model: the unit digits in, one named output per case, input, numpy op results by case).

    One model holds every twin, so each converter runs once; each case's input (uint8 levels, RGB)
    is derived from the unit digits inside the graph, exactly (``cases.derive``).
    """
    from models.backend import keras
    from models.twins.chain import TwinChain

    unit = as_kind(mnist5k(), "unit")
    inputs = keras.layers.Input(unit.shape[1:], dtype="float32", name="frame")
    outputs, want = [], {}
    for case, (spec, kind, _) in sorted(CASES.items()):
        digits = as_kind(mnist5k(), kind)
        pipeline = fitted(spec, digits)
        chain = TwinChain(pipeline, digits.shape[1:], digits.dtype)
        outputs.append(keras.layers.Lambda(lambda u, c=chain, k=kind: c(derive(u, k)), name=_name(case))(inputs))
        want[case] = pipeline.transform(digits[SAMPLES]).astype(np.float32)
    return keras.Model(inputs, outputs), unit[SAMPLES], want


def _check(results: dict, want: dict) -> None:
    failures = []
    for case, expected in want.items():
        try:
            np.testing.assert_allclose(results[_name(case)], expected, rtol=CONVERTED_RTOL, atol=CASES[case][2])
        except AssertionError as exc:
            failures.append(f"{case}: {exc}")
    assert not failures, "\n".join(failures)


def test_twins_convert_to_tflite_builtins_and_litert_computes_the_numpy_ops(converted):
    from ai_edge_litert.interpreter import Interpreter

    from edge_runtime.workarounds import tflite_op_counts
    from export.keras2tflite import keras2tflite

    model, x, want = converted
    content = keras2tflite(model, "fp32")  # builtins only: a select op would raise UnsupportedOpError
    interpreter = Interpreter(model_content=content)
    ops = set(tflite_op_counts(interpreter))
    assert not any(op.startswith("Flex") or op == "CUSTOM" for op in ops), ops
    runner = interpreter.get_signature_runner()
    results = {}
    for row in range(len(x)):  # the signature runner takes the converted batch of 1
        for name, value in runner(frame=x[row : row + 1]).items():
            results.setdefault(name, []).append(value)
    _check({name: np.concatenate(parts) for name, parts in results.items()}, want)


def test_twins_convert_to_standard_onnx_and_onnxruntime_computes_the_numpy_ops(converted):
    import onnx
    import onnxruntime as ort

    from export.keras2onnx import keras2onnx

    model, x, want = converted
    content = keras2onnx(model)
    domains = {node.domain for node in onnx.load_from_string(content).graph.node}
    assert domains <= set(ONNX_DOMAINS), domains
    session = ort.InferenceSession(content, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    _check(dict(zip(names, session.run(None, {session.get_inputs()[0].name: x}), strict=True)), want)
