"""report.html opened in a real headless browser (Debian's chromium): it renders every section,
prints to PDF, its text holds the findings, and it asks nothing of the network.

The page under test is the second session of one person: a scripted landmarks file first, then
the bundled rendered video (the pose model runs), so the report has key frames from the video,
a comparison with the previous session and a trend.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import cv2
import pytest
from media import run_cli

from hipdrop.reports.html import DISCLAIMER, meaning
from hipdrop.testing import scripted

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_videos" / "stance_test.mp4"
SECTIONS = ("findings", "drop", "frames", "chart", "reps", "compare", "trend", "settings")
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(BROWSER is None, reason="chromium not installed "
                                "(apt-get install chromium): the report is not opened in a browser")


@pytest.fixture(scope="module")
def report(tmp_path_factory, pose_model) -> tuple[Path, dict]:
    """(report.html, its summary) of the second session of "pat"."""
    import os

    root = tmp_path_factory.mktemp("report")
    old = os.environ.get("HIPDROP_DATA_DIR")
    os.environ["HIPDROP_DATA_DIR"] = str(root / "data")
    try:
        series, _ = scripted.landmarks(scripted.stance_test(drop_left=2.0, hold_s=6.0), fps=15.0,
                                       noise_px=0.5, seed=5)
        series.save(root / "first.npz")
        from hipdrop.cli import main

        assert main(["analyze", str(root / "first.npz"), "--out", str(root / "one"), "-q",
                     "--person", "pat"]) == 0
        assert main(["analyze", str(SAMPLE), "--out", str(root / "two"), "-q", "--no-video",
                     "--person", "pat"]) == 0
    finally:
        if old is None:
            os.environ.pop("HIPDROP_DATA_DIR", None)
        else:
            os.environ["HIPDROP_DATA_DIR"] = old
    out = root / "two"
    return out / "report.html", json.loads((out / "summary.json").read_text())


def chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--no-first-run", f"--user-data-dir={tmp / 'profile'}", *args],
        capture_output=True, timeout=120, check=False)


def test_page_text_has_every_section_and_the_findings(report, tmp_path):
    page, summary = report
    proc = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout.decode("utf-8")
    for ident in SECTIONS:
        assert f'id="{ident}"' in dom, ident
    text = html.unescape(re.sub(r"<[^>]+>", " ", dom))
    text = re.sub(r"\s+", " ", text)
    assert DISCLAIMER in text
    for side in ("left", "right"):
        finding = summary["verdict"][side]
        assert f"Standing on the {side.upper()} leg {finding.upper()}" in text
        assert meaning(side, finding).split(". ")[0] in text
    if summary["verdict"]["left"] == "drop":  # the sample's 8 deg drop standing on the left leg
        assert "weak LEFT gluteus medius" in text
    assert "The previous stance session of “pat”" in text
    assert "Trend: 2 sessions" in text
    assert dom.count("data:image/jpeg") == 3  # double stance and each side's stance


def test_no_external_requests(report):
    page = report[0].read_text()
    assert not re.search(r"""(?:src|href|action|srcset)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.search(r"url\(\s*['\"]?\s*(?:https?:)?//", page, re.I)
    assert not re.search(r"<(?:script|link|iframe|object|embed)\b", page, re.I)
    assert "@import" not in page
    srcs = re.findall(r"""src\s*=\s*['"]([^'"]*)""", page)
    assert srcs and all(s.startswith("data:image/") for s in srcs)


def test_screenshot_renders(report, tmp_path):
    shot = tmp_path / "shot.png"
    proc = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1000,2400",
                    report[0].as_uri())
    assert proc.returncode == 0 and shot.is_file(), proc.stderr[-2000:]
    image = cv2.imread(str(shot))
    assert image.shape[:2] == (2400, 1000)
    # Not a blank page: text, cards and pictures make it far from uniform, and the drop card's
    # red and the no-drop card's green are both on it.
    assert image.std() > 20
    red = (image[..., 2] > 170) & (image[..., 1] < 80) & (image[..., 0] < 80)
    assert red.sum() > 500


def test_prints_to_pdf(report, tmp_path):
    pdf = tmp_path / "report.pdf"
    proc = chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer",
                    report[0].as_uri())
    assert proc.returncode == 0 and pdf.is_file(), proc.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 50_000
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert 2 <= pages <= 8


def test_live_session_writes_a_report(tmp_path, capsys, pose_model, monkeypatch):
    """`hipdrop live` from a video file: the session folder gets report.html, the history a
    live session."""
    monkeypatch.setenv("HIPDROP_DATA_DIR", str(tmp_path / "data"))
    status, out, err = run_cli(capsys, "live", "--source", SAMPLE, "--headless", "--save",
                               tmp_path / "s", "--max-seconds", "4", "--person", "kim")
    assert status == 0, err
    page = (tmp_path / "s" / "report.html").read_text()
    assert DISCLAIMER in page and "The first stance session of &ldquo;kim&rdquo;" in page
    status, out, _ = run_cli(capsys, "history", "--json", "--mode", "live")
    rows = json.loads(out)
    assert [(r["person"], r["command"], r["mode"]) for r in rows] == [("kim", "live", "stance")]
