"""Inbox sweeping: real files in tmp_path, a recording ingest function."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pipeline.sources.inbox import file_sha256, pending_files, sweep_inbox

JSONL = '{"id": "1", "created_at": "2025-03-03T09:00:00", "text": "따릉이 늘려주세요 🚲"}\n'
CSV = "id,created_at,text\n2,2025-03-03T10:00:00,버스 배차 ㅠㅠ\n"


class Recorder:
    def __init__(self, fail_on: str | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.fail_on = fail_on

    def __call__(self, path: Path, channel: str) -> dict:
        self.calls.append((path.name, channel))
        if self.fail_on and path.name == self.fail_on:
            raise ValueError("line 3: created_at is not a date\n(traceback noise)")
        return {"read": 1, "stored": 1, "duplicates": 0, "quarantined": 0}


def _write(path: Path, text: str, *, age_s: float = 60.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    old = time.time() - age_s
    os.utime(path, (old, old))
    return path


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    root = tmp_path / "inbox"
    _write(root / "petition" / "a.jsonl", JSONL, age_s=90)
    _write(root / "blog" / "b.csv", CSV, age_s=80)
    _write(root / "blog" / "copy-of-b.csv", CSV, age_s=70)  # same content, other name
    _write(root / "blog" / "notes.txt", "메모", age_s=60)
    _write(root / "blog" / "c.jsonl.part", JSONL)  # still downloading
    _write(root / "stray.jsonl", JSONL)  # no channel folder
    _write(root / "Bad Channel" / "d.jsonl", JSONL)
    return root


def test_sweep_ingests_each_content_once_and_files_it_away(inbox: Path) -> None:
    ingest = Recorder()
    seen: set[str] = set()
    out = sweep_inbox(inbox, ingest, seen_hashes=seen)
    by_file = {o["file"]: o for o in out}
    assert ingest.calls == [("b.csv", "blog"), ("a.jsonl", "petition")]
    assert by_file["b.csv"]["status"] == "ingested"
    assert by_file["b.csv"]["counts"]["stored"] == 1
    assert by_file["copy-of-b.csv"]["status"] == "duplicate"
    assert by_file["notes.txt"]["status"] == "failed"
    assert "unsupported file type .txt" in by_file["notes.txt"]["reason"]
    assert set(by_file) == {"a.jsonl", "b.csv", "copy-of-b.csv", "notes.txt"}
    assert seen == {
        file_sha256(inbox / "petition" / "done" / "a.jsonl"),
        file_sha256(inbox / "blog" / "done" / "b.csv"),
    }
    assert (inbox / "blog" / "done" / "copy-of-b.csv").exists()
    assert (
        (inbox / "blog" / "failed" / "notes.txt.reason.txt").read_text().startswith("unsupported")
    )
    assert (inbox / "blog" / "c.jsonl.part").exists()  # untouched
    assert (inbox / "stray.jsonl").exists() and (inbox / "Bad Channel" / "d.jsonl").exists()
    # a second sweep finds nothing new
    assert sweep_inbox(inbox, ingest, seen_hashes=seen) == []
    assert len(ingest.calls) == 2


def test_failure_goes_to_failed_with_one_line_reason(inbox: Path) -> None:
    out = sweep_inbox(inbox, Recorder(fail_on="a.jsonl"))
    failed = next(o for o in out if o["file"] == "a.jsonl")
    assert failed["status"] == "failed"
    assert failed["reason"] == "ValueError: line 3: created_at is not a date"
    reason_file = inbox / "petition" / "failed" / "a.jsonl.reason.txt"
    assert reason_file.read_text(encoding="utf-8").strip() == failed["reason"]
    assert (inbox / "petition" / "failed" / "a.jsonl").read_text(encoding="utf-8") == JSONL


def test_persisted_hashes_skip_files_seen_in_earlier_runs(inbox: Path) -> None:
    seen = {file_sha256(inbox / "petition" / "a.jsonl")}
    ingest = Recorder()
    out = sweep_inbox(inbox, ingest, seen_hashes=seen)
    assert ("a.jsonl", "petition") not in ingest.calls
    assert next(o for o in out if o["file"] == "a.jsonl")["status"] == "duplicate"


def test_same_name_new_content_keeps_both_in_done(tmp_path: Path) -> None:
    root = tmp_path / "inbox"
    _write(root / "x" / "dump.jsonl", JSONL)
    sweep_inbox(root, Recorder())
    _write(root / "x" / "dump.jsonl", JSONL.replace('"1"', '"2"'))
    out = sweep_inbox(root, Recorder())
    assert out[0]["status"] == "ingested"
    names = {p.name for p in (root / "x" / "done").iterdir()}
    assert "dump.jsonl" in names and len(names) == 2


def test_files_still_being_written_wait(tmp_path: Path) -> None:
    root = tmp_path / "inbox"
    _write(root / "news" / "fresh.jsonl", JSONL, age_s=0)
    assert sweep_inbox(root, Recorder(), min_age_s=30) == []
    assert [f.path.name for f in pending_files(root, min_age_s=30, now=time.time() + 60)] == [
        "fresh.jsonl"
    ]


def test_missing_inbox_is_empty(tmp_path: Path) -> None:
    assert sweep_inbox(tmp_path / "nope", Recorder()) == []
