"""The report's own sections, built from merged bench runs (:func:`edge_runtime.report.compare.merge`)."""

from __future__ import annotations

from edge_runtime.report import fmt
from edge_runtime.report.blocks import Section, Svg, Table, Text
from edge_runtime.report.charts import latency_chart, timeline_chart, tradeoff_chart
from edge_runtime.report.compare import name, repeated
from edge_runtime.report.fmt import DASH


def devices_section(merged: dict) -> Section:
    """One row of facts per device: what ran the numbers."""
    rows = []
    for label, d in merged["devices"].items():
        runtimes = ", ".join(f"{k} {v}" for k, v in sorted((d.get("runtimes") or {}).items()) if v) or DASH
        vm = {True: "yes", False: "no", None: "unknown"}[d.get("virtual_machine")]
        rows.append([label, d.get("board") or DASH, d["cpu_model"], str(d["cores"]), d["arch"], d["os"],
                     d["python"], runtimes, d.get("governor") or DASH, vm])
    columns = ["Device", "Board", "CPU", "Cores", "Arch", "OS", "Python", "Runtimes", "Governor", "Virtual machine"]
    return Section("Devices", [Table(columns, rows)])


def _result_table(rows: list[dict], several_bundles: bool) -> Table:
    show_agreement = any(r["agreement"] is not None for r in rows)
    show_run = repeated(rows)
    columns = (["Bundle"] if several_bundles else []) + (["Run"] if show_run else []) + [
        "Model", "Backend", "Threads", "Precision", "Size", "MACs", "Accuracy"] + (
        ["Agreement"] if show_agreement else []) + [
        "p50 \u00b5s (95% CI)", "p99 \u00b5s", "Preprocessing share", "Inference p50 \u00b5s", "vs fp32",
        "CPU \u00b5s/inference", "Throughput /s", "Peak RSS MB", "Energy \u00b5J/inference", "Pareto", "Verdict"]
    table_rows, emphasis = [], set()
    for i, r in enumerate(sorted(rows, key=lambda r: (r["bundle"], r["p50_us"]))):
        lo, hi = r["p50_ci95"][0], r["p50_ci95"][-1]
        energy = DASH if r["energy_uj"] is None else f"{r['energy_uj']:.3g} ({r['energy_label']})"
        verdict = " & ".join(w for w, flag in (("fastest", r["fastest"]), ("recommended", r["recommended"])) if flag)
        if r["recommended"]:
            emphasis.add(i)
        if r["throttled"]:
            verdict = (verdict + "; " if verdict else "") + "throttled"
        table_rows.append(([r["bundle"]] if several_bundles else []) + ([r["run"]] if show_run else []) + [
            r["model_id"], r["backend"], str(r["threads"]), r["precision"], fmt.size(r["size_bytes"]),
            fmt.count(r["macs"]), fmt.fraction(r["accuracy"])] + (
            [fmt.fraction(r["agreement"])] if show_agreement else []) + [
            f"{fmt.us(r['p50_us'])} ({fmt.us(lo)}\u2013{fmt.us(hi)})", fmt.us(r["p99_us"]),
            fmt.percent(r["preprocess_share"]), fmt.us(r["inference_p50_us"]), fmt.ratio(r["vs_fp32"]),
            fmt.us(r["cpu_us"]), fmt.number(r["throughput_per_s"], 0), fmt.number(r["peak_rss_mb"]), energy,
            "yes" if r["pareto"] else "", verdict or ""])
    return Table(columns, table_rows, emphasis=emphasis,
                 caption="End-to-end latency (preprocessing + inference + output decoding), batch 1, sorted by p50.")


def _verdict_text(verdict: dict) -> list[Text]:
    fastest, recommended = verdict["fastest"], verdict["recommended"]
    lines = [Text(f"Fastest: {name(fastest)}, end-to-end p50 {fmt.us(fastest['p50_us'])} \u00b5s. "
                  f"Recommended: {name(recommended)} ({fmt.us(recommended['p50_us'])} \u00b5s, accuracy "
                  f"{fmt.fraction(recommended['accuracy'])}, {fmt.size(recommended['size_bytes'])}); rule: {verdict['rule']}.")]
    for r in verdict["slower_than_fp32"]:
        lines.append(Text(f"Slower than its fp32 model: {name(r)} ({r['precision']}) is {r['vs_fp32']:.2f}x the "
                          f"p50 of {r['format']}-fp32 on the same backend and threads."))
    return lines


def results_sections(merged: dict) -> list[Section]:
    """Per device: the verdict, the comparison table and the latency distribution chart."""
    several = len(merged["bundles"]) > 1
    out = []
    for label, rows in merged["rows"].items():
        blocks = [*_verdict_text(merged["verdicts"][label]), _result_table(rows, several)]
        chart = latency_chart(sorted(rows, key=lambda r: r["p50_us"]), f"Latency distribution on {label}")
        if chart:
            blocks.append(Svg(chart, caption="Percentiles recorded by the bench, per variant."))
        out.append(Section(f"Results on {label}", blocks))
    return out


def tradeoff_section(merged: dict) -> Section:
    """Accuracy vs latency vs size, every device in one chart."""
    rows = [r for rows in merged["rows"].values() for r in rows]
    chart = tradeoff_chart(rows, "Accuracy vs end-to-end latency (area: model size)")
    if chart is None:
        return Section("Accuracy vs latency vs size", [Text("No classification accuracy in these results: "
                                                             "run the bench on a bundle with held-out accuracy.")])
    missing = sum(1 for r in rows if r["score"] is None)
    blocks: list = [Svg(chart)]
    if missing:
        blocks.append(Text(f"{missing} result(s) without a classification accuracy are not shown."))
    return Section("Accuracy vs latency vs size", blocks)


def _sustained_verdict(result: dict) -> str:
    """The bench's own throttling verdict when present, else what the timeline's flags say."""
    sustained = result.get("sustained") or {}
    if sustained.get("reasons"):
        return "; ".join(sustained["reasons"])
    flagged = sum(1 for p in result["timeline"] if p.get("throttled"))
    if flagged:
        return f"the board reported throttling in {flagged} of {len(result['timeline'])} windows"
    return "throttling suspected" if (result.get("thermal") or {}).get("throttled") else "no throttling detected"


def timeline_section(merged: dict) -> Section:
    """Latency and temperature over time for every sustained run (``edgenn bench --duration``)."""
    blocks: list = []
    for label, rows in merged["rows"].items():
        for r in rows:
            chart = timeline_chart(r["result"].get("timeline") or [], f"{name(r)} on {label}")
            if chart:
                blocks.append(Svg(chart, caption=f"Sustained run: {_sustained_verdict(r['result'])}."))
    if not blocks:
        blocks.append(Text("No sustained run in these results (run `edgenn bench --duration 600` for one)."))
    return Section("Latency and temperature over time", blocks)


def _snapshot_pair(result: dict, field: str, unit: str) -> str:
    thermal = result.get("thermal") or {}

    def pick(snap: dict | None) -> str:
        values = [v for v in ((snap or {}).get(field) or {}).values() if v is not None]
        if not values:
            return DASH
        return f"{max(values):.1f}" if field == "temperatures_c" else f"{sum(values) / len(values) / 1000:.0f}"

    before, after = pick(thermal.get("before")), pick(thermal.get("after"))
    return DASH if before == after == DASH else f"{before} \u2192 {after} {unit}"


def power_section(merged: dict) -> Section:
    """Energy (measured or estimated, labelled), temperature and clock before and after, throttling."""
    all_rows = [r for rows in merged["rows"].values() for r in rows]
    show_run = repeated(all_rows)
    columns = ["Device", "Model", "Backend", "Threads"] + (["Run"] if show_run else []) + [
        "Energy \u00b5J/inference", "Kind", "Source", "Hottest zone", "Mean clock", "Throttled", "Cold start ms"]
    rows, reasons = [], {}
    for label, device_rows in merged["rows"].items():
        for r in sorted(device_rows, key=lambda r: r["p50_us"]):
            reason = (r["result"].get("power") or {}).get("unavailable_reason")
            if r["energy_label"] != "measured" and reason:
                reasons.setdefault(label, reason)
            rows.append([label, r["model_id"], r["backend"], str(r["threads"])] + ([r["run"]] if show_run else []) + [
                DASH if r["energy_uj"] is None else f"{r['energy_uj']:.3g}", r["energy_label"] or DASH,
                r["energy_source"] or DASH, _snapshot_pair(r["result"], "temperatures_c", "\u00b0C"),
                _snapshot_pair(r["result"], "cpu_freq_khz", "MHz"), {True: "yes", False: "no", None: DASH}[r["throttled"]],
                fmt.number(r["cold_start_us"] / 1000, 1)])
    blocks: list = [Table(columns, rows, caption=(
        "An estimate counts multiply-accumulates and bytes moved at Horowitz's ISSCC 2014 per-operation energies: "
        "an order of magnitude for comparing variants, not a measurement."))]
    blocks += [Text(f"No measured energy on {label}: {reason}.") for label, reason in reasons.items()]
    return Section("Power and thermal", blocks)


METHOD = ("Latencies are measured with time.perf_counter_ns after a warm-up and reported in microseconds; "
          "the 95% confidence interval of p50 is a bootstrap. Preprocessing share = preprocessing p50 / end-to-end p50. "
          "'vs fp32' compares a variant with the fp32 model of the same format, backend and threads on the same "
          "device: quantized models are not assumed to be faster. The Pareto front keeps the variants no other "
          "variant beats on accuracy, latency and size at once. Measured energy follows MLPerf Tiny's shape: "
          "several windows of at least 10 s, idle power of an equal period subtracted, median.")


def builtin_sections(merged: dict) -> list[Section]:
    """Every section the report shows for ``merged`` runs, in reading order."""
    return [devices_section(merged), *results_sections(merged), tradeoff_section(merged),
            timeline_section(merged), power_section(merged)]
