"""`make eval`'s driver: every part's figures reach the JSON summary; a part without data says why."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(script: str, *args: str, env: dict[str, str] | None = None) -> list[str]:
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    return out.stdout.strip().splitlines()


def test_summary_holds_each_parts_figures(tmp_path: Path) -> None:
    lines = _run(
        "eval_all.py", "--only", "districts,channels,policy", env={"MINSIM_CORPORA": str(tmp_path)}
    )
    summary = json.loads(lines[-1])
    districts = summary["districts"]["districts"]
    assert districts["texts"] >= 200 and districts["precision"] >= 0.95
    channels = summary["channels"]
    assert channels["passed"] == channels["scenarios"] == 15
    assert channels["stored"] == channels["expected"]
    # without corpora the policy part skips, and the summary says so instead of showing figures
    assert "no corpora" in summary["policy"]["policy"]["skipped"]


def test_alerts_print_a_json_line() -> None:
    # a small run: the figures are not the point here, the summary line is (it used to be missing,
    # and `make eval` then reported the alert evaluation as skipped)
    lines = _run(
        "eval_alerts.py", "--days", "6", "--posts-per-day", "600", "--quiet-days", "6",
        "--warmup", "2",
    )
    res = json.loads(lines[-1])
    assert res["eval"] == "alerts" and res["events"] >= 3
    assert 0.0 <= res["precision"] <= 1.0 and 0.0 <= res["recall"] <= 1.0
    assert res["false_alerts_total"] >= 0 and res["quiet_days"] == 6
