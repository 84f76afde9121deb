"""The report's own sections, built from merged bench runs (:func:`edge_runtime.report.compare.merge`)."""

from __future__ import annotations

from edge_runtime.manifest import IN_MODEL_SUFFIX
from edge_runtime.report import fmt
from edge_runtime.report.blocks import Section, Svg, Table, Text
from edge_runtime.report.charts import latency_chart, timeline_chart, tradeoff_chart
from edge_runtime.report.compare import model_label, name, repeated, sustained
from edge_runtime.report.fmt import DASH


def devices_section(merged: dict) -> Section:
    """Facts per device, one column per device (long CPU and OS names read down, not across)."""
    facts = {"Board": lambda d: d.get("board") or DASH, "CPU": lambda d: d["cpu_model"],
             "Cores": lambda d: str(d["cores"]), "Arch": lambda d: d["arch"], "OS": lambda d: d["os"],
             "Python": lambda d: d["python"],
             "Runtimes": lambda d: ", ".join(f"{k} {v}" for k, v in sorted((d.get("runtimes") or {}).items()) if v)
             or DASH,
             "Governor": lambda d: d.get("governor") or DASH,
             "Virtual machine": lambda d: {True: "yes", False: "no", None: "unknown"}[d.get("virtual_machine")]}
    devices = merged["devices"]
    rows = [[fact, *(get(d) for d in devices.values())] for fact, get in facts.items()]
    return Section("Devices", [Table(["Device", *devices], rows)])


def _verdict_cell(r: dict) -> str:
    words = [w for w, flag in (("Pareto", r["pareto"]), ("fastest", r["fastest"]), ("recommended", r["recommended"]))
             if flag]
    return ", ".join(words + (["throttled"] if r["throttled"] else []))


def _ci(r: dict) -> str:
    """The p50's 95% CI as its larger half-width: "\u00b10.04"."""
    lo, hi = r["p50_ci95"][0], r["p50_ci95"][-1]
    return "\u00b1" + fmt.us(max(r["p50_us"] - lo, hi - r["p50_us"]))


def _agreement_head(count: int | None) -> str:
    """The agreement column names its sample count once when every row has the same one."""
    return "Agreement with float" + (f" ({count:,} samples)" if count else "")


def _agreement_cell(r: dict, one_count: int | None) -> str:
    count = r.get("agreement_samples")
    return fmt.fraction(r["agreement"]) + (f" (n={count:,})" if count and not one_count else "")


def _result_table(rows: list[dict]) -> Table:
    """The main comparison, one row per model, backend and threads; narrow enough for a 1280 px page."""
    show_agreement = any(r["agreement"] is not None for r in rows)
    counts = {r.get("agreement_samples") for r in rows if r["agreement"] is not None}
    one_agreement_count = counts.pop() if len(counts) == 1 else None
    show_run = repeated(rows)
    estimates_only = all(r["energy_label"] in ("estimate", None) for r in rows)
    threads = {r["threads"] for r in rows}
    one_count = threads.pop() if len(threads) == 1 else None
    backend_column = "Backend" if one_count is None else f"Backend ({one_count} thread{'s' * (one_count > 1)})"
    columns = (["Run"] if show_run else []) + [
        "Model", backend_column, "Size", "MACs", "Accuracy (samples)"] + ([_agreement_head(one_agreement_count)] if show_agreement else []) + [
        "p50 \u00b5s", "95% CI", "p99 \u00b5s", "Pre-processing share", "Inference p50 \u00b5s",
        "p50 vs fp32", "CPU \u00b5s per inference", "Energy \u00b5J per inference" + (" (estimate)" if estimates_only else ""),
        "Verdict"]
    table_rows, emphasis = [], set()
    for i, r in enumerate(sorted(rows, key=lambda r: (r["p50_us"], r["name"]))):
        marked = r["energy_uj"] is not None and r["energy_label"] == "estimate" and not estimates_only
        energy = fmt.sig(r["energy_uj"]) + (" est." if marked else "")
        if r["recommended"]:
            emphasis.add(i)
        table_rows.append(([r["run"]] if show_run else []) + [
            model_label(r), r["backend"] if one_count else f"{r['backend']} \u00d7{r['threads']}",
            fmt.size(r["size_bytes"]), fmt.count(r["macs"]), fmt.accuracy(r["accuracy"], r["accuracy_samples"])] + (
            [_agreement_cell(r, one_agreement_count)] if show_agreement else []) + [
            fmt.us(r["p50_us"]), _ci(r), fmt.us(r["p99_us"]), fmt.percent(r["preprocess_share"]),
            fmt.us(r["inference_p50_us"]), DASH if r["vs_fp32"] is None else f"{r['vs_fp32']:.2f}x",
            fmt.us(r["cpu_us"]), energy, _verdict_cell(r)])
    return Table(columns, table_rows, emphasis=emphasis, caption=(
        "End-to-end latency (preprocessing + inference + output decoding), batch 1, sorted by p50; 95% CI: "
        "bootstrap half-width of p50. Backend \u00d7N: N threads. p50 vs fp32: ratio to the fp32 model of the same "
        "format and backend (listed as slower only when the p50 confidence intervals do not overlap). Energy: measured where a "
        "sensor was read, else the estimate CPU time x the board's active power per core (see Power and thermal). "
        "Peak RSS and cold start are in the power and thermal table, throughput in the JSON summary."))


def _slower_than_fp32(verdict: dict) -> list:
    """A lead-in and one compact table of the reduced-precision rows slower than their fp32 model."""
    slower = sorted(verdict["slower_than_fp32"], key=lambda r: (-r["vs_fp32"], r["name"]))
    if not slower:
        return []
    rows = [[model_label(r), f"{r['backend']} \u00d7{r['threads']}", r["precision"], fmt.us(r["p50_us"]),
             fmt.us(r["fp32_p50_us"]), f"{r['vs_fp32']:.2f}x"] for r in slower]
    count = f"{len(slower)} variant{'s' * (len(slower) > 1)} {'were' if len(slower) > 1 else 'was'}"
    return [Text(f"Quantized is not always faster: {count} slower than their fp32 model on this device."),
            Table(["Variant", "Backend", "Precision", "p50 \u00b5s", "fp32 p50 \u00b5s", "Ratio"], rows, caption=(
                "Each compared with the fp32 model of the same bundle, format, backend and threads; "
                "ratio = p50 / fp32 p50, slowest first."))]


def _verdict_text(verdict: dict) -> Text:
    fastest, recommended = verdict["fastest"], verdict["recommended"]
    return Text(f"Fastest: {name(fastest)}, end-to-end p50 {fmt.us(fastest['p50_us'])} \u00b5s. "
                 f"Recommended: {name(recommended)} ({fmt.us(recommended['p50_us'])} \u00b5s, accuracy "
                 f"{fmt.accuracy(recommended['accuracy'], recommended['accuracy_samples'])}, "
                 f"{fmt.size(recommended['size_bytes'])}); rule: {verdict['rule']}.")


def _host_vs_in_model(rows: list[dict]) -> list[Table]:
    """Each model beside its in-model twin (same bundle and backend): p50s, host share, speed-up."""
    by_key = {(r["bundle"], r["model_id"], r["backend"], r["threads"], r["run"]): r for r in rows}
    pairs = []
    for r in rows:
        if not r["in_model_ops"]:
            continue
        host = by_key.get((r["bundle"], r["model_id"].removesuffix(IN_MODEL_SUFFIX), r["backend"], r["threads"], r["run"]))
        if host is not None:
            pairs.append((host, r))
    if not pairs:
        return []
    table_rows = [[model_label(h), " -> ".join(r["in_model_ops"]), fmt.us(h["p50_us"]), fmt.percent(h["preprocess_share"]),
                   fmt.us(r["p50_us"]), fmt.percent(r["preprocess_share"]), f"{h['p50_us'] / r['p50_us']:.2f}x",
                   fmt.fraction(h["accuracy"]), fmt.fraction(r["accuracy"])]
                  for h, r in sorted(pairs, key=lambda p: p[1]["p50_us"])]
    return [Table(["Model", "In the model", "Host-preprocessed p50 \u00b5s", "Host share", "In-model p50 \u00b5s",
                   "Host share (in-model)", "Speed-up", "Accuracy (host)", "Accuracy (in-model)"], table_rows,
                  caption="Host-preprocessed vs in-model: the same network, with the listed preprocessing ops run by "
                          "numpy on the host or inside the model (raw uint8 frame in). Host share: the part of the "
                          "end-to-end p50 spent in host preprocessing (cast/quantize included).")]


def results_sections(merged: dict) -> list[Section]:
    """Per device: the verdict, the comparison table and the latency distribution chart."""
    out = []
    for label, rows in merged["rows"].items():
        verdict = merged["verdicts"][label]
        blocks = [_verdict_text(verdict), _result_table(rows), *_slower_than_fp32(verdict), *_host_vs_in_model(rows)]
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
    """The throttling verdict with its evidence, or the latency drift with its number."""
    verdict = sustained(result)
    if verdict and verdict.get("summary"):
        return verdict["summary"]
    if verdict and verdict.get("reasons"):
        return "; ".join(verdict["reasons"])
    return "no throttling evidence"


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


#: power-table columns that, when one value holds for every row, move out of the table into one line
_FACTORABLE = ("Device", "Estimate basis", "Estimate source", "Hottest zone", "Mean clock", "Throttled")


def _factor_constant_columns(columns: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]], str]:
    """Drop the factorable columns whose value is the same in every row; say them once instead."""
    same = [i for i, c in enumerate(columns) if c in _FACTORABLE and len(rows) > 1
            and len({row[i] for row in rows}) == 1]
    keep = [i for i in range(len(columns)) if i not in same]
    note = "; ".join(f"{columns[i]}: {rows[0][i]}" for i in same)
    return [columns[i] for i in keep], [[row[i] for i in keep] for row in rows], note


def power_section(merged: dict) -> Section:
    """Energy per inference (the estimate, the measurement beside it where a sensor was read, the arithmetic
    lower bound, each labelled), temperature and clock before and after, throttling, cold start."""
    all_rows = [r for rows in merged["rows"].values() for r in rows]
    show_run = repeated(all_rows)
    show_measured = any(r["energy_measured_uj"] is not None for r in all_rows)
    columns = ["Device", "Model", "Backend"] + (["Run"] if show_run else []) + [
        "CPU \u00b5s/inference", "Estimate \u00b5J/inference"] + (["Measured \u00b5J/inference"] if show_measured else []) + [
        "Lower bound \u00b5J (MACs)", "Estimate basis", "Estimate source", "Hottest zone", "Mean clock", "Throttled",
        "Cold start ms", "Peak RSS MB"]
    rows, reasons, methods = [], {}, set()
    for label, device_rows in merged["rows"].items():
        for r in sorted(device_rows, key=lambda r: r["p50_us"]):
            reason = (r["result"].get("power") or {}).get("unavailable_reason")
            if r["energy_measured_uj"] is None and reason:
                reasons.setdefault(label, reason)
            methods.add((r["result"].get("cold_start_us") or {}).get("method"))
            rows.append([label, model_label(r), f"{r['backend']} \u00d7{r['threads']}"] + (
                [r["run"]] if show_run else []) + [
                fmt.us(r["cpu_us"]), fmt.sig(r["energy_estimate_uj"])] + (
                [fmt.sig(r["energy_measured_uj"])] if show_measured else []) + [
                fmt.sig(r["energy_lower_bound_uj"]), r["energy_estimate_basis"] or DASH,
                r["energy_estimate_source"] or DASH, _snapshot_pair(r["result"], "temperatures_c", "\u00b0C"),
                _snapshot_pair(r["result"], "cpu_freq_khz", "MHz"), {True: "yes", False: "no", None: DASH}[r["throttled"]],
                fmt.number(r["cold_start_us"] / 1000, 1), fmt.number(r["peak_rss_mb"])])
    columns, rows, same = _factor_constant_columns(columns, rows)
    cold = ("Cold start: " + "; ".join(sorted(m for m in methods if m)) + "." if any(methods) else
            "Cold start: measured in the bench process (files without a method: the first row also paid the "
            "engine's one-time set-up, later rows did not).")
    blocks: list = [Table(columns, rows, caption=(
        "Estimate = CPU time per inference (end to end, preprocessing included, all threads) x the board's active "
        "power per core from published measurements (Estimate basis and source; an unknown CPU gets a stated "
        "assumption). Measured (where a sensor was read) follows MLPerf Tiny's shape. Lower bound = multiply-"
        "accumulates and bytes moved at Horowitz's ISSCC 2014 45 nm energies: arithmetic only, no instruction, "
        "control, leakage or preprocessing energy, so far below what a CPU spends. " + cold))]
    if same:
        blocks.insert(0, Text(f"For every row: {same}."))
    blocks += [Text(f"No measured energy on {label}: {reason}.") for label, reason in reasons.items()]
    return Section("Power and thermal", blocks)


METHOD = ("Latencies are measured with time.perf_counter_ns after a warm-up and reported in microseconds; "
          "the 95% confidence interval of p50 is a bootstrap. Preprocessing share = preprocessing p50 / end-to-end p50. "
          "'vs fp32' compares a variant with the fp32 model of the same format, backend and threads on the same "
          "device: quantized models are not assumed to be faster. The Pareto front keeps the variants no other "
          "variant beats on accuracy, latency and size at once. Measured energy follows MLPerf Tiny's shape: "
          "several windows of at least 10 s, idle power of an equal period subtracted, median.")


def builtin_sections(merged: dict) -> list[Section]:
    """Every section the report shows for ``merged`` runs, in reading order (what is not comparable first)."""
    warnings = [Section("Comparability", [Text(w) for w in merged["warnings"]])] if merged.get("warnings") else []
    return [*warnings, devices_section(merged), *results_sections(merged), tradeoff_section(merged),
            timeline_section(merged), power_section(merged)]
