"""Merging runs: Pareto front, fastest and recommended per device, quantized models slower than fp32."""

from edge_runtime.report import merge
from edge_runtime.report.compare import dominates, pareto_front
from tests.edge_runtime.report.examples import X86, bench_doc, pi5_run, result, x86_run


def _ids(rows):
    return sorted(r["model_id"] for r in rows)


def test_rows_are_grouped_per_device():
    merged = merge([x86_run(), pi5_run()])
    assert list(merged["rows"]) == ["Intel(R) Xeon(R) Processor (ci-vm)", "Raspberry Pi 5 Model B Rev 1.0 (pi5)"]
    assert len(merged["rows"]["Raspberry Pi 5 Model B Rev 1.0 (pi5)"]) == 2


def test_pareto_front_by_hand():
    rows = merge([x86_run()])["rows"]["Intel(R) Xeon(R) Processor (ci-vm)"]
    # tflite-int8 (13.5 us, 110 kB, 0.979) beats onnx-int8 (61 us, 120 kB, 0.978) on all three;
    # tflite-fp32 (25 us, 420 kB, 0.981) beats onnx-fp32 (30 us, 415 kB, 0.981)? no: onnx-fp32 is smaller.
    # onnx-dynamic is slow but more accurate (0.980) than tflite-int8 and smaller than every fp32 model.
    assert _ids(r for r in rows if r["pareto"]) == ["onnx-dynamic", "onnx-fp32", "tflite-fp32", "tflite-int8"]
    assert _ids(pareto_front(rows)) == _ids(r for r in rows if r["pareto"])


def test_fastest_and_recommended_are_named_and_slower_quantized_models_listed():
    verdict = merge([x86_run()])["verdicts"]["Intel(R) Xeon(R) Processor (ci-vm)"]
    assert verdict["fastest"]["model_id"] == "tflite-int8"
    assert verdict["recommended"]["model_id"] == "tflite-int8"  # 0.979 is within 1% of 0.981
    slower = {r["model_id"]: round(r["vs_fp32"], 2) for r in verdict["slower_than_fp32"]}
    assert slower == {"onnx-dynamic": round(190 / 30, 2), "onnx-int8": round(61 / 30, 2)}


def test_int8_is_not_assumed_to_win():
    run = bench_doc(X86, [result("onnx-fp32", 30.0, accuracy=0.98), result("onnx-int8", 61.0, accuracy=0.98)])
    verdict = merge([run])["verdicts"]["Intel(R) Xeon(R) Processor (ci-vm)"]
    assert verdict["fastest"]["model_id"] == verdict["recommended"]["model_id"] == "onnx-fp32"


def test_a_much_less_accurate_fast_model_is_not_recommended():
    run = bench_doc(X86, [result("tflite-fp32", 30.0, accuracy=0.98), result("tflite-int8", 10.0, accuracy=0.90)])
    verdict = merge([run])["verdicts"]["Intel(R) Xeon(R) Processor (ci-vm)"]
    assert verdict["fastest"]["model_id"] == "tflite-int8"
    assert verdict["recommended"]["model_id"] == "tflite-fp32"


def test_without_accuracy_the_recommendation_is_the_fastest_and_says_so():
    run = bench_doc(X86, [result("tflite-fp32", 30.0, accuracy=None), result("tflite-int8", 12.0, accuracy=None)])
    verdict = merge([run])["verdicts"]["Intel(R) Xeon(R) Processor (ci-vm)"]
    assert verdict["recommended"]["model_id"] == "tflite-int8" and "no classification accuracy" in verdict["rule"]


def test_a_regression_metric_is_not_ranked_as_accuracy():
    run = bench_doc(X86, [result("tflite-fp32", 30.0, accuracy=45.0), result("tflite-int8", 12.0, accuracy=52.0)])
    run["bundle"]["task"] = "regression"
    rows = merge([run])["rows"]["Intel(R) Xeon(R) Processor (ci-vm)"]
    assert all(r["score"] is None for r in rows)
    assert _ids(r for r in rows if r["pareto"]) == ["tflite-int8"]  # faster and smaller


def test_rows_with_and_without_accuracy_never_dominate_each_other():
    a = {"p50_us": 1.0, "size_bytes": 1, "score": None}
    b = {"p50_us": 2.0, "size_bytes": 2, "score": 0.9}
    assert not dominates(a, b) and not dominates(b, a)
    assert dominates({**a, "score": 0.9}, b)


def test_a_ratio_inside_the_confidence_intervals_is_a_tie_not_slower():
    # CIs are p50 +-1%: 30.2 vs 30.0 overlap (a tie), 30.8 vs 30.0 do not (slower)
    run = bench_doc(X86, [result("onnx-fp32", 30.0), result("onnx-int8", 30.2), result("onnx-dynamic", 30.8)])
    verdict = merge([run])["verdicts"]["Intel(R) Xeon(R) Processor (ci-vm)"]
    assert [r["model_id"] for r in verdict["slower_than_fp32"]] == ["onnx-dynamic"]


def test_agreement_with_float_carries_its_sample_count():
    from edge_runtime.report.sections import results_sections

    run = x86_run()
    for r, (agree, n) in zip(run["results"], [(1.0, 3000), (0.99, 3000), (1.0, 3000), (0.98, 3000), (0.99, 3000)],
                             strict=True):
        r.update(agreement=agree, agreement_samples=n)
    (section,) = results_sections(merge([run]))
    assert [b for b in section.blocks if "Agreement with float (3,000 samples)" in (getattr(b, "columns", None) or [])]
    run["results"][0]["agreement_samples"] = 60  # counts differ: each cell says its own
    (section,) = results_sections(merge([run]))
    table = next(b for b in section.blocks if "Agreement with float" in (getattr(b, "columns", None) or []))
    assert any("(n=60)" in cell for row in table.rows for cell in row)
