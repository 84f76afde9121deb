"""The demo's HTML report is a real page: opened in headless Chromium with the network shut off,
every image loads, every chart draws, every table is there; a screenshot is kept.

Uses Debian's ``chromium`` (``make test`` installs it). The report comes from the session's one
quick demo (tests/pipelines/demo_run.py). The screenshot lands in ``test-artifacts/`` (gitignored).
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pipelines.demo import MODELS
from tests.pipelines.demo_run import quick_demo

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
#: runs in the page after load and writes what it found into <pre id="edgenn-check">
CHECK_SCRIPT = """
<script>
window.addEventListener("load", () => {
  const box = (el) => { const r = el.getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height)]; };
  const found = {
    images: [...document.images].map((img) => ({alt: img.alt, complete: img.complete,
                                                width: img.naturalWidth, height: img.naturalHeight})),
    svgs: [...document.querySelectorAll("svg")].map((svg) => box(svg)),
    tables: [...document.querySelectorAll("table")].map((t) => ({
      caption: t.caption ? t.caption.textContent : (t.closest("figure")?.querySelector("figcaption")?.textContent || ""),
      headers: [...t.querySelectorAll("th")].map((th) => th.textContent.trim()),
      rows: t.querySelectorAll("tbody tr").length || Math.max(t.querySelectorAll("tr").length - 1, 0)})),
    headings: [...document.querySelectorAll("h1, h2")].map((h) => h.textContent.trim()),
  };
  const pre = document.createElement("pre");
  pre.id = "edgenn-check";
  pre.textContent = JSON.stringify(found);
  document.body.appendChild(pre);
});
</script>
"""


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed: `make test` installs Debian's chromium package")
    return path


def run_chromium(page: Path, profile: Path, *args: str) -> str:
    """Headless Chromium on ``page`` with every host unresolvable (a self-contained page needs none)."""
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}", *args, page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory):
    return quick_demo(tmp_path_factory)


@pytest.fixture(scope="session")
def page_check(demo_dir, tmp_path_factory):
    """What the check script saw in the report, loaded by Chromium from a copy with the script added."""
    html = (demo_dir / "report.html").read_text("utf-8")
    work = tmp_path_factory.mktemp("report-page")
    probe = work / "report-checked.html"
    probe.write_text(html.replace("</body>", CHECK_SCRIPT + "</body>"), "utf-8")
    dom = run_chromium(probe, work / "profile", "--virtual-time-budget=5000", "--dump-dom")
    found = re.search(r'<pre id="edgenn-check">(.*?)</pre>', dom, re.S)
    assert found, "the check script did not run: " + dom[-500:]
    return json.loads(found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
                      .replace("&amp;", "&")), html


@pytest.mark.slow
def test_the_report_needs_no_network(page_check):
    _, html = page_check
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I)
    assert "<link" not in html.lower() and "@import" not in html


@pytest.mark.slow
def test_every_image_loads(page_check):
    found, html = page_check
    images = found["images"]
    assert len(images) == html.count("<img")
    # 3 robustness charts, 3 learning curves, the CNN's kernels and feature maps, the hybrid's HOG glyphs
    assert len(images) >= 9
    broken = [i["alt"] for i in images if not (i["complete"] and i["width"] > 0 and i["height"] > 0)]
    assert broken == []


@pytest.mark.slow
def test_every_chart_draws(page_check):
    found, _ = page_check
    assert len(found["svgs"]) >= 2  # the latency distribution and accuracy-vs-latency-vs-size charts
    assert all(w > 100 and h > 100 for w, h in found["svgs"]), found["svgs"]


@pytest.mark.slow
def test_every_table_is_present(page_check):
    found, _ = page_check
    headings = found["headings"]
    for title in ("The demo at a glance", "Devices", "Accuracy vs latency vs size", "Power and thermal",
                  "Export: size and fidelity", "Robustness to adversarial examples (FGSM)",
                  "Looking inside the networks", "Where the time went"):
        assert title in headings, (title, headings)
    assert any(h.startswith("Results on ") for h in headings)
    tables = found["tables"]
    assert all(t["rows"] > 0 for t in tables)
    main = [t for t in tables if "p99 \u00b5s" in t["headers"]
            and any(h.startswith("Agreement with float") for h in t["headers"])]
    # every model and variant of the quick demo, each also as its in-model twin (issue 11)
    assert len(main) == 1 and main[0]["rows"] == 3 * 10 * 2
    for model in MODELS:
        assert sum(model in t["caption"] for t in tables) >= 2, model  # its export and robustness tables


@pytest.mark.slow
def test_a_screenshot_is_kept(demo_dir, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-page.png"
    shot.unlink(missing_ok=True)
    run_chromium(demo_dir / "report.html", tmp_path / "profile", "--hide-scrollbars", "--window-size=1280,4000",
                 f"--screenshot={shot}")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 4000)
    print(f"report screenshot: {shot}")
