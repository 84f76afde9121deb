"""One real ``edgenn demo --quick`` per test session, shared by the demo and report-page tests.

Each test module wraps :func:`quick_demo` in a session fixture; the module-level cache makes the
demo run once however many modules ask (a failure is cached too, so it is not retried).
"""

from __future__ import annotations

from pathlib import Path

_CACHE: dict[str, object] = {}


def quick_demo(tmp_path_factory) -> Path:
    """The output directory of a finished quick demo on MNIST-5k (the offline data set)."""
    if "root" not in _CACHE:
        from pipelines.demo import DemoSettings, run_demo

        root = tmp_path_factory.mktemp("quick-demo")
        lines: list[str] = []
        try:
            run_demo(DemoSettings(data="mnist-5k", out=str(root), quick=True), log=lines.append)
        except BaseException as exc:
            _CACHE["root"] = exc
            raise
        (root / "demo.log").write_text("\n".join(lines) + "\n", "utf-8")
        _CACHE["root"] = root
    found = _CACHE["root"]
    if isinstance(found, BaseException):
        raise RuntimeError("the quick demo failed earlier in this session") from found
    return found
