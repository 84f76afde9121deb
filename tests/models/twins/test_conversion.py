"""Every graph twin converts, inside a Keras model, to TFLite builtin ops and to standard ONNX ops,
and the converted model (LiteRT, onnxruntime) computes the numpy op on MNIST-5k digits.

The converters are edgenn's own (``export.keras2tflite`` fp32, ``export.keras2onnx``). To keep
the conversions few, one model per input kind holds every twin of that kind as a named output.
"""

import numpy as np
import pytest

from tests.models.twins.cases import CASES, as_kind, fitted, mnist5k

pytestmark = pytest.mark.slow

#: digits run through each converted model (every 25th of the file: all ten classes)
SAMPLES = np.arange(0, 5000, 25)
#: standard ONNX operator domains (no contrib ops)
ONNX_DOMAINS = ("", "ai.onnx")
#: beyond each case's own tolerance: the converters rewrite x / constant as x * (1 / constant)
#: (grappler's arithmetic optimizer) and XNNPACK fuses multiply-adds, so a converted twin may be
#: 2 ulp off (relative) where the eager twin is exact
CONVERTED_RTOL = 2.4e-7
KINDS = sorted({kind for _, kind, _ in CASES.values()})


def _name(case: str) -> str:
    return case.replace("-", "_")


@pytest.fixture(scope="module", params=KINDS)
def converted(request):
    """(kind, Keras model with one output per case of that kind, input, numpy op results by case)."""
    from models.backend import keras
    from models.twins.chain import TwinChain

    kind = request.param
    digits = as_kind(mnist5k(), kind)
    x = digits[SAMPLES]
    inputs = keras.layers.Input(x.shape[1:], dtype="float32", name="frame")
    outputs, want = [], {}
    for case, (spec, case_kind, _) in sorted(CASES.items()):
        if case_kind != kind:
            continue
        pipeline = fitted(spec, digits)
        chain = TwinChain(pipeline, x.shape[1:], x.dtype)
        outputs.append(keras.layers.Lambda(chain, name=_name(case))(inputs))
        want[case] = pipeline.transform(x).astype(np.float32)
    return keras.Model(inputs, outputs), x.astype(np.float32), want


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

    from export.keras2tflite import keras2tflite

    model, x, want = converted
    content = keras2tflite(model, "fp32")  # builtins only: a select op would raise UnsupportedOpError
    interpreter = Interpreter(model_content=content)
    ops = {d["op_name"] for d in interpreter._get_ops_details()}
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
