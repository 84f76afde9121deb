"""Devices are never merged by accident: identity, labels, and every ratio within one device and one run."""

from edge_runtime.commands import report as report_command
from edge_runtime.report import merge, summary
from edge_runtime.report.devices import device_count
from tests.edge_runtime.report.examples import PI5, X86, bench_doc, result


def _pi(hostname: str, device_id: str | None, fp32: float, int8: float, created: str = "2026-11-22T10:00:00+00:00"):
    doc = bench_doc({**PI5, "hostname": hostname, "device_id": device_id},
                    [result("tflite-fp32", fp32, size=420_000), result("tflite-int8", int8, size=110_000)])
    doc["created"] = created
    return doc


def test_two_pis_sharing_a_hostname_stay_two_devices_with_their_own_ratios():
    merged = merge([_pi("raspberrypi", "aaaa11112222bbbb", 72.0, 41.0), _pi("raspberrypi", "cccc33334444dddd", 90.0, 30.0)])
    assert sorted(merged["rows"]) == ["Raspberry Pi 5 Model B Rev 1.0 (raspberrypi, id aaaa11)",
                                      "Raspberry Pi 5 Model B Rev 1.0 (raspberrypi, id cccc33)"]
    ratios = {label: next(r["vs_fp32"] for r in rows if r["model_id"] == "tflite-int8")
              for label, rows in merged["rows"].items()}
    assert ratios == {"Raspberry Pi 5 Model B Rev 1.0 (raspberrypi, id aaaa11)": 41.0 / 72.0,
                      "Raspberry Pi 5 Model B Rev 1.0 (raspberrypi, id cccc33)": 30.0 / 90.0}
    assert {label: v["fastest"]["p50_us"] for label, v in merged["verdicts"].items()} == {
        "Raspberry Pi 5 Model B Rev 1.0 (raspberrypi, id aaaa11)": 41.0,
        "Raspberry Pi 5 Model B Rev 1.0 (raspberrypi, id cccc33)": 30.0}
    assert device_count([_pi("raspberrypi", "a", 1, 1), _pi("raspberrypi", "b", 1, 1)]) == 2


def test_emulated_arm64_and_its_x86_host_are_told_apart_even_without_an_id():
    """The issue's case: same hostname and CPU string, results written before device ids existed."""
    host = {**X86, "hostname": "vm"}
    emulated = {**X86, "hostname": "vm", "arch": "aarch64"}
    x86 = bench_doc(host, [result("tflite-fp32", 25.0), result("tflite-int8", 13.5)])
    arm = bench_doc(emulated, [result("tflite-fp32", 2000.0), result("tflite-int8", 350.0)])
    merged = merge([x86, arm])
    assert sorted(merged["rows"]) == ["Intel(R) Xeon(R) Processor (vm, aarch64)", "Intel(R) Xeon(R) Processor (vm, x86_64)"]
    arm_rows = merged["rows"]["Intel(R) Xeon(R) Processor (vm, aarch64)"]
    assert next(r["vs_fp32"] for r in arm_rows if r["model_id"] == "tflite-int8") == 350.0 / 2000.0
    assert merged["devices"]["Intel(R) Xeon(R) Processor (vm, aarch64)"]["arch"] == "aarch64"


def test_the_deploy_label_names_the_device_and_separates_two_destinations():
    a = _pi("raspberrypi", "same", 72.0, 41.0)
    b = _pi("raspberrypi", "same", 72.0, 41.0)
    a["device"]["label"], b["device"]["label"] = "pi@kitchen", "pi@garage"
    assert sorted(merge([a, b])["rows"]) == ["Raspberry Pi 5 Model B Rev 1.0 (pi@garage)",
                                             "Raspberry Pi 5 Model B Rev 1.0 (pi@kitchen)"]


def test_the_same_bundle_benched_twice_on_one_device_is_compared_within_each_run():
    morning = _pi("pi5", "aaaa11112222bbbb", 72.0, 41.0, created="2026-11-22T08:00:00+00:00")
    evening = _pi("pi5", "aaaa11112222bbbb", 50.0, 45.0, created="2026-11-22T20:00:00+00:00")
    merged = merge([morning, evening])
    morning_label = "Raspberry Pi 5 Model B Rev 1.0 (pi5), run 2026-11-22 08:00:00"
    evening_label = "Raspberry Pi 5 Model B Rev 1.0 (pi5), run 2026-11-22 20:00:00"
    assert sorted(merged["rows"]) == [morning_label, evening_label]
    assert next(r["vs_fp32"] for r in merged["rows"][evening_label] if r["model_id"] == "tflite-int8") == 45.0 / 50.0
    assert merged["verdicts"][morning_label]["fastest"]["p50_us"] == 41.0
    assert merged["verdicts"][evening_label]["fastest"]["p50_us"] == 45.0
    assert device_count([morning, evening]) == 1


def test_different_bundles_on_one_device_are_one_comparison():
    """The demo benches its bundles one by one on one machine: one recommendation across them."""
    cnn = _pi("pi5", "aaaa11112222bbbb", 72.0, 41.0)
    hybrid = bench_doc({**PI5, "device_id": "aaaa11112222bbbb"}, [result("tflite-fp32", 60.0)], bundle="hybrid")
    merged = merge([cnn, hybrid])
    assert list(merged["rows"]) == ["Raspberry Pi 5 Model B Rev 1.0 (pi5)"]
    assert summary([cnn, hybrid])["verdicts"]["Raspberry Pi 5 Model B Rev 1.0 (pi5)"]["fastest"] == \
        "cnn/tflite-int8 (litert, 1 thr)"


def test_report_command_counts_machines_not_hostnames(tmp_path, capsys):
    import json

    paths = []
    for i, doc in enumerate([_pi("raspberrypi", "a1", 72.0, 41.0), _pi("raspberrypi", "b2", 90.0, 30.0)]):
        paths.append(tmp_path / f"{i}.json")
        paths[-1].write_text(json.dumps(doc))
    args = type("Args", (), {"inputs": paths, "out": str(tmp_path / "r.html"), "markdown": None, "json": None,
                             "title": "t"})()
    assert report_command.run(args) == 0
    assert "4 results from 2 run(s) on 2 device(s)" in capsys.readouterr().out
