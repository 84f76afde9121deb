"""``edgenn deploy DEST ... --bundle B``: install, check and benchmark bundles on many devices over SSH."""

from __future__ import annotations

import argparse

HELP = ("copy bundles and the edgenn wheel to devices over SSH (changed files only, sha256 verified on the "
        "device), install the edge extra in a venv there, run edgenn inspect and (--bench) edgenn bench on "
        "every device in parallel, and merge the results into one report")
#: output paths checked before the command runs (pipelines.cli.check_outputs)
OUTPUTS = {"out": "dir"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("destinations", nargs="+", metavar="DEST",
                        help="SSH destination: user@host, or a host alias (port, user, key, ProxyJump) from the SSH config")
    parser.add_argument("--bundle", action="append", required=True, metavar="BUNDLE",
                        help="bundle directory or .zip to deploy (repeat for several)")
    parser.add_argument("--ssh-config", metavar="FILE", help="SSH config file (default: the user's ~/.ssh/config)")
    parser.add_argument("--remote-dir", default="~/edgenn", metavar="DIR",
                        help="directory on each device for wheels, bundles, venv and results (default: ~/edgenn)")
    parser.add_argument("--remote-python", default="python3", metavar="PYTHON",
                        help="interpreter on the device that creates the venv (default: python3)")
    parser.add_argument("--wheelhouse", metavar="DIR",
                        help="directory of wheels for devices without internet: copied and installed with "
                             "pip --no-index (its edgenn wheel is used when it has one of this version)")
    parser.add_argument("--jobs", type=int, default=8, metavar="N", help="devices handled at once (default: 8)")
    parser.add_argument("--out", default="edgenn-deploy", metavar="DIR",
                        help="where fetched results go, one folder per device (default: edgenn-deploy)")
    parser.add_argument("--report", metavar="FILE",
                        help="merged HTML report (default: OUT/report.html; .md and .json beside it)")
    parser.add_argument("--json", metavar="FILE", help="write the per-device outcome (schema edgenn-deploy v1)")
    parser.add_argument("--accept-new-host-keys", action="store_true",
                        help="trust a device's host key the first time it is seen (a changed key is still refused)")
    parser.add_argument("--connect-timeout", type=int, default=10, metavar="S", help="SSH connect timeout (default: 10)")
    parser.add_argument("--bench", nargs=argparse.REMAINDER, metavar="BENCH_ARGS",
                        help="also run edgenn bench --all on each device; everything after --bench is passed to "
                             "it (e.g. --bench --runs 500 --threads 1,4); must come last")


def run(args: argparse.Namespace) -> int:
    import tempfile
    import time
    from pathlib import Path

    from edge_runtime.atomic import write_json
    from edge_runtime.deploy.device_job import DeployConfig
    from edge_runtime.deploy.fleet import Progress, deploy_record, run_fleet, summary_lines, write_report
    from edge_runtime.deploy.payload import make_payload
    from edge_runtime.deploy.ssh import SshSettings, check_destination
    from edge_runtime.deploy.wheel import edgenn_wheel
    from edge_runtime.errors import UserError

    destinations = [check_destination(d) for d in args.destinations]
    if len(set(destinations)) < len(destinations):
        raise UserError(f"Expected each destination once. Received: {' '.join(destinations)}")
    if args.jobs < 1:
        raise UserError(f"Expected --jobs of at least 1. Received: --jobs={args.jobs}")
    if args.bench and any(a == "--json" or a.startswith("--json=") for a in args.bench):
        raise UserError("Expected bench arguments without --json (deploy names the result file). Received: --json")
    if args.ssh_config and not Path(args.ssh_config).is_file():
        raise UserError(f"Expected --ssh-config to be a file. Received: {args.ssh_config!r} (not found)")
    wheelhouse = Path(args.wheelhouse) if args.wheelhouse else None
    out = Path(args.out)
    config = DeployConfig(out=out, remote_dir=args.remote_dir, remote_python=args.remote_python,
                          bench=None if args.bench is None else tuple(args.bench), offline=wheelhouse is not None,
                          ssh=SshSettings(config=args.ssh_config, connect_timeout_s=args.connect_timeout,
                                          accept_new_host_keys=args.accept_new_host_keys))
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="edgenn-wheel-") as tmp:
        payload = make_payload(edgenn_wheel(wheelhouse, Path(tmp)), wheelhouse, [Path(b) for b in args.bundle])
        print(f"edgenn deploy: {len(payload.bundles)} bundle(s) and {payload.wheel.path.name} "
              f"({len(payload.files())} files) to {len(destinations)} device(s), {args.jobs} at a time")
        outcomes = run_fleet(destinations, payload, config, args.jobs, Progress(destinations))
    report = write_report(outcomes, Path(args.report) if args.report else out / "report.html")
    wall = time.monotonic() - start
    for line in summary_lines(outcomes):
        print(line)
    if report:
        print(f"report: {report['results']} results from {report['runs']} run(s) on {report['devices']} device(s) "
              f"-> {report['html']}")
    print(f"wall time {wall:.1f} s")
    if args.json:
        write_json(args.json, deploy_record(outcomes, wall, report))
    return 0 if all(o.ok for o in outcomes) else 1
