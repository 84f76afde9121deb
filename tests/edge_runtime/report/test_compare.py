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


def test_an_older_bench_file_s_mac_figure_reads_as_a_lower_bound_never_as_the_estimate():
    run = x86_run()
    power = run["results"][0]["power"]
    power["estimate"] = power.pop("lower_bound") | {"label": "estimate"}  # what bench wrote before the CPU-time model
    row = next(iter(merge([run])["rows"].values()))[0]
    assert row["energy_estimate_uj"] is None and row["energy_lower_bound_uj"] == 0.42
    assert row["energy_uj"] is None and row["energy_label"] is None


def test_an_older_file_s_drift_only_throttling_flag_is_judged_again_from_complete_windows():
    # what bench --duration wrote on a VM without sensors: 37% slower in a 0.6 s partial last window
    timeline = [{"t_s": float(t), "n": 1000, "end_to_end_p50_us": 10.0, "temperature_c": None,
                 "cpu_freq_khz": None, "throttled": None} for t in range(1, 6)]
    timeline.append({"t_s": 5.6, "n": 600, "end_to_end_p50_us": 13.7, "temperature_c": None,
                     "cpu_freq_khz": None, "throttled": None})
    res = result("tflite-int8", 13.5, timeline=timeline, throttled=True)
    res["sustained"] = {"throttling_suspected": True, "latency_drift": 0.37, "windows": 6,
                        "reasons": ["end-to-end p50 rose 37% from the first window to the last"]}
    row = next(iter(merge([bench_doc(X86, [res])])["rows"].values()))[0]
    assert row["throttled"] is False


def test_a_sustained_run_with_board_evidence_stays_throttled():
    row = next(r for r in merge([pi5_run()])["rows"]["Raspberry Pi 5 Model B Rev 1.0 (pi5)"]
               if r["model_id"] == "tflite-int8")
    assert row["throttled"] is True


def test_runs_of_different_datasets_are_compared_separately_and_the_report_says_so():
    digits, mnist = x86_run(), x86_run()
    digits["bundle"] |= {"name": "digits-cnn", "dataset": "digits"}
    mnist["bundle"] |= {"name": "mnist-cnn", "dataset": "mnist5k"}
    merged = merge([digits, mnist])
    assert sorted(merged["rows"]) == ["Intel(R) Xeon(R) Processor (ci-vm), classification on digits",
                                      "Intel(R) Xeon(R) Processor (ci-vm), classification on mnist5k"]
    assert all(v["recommended"]["dataset"] == label.rsplit(" on ", 1)[1] for label, v in merged["verdicts"].items())
    assert "compared and recommended separately" in merged["warnings"][0]
    assert len(merged["devices"]) == 1


def test_bundles_without_a_recorded_dataset_are_named_in_a_warning():
    a, b = x86_run(), x86_run()
    b["bundle"] |= {"name": "other"}
    merged = merge([a, b])
    assert len(merged["rows"]) == 1 and "cnn, other do not record their dataset" in merged["warnings"][0]
    assert merge([a])["warnings"] == []


def test_every_accuracy_in_the_report_carries_its_sample_count():
    from edge_runtime.report import render_markdown

    run = x86_run()
    for r in run["results"]:
        r["accuracy_samples"] = 1000
    run["results"][0]["accuracy_samples"] = None
    text = render_markdown([run])
    assert "0.9790 (n=1,000)" in text and "0.9810 (n unknown)" in text
    assert "Accuracy (samples)" in text


def test_host_and_in_model_variants_are_shown_side_by_side_and_both_compete():
    from edge_runtime.report.sections import results_sections

    in_model = result("tflite-fp32-in-model", 10.0, accuracy=0.981, pre=0.5)
    in_model["in_model_ops"] = ["deskew", "scale", "hog"]
    merged = merge([bench_doc(X86, [result("tflite-fp32", 40.0, accuracy=0.981, pre=30.0), in_model], "hybrid")])
    (verdict,) = merged["verdicts"].values()
    assert verdict["recommended"]["model_id"] == "tflite-fp32-in-model"  # the recommendation chooses among all
    (section,) = results_sections(merged)
    table = next(b for b in section.blocks if getattr(b, "columns", [""])[0] == "Model" and "Speed-up" in b.columns)
    (row,) = table.rows
    assert row[1] == "deskew -> scale -> hog" and row[6] == "4.00x"
