"""``edgenn deploy`` on two loopback sshd devices: parallel wall time vs the slower device alone, and the
bytes a second deploy of an unchanged bundle sends. Issue 15's goals: <= 1.2x, and no model bytes.

    PYTHONPATH=. .venv/bin/python benchmarks/deploy.py [--bundle DIR] [--rounds 3] [--bench-runs 2000]

Both "devices" are sshd processes on this machine, so they share its cores (2 here): a bench on each at
once competes for CPU, which real boards would not. Rounds interleave A alone, B alone and both, so a
drift of the machine's speed affects all three alike. Prints the progress of the last two-device run and
the merged report's device table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.edge_runtime.deploy.sshd import Fleet, edge_wheelhouse  # noqa: E402


def timed(fleet: Fleet, *args: str, bench: list[str]) -> tuple[float, str, dict]:
    start = time.monotonic()
    code, output, record = fleet.deploy(*args, bench=bench)
    if code != 0:
        raise SystemExit(f"deploy failed (exit {code}):\n{output}")
    return time.monotonic() - start, output, record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", help="bundle directory (default: the tests' tiny CNN bundle, built here)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bench-runs", type=int, default=2000)
    parser.add_argument("--pin", action="store_true",
                        help="pin dev-a to core 0 and dev-b to core 1 (each device a core of its own, as two boards)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="edgenn-deploy-bench-"))
    if args.bundle:
        bundle = Path(args.bundle)
    else:
        from tests.edge_runtime.bundle_factory import copy_bundle

        bundle = copy_bundle(root)
    fleet = Fleet.create(root / "fleet", pin=args.pin)
    try:
        wheelhouse = edge_wheelhouse(root / "wheelhouse")
        common = ["--bundle", str(bundle), "--wheelhouse", str(wheelhouse), "--out", str(root / "out")]
        bench = ["--runs", str(args.bench_runs)]
        first, _, _ = timed(fleet, "dev-a", "dev-b", *common, bench=bench)
        print(f"first deploy to both devices (venv, offline install of the edge extra, bench): {first:.1f} s")
        times: dict[str, list[float]] = {"dev-a": [], "dev-b": [], "both": []}
        sent, bench_steps = [], {"dev-a": [], "dev-b": [], "both": []}
        for _ in range(args.rounds):
            for name, targets in (("dev-a", ["dev-a"]), ("dev-b", ["dev-b"]), ("both", ["dev-a", "dev-b"])):
                seconds, output, record = timed(fleet, *targets, *common, bench=bench)
                times[name].append(seconds)
                sent += [(d["destination"], d["transfer"]) for d in record["devices"]]
                bench_steps[name].append(max(s["seconds"] for d in record["devices"] for s in d["steps"]
                                             if s["step"] == "bench"))
                last_output, last_record = output, record
        a, b, both = (statistics.median(times[k]) for k in ("dev-a", "dev-b", "both"))
        slower = max(a, b)
        print(f"\n| run (median of {args.rounds}, interleaved) | wall s |\n|---|---|")
        print(f"| dev-a alone | {a:.2f} |\n| dev-b alone | {b:.2f} |\n| both in one deploy | {both:.2f} |")
        print(f"\nboth / slower alone = {both / slower:.2f}x (goal <= 1.2x){' (pinned: a core per device)' * args.pin}")
        med = {k: statistics.median(v) for k, v in bench_steps.items()}
        print(f"bench step alone {med['dev-a']:.2f} / {med['dev-b']:.2f} s, in the two-device run {med['both']:.2f} s "
              f"(slower device's): the rest of the ratio is CPU shared by the two loopback devices")
        bytes_sent = {t["bytes_sent"] for _, t in sent}
        bundle_bytes = {t["bundle_bytes_sent"] for _, t in sent}
        files = sent[0][1]["files_unchanged"] + sent[0][1]["files_sent"]
        print(f"re-deploys of the unchanged bundle: {len(sent)} device deploys, bytes sent {sorted(bytes_sent)}, "
              f"bundle bytes sent {sorted(bundle_bytes)}, {files} files checked by sha256 each time (goal: 0)")
        print("\nprogress of the last two-device deploy:\n" + last_output)
        markdown = Path(last_record["report"]["markdown"]).read_text()
        table = markdown.split("## Devices", 1)[1].split("\n## ", 1)[0]
        print("merged report, device table:" + table)
        print(json.dumps({"times_s": times, "ratio": both / slower}))
    finally:
        fleet.stop()
        subprocess.run(["rm", "-rf", str(root)], check=False)


if __name__ == "__main__":
    main()
