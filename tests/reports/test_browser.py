"""The briefing in a real browser: headless Chromium (as root: --no-sandbox), desktop and phone widths.

The page carries a small self-check script that writes its findings on `<html data-*>`: charts whose
image decoded with a non-zero size, whether the embedded NanumGothic face loaded, the widths of Korean
text in that face and in a font that does not exist, horizontal overflow, script errors. Chromium runs
with a font configuration that holds no Korean font at all, so Korean text can only be drawn by the
font embedded in the page. Headless Chromium will not open a window narrower than 500 px, so the page
is loaded into an iframe of the wanted width inside a small harness page; the page posts its
self-check to the harness, whose DOM `--dump-dom` prints.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from pipeline.reports.briefing import chromium_args, find_chromium, render_briefing
from pipeline.storage import warehouse
from tests.reports.synthetic import build_sample_warehouse

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium, chromium-browser or google-chrome on PATH "
    "(`apt-get install -y chromium fonts-nanum`; `make test` installs it)",
)

VIEWPORTS = {"desktop": (1280, 2000), "phone": (390, 3000)}
LATIN_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation")

HARNESS = """<!doctype html>
<html><head><meta charset="utf-8"><title>harness</title>
<style>html, body {{ margin: 0; background: #888; }}
iframe {{ display: block; border: 0; width: {w}px; height: {h}px; background: #fff; }}</style>
</head><body><iframe src="{src}"></iframe>
<script>
window.addEventListener('message', function (e) {{
  var r = e.data && e.data.minsimSelfcheck;
  if (!r) {{ return; }}
  Object.keys(r).forEach(function (k) {{ document.documentElement.dataset[k] = r[k]; }});
}});
</script></body></html>
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("browser")
    day = build_sample_warehouse(root / "warehouse.duckdb", days=9, posts_per_day=250)
    con = warehouse.connect(root / "warehouse.duckdb", read_only=True)
    try:
        out = render_briefing(con, day, root / "reports", pdf=True)
        out["weekly_html"] = render_briefing(con, day, root / "reports", weekly=True, pdf=False)[
            "html"
        ]
    finally:
        con.close()
    return out


@pytest.fixture(scope="module")
def font_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for Chromium whose fontconfig sees only Latin fonts (no Korean anywhere)."""
    env = dict(os.environ)
    dirs = [d for d in LATIN_FONT_DIRS if Path(d).is_dir()]
    if not dirs:
        return env
    root = tmp_path_factory.mktemp("fontconfig")
    conf = root / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        + "".join(f"  <dir>{d}</dir>\n" for d in dirs)
        + f"  <cachedir>{root / 'cache'}</cachedir>\n</fontconfig>\n",
        encoding="utf-8",
    )
    env["FONTCONFIG_FILE"] = str(conf)
    return env


def _chromium(tmp: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    args = chromium_args(str(CHROMIUM), profile) + [
        "--enable-logging=stderr",
        "--v=0",
        "--hide-scrollbars",
        "--virtual-time-budget=10000",
        *extra,
    ]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, env=env, check=False)


def _html_attrs(dom: str) -> dict[str, str]:
    tag = re.search(r"<html\b[^>]*>", dom)
    assert tag, f"no <html> in the dumped DOM: {dom[:200]!r}"
    return {k: html.unescape(v) for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', tag.group(0))}


def _console_problems(stderr: str) -> list[str]:
    lines = [ln for ln in stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
    return [ln for ln in lines if re.search(r"Uncaught|Error|error|Failed to load", ln)]


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("edition", ["html", "weekly_html"])
def test_briefing_renders_in_chromium(
    rendered: dict[str, Path],
    font_env: dict[str, str],
    tmp_path: Path,
    viewport: str,
    edition: str,
) -> None:
    width, height = VIEWPORTS[viewport]
    page = rendered[edition]
    harness = page.parent / f"harness-{edition}-{viewport}.html"
    harness.write_text(HARNESS.format(w=width, h=height, src=page.name), encoding="utf-8")
    window = f"--window-size={max(width, 500)},{height}"

    shot = tmp_path / f"{edition}-{viewport}.png"
    dump = _chromium(
        tmp_path, font_env, window, "--dump-dom", f"--screenshot={shot}", harness.as_uri()
    )
    assert dump.returncode == 0, dump.stderr[-2000:]
    attrs = _html_attrs(dump.stdout)
    assert attrs.get("selfcheck") == "done", f"the page's self-check did not run: {attrs}"
    assert attrs["errors"] == "", f"script errors in the page: {attrs['errors']}"
    assert not _console_problems(dump.stderr), _console_problems(dump.stderr)

    done, total = (int(x) for x in attrs["charts"].split("/"))
    assert total >= 3 and done == total, f"charts rendered: {attrs['charts']}"

    assert attrs["korean-font"] == "loaded", "the embedded NanumGothic face did not load"
    korean, fallback = (int(x) for x in attrs["font-widths"].split(","))
    if "FONTCONFIG_FILE" in font_env:
        # Without a Korean system font a missing face would draw tofu of another width.
        assert korean != fallback, f"Korean text width {korean} equals the fallback's {fallback}"
    assert korean > 0

    assert int(attrs["inner-width"]) == width, attrs
    assert attrs["overflow"] == "no", (
        f"horizontal overflow at {viewport}: scrollWidth {attrs['scroll-width']} > {width}"
    )

    assert shot.is_file(), dump.stderr[-2000:]
    assert _png_size(shot) == (max(width, 500), height)
    keep = os.environ.get("MINSIM_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)


def test_pdf_printed_by_chromium(rendered: dict[str, Path]) -> None:
    pdf = rendered.get("pdf")
    assert pdf is not None and pdf.name == "briefing.pdf"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(data) > 20_000
    assert data.count(b"/Type /Page") - data.count(b"/Type /Pages") >= 2
    # A4 (595 x 842 pt), as Seoul prints, not US Letter (612 x 792)
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data)
    assert boxes, "no /MediaBox in the PDF"
    for w, h in boxes:
        assert (round(float(w)), round(float(h))) == (595, 842), (w, h)


def test_empty_day_renders_in_chromium(tmp_path: Path, font_env: dict[str, str]) -> None:
    con = warehouse.connect(tmp_path / "empty.duckdb")
    try:
        out = render_briefing(con, dt.date(2026, 1, 5), tmp_path / "reports", pdf=True)
    finally:
        con.close()
    assert "pdf" in out and out["pdf"].stat().st_size > 0
    dump = _chromium(
        tmp_path, font_env, "--window-size=1280,1000", "--dump-dom", out["html"].as_uri()
    )
    attrs = _html_attrs(dump.stdout)
    assert attrs["selfcheck"] == "done" and attrs["errors"] == ""
    assert attrs["korean-font"] == "loaded"
    assert "수집·분석된 게시물이 없습니다" in dump.stdout
