"""Drop-folder ingestion: `inbox/<channel>/*.{jsonl,csv,parquet}` -> ingest -> `done/` or `failed/`.

Files are recognised by the SHA-256 of their content, so a file dropped twice (or re-sent under
another name) is ingested once; the caller persists the hashes (`seen_hashes`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".jsonl", ".csv", ".parquet")
#: partial downloads/copies and editor files: left alone until they are renamed.
IGNORED_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp", ".lock")
DONE_DIR = "done"
FAILED_DIR = "failed"
CHANNEL_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")

IngestFile = Callable[[Path, str], dict]


@dataclass(frozen=True)
class InboxFile:
    path: Path
    channel: str
    sha256: str


def file_sha256(path: Path, *, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _candidates(inbox_dir: Path, *, min_age_s: float, now: float) -> Iterator[tuple[Path, str]]:
    if not inbox_dir.is_dir():
        return
    for channel_dir in sorted(p for p in inbox_dir.iterdir() if p.is_dir()):
        channel = channel_dir.name
        if channel.startswith(".") or channel in (DONE_DIR, FAILED_DIR):
            continue
        if not CHANNEL_RE.match(channel):
            log.warning("inbox: %s is not a channel name (a-z, 0-9, _ or -); skipped", channel_dir)
            continue
        files = [p for p in channel_dir.iterdir() if p.is_file() and not p.name.startswith(".")]
        for path in sorted(files, key=lambda p: (p.stat().st_mtime, p.name)):
            if path.name.lower().endswith(IGNORED_SUFFIXES):
                continue
            if now - path.stat().st_mtime < min_age_s:
                log.info("inbox: %s changed less than %.0f s ago; next sweep", path, min_age_s)
                continue
            yield path, channel
    for stray in sorted(p for p in inbox_dir.iterdir() if p.is_file()):
        if not stray.name.startswith("."):
            log.warning("inbox: %s is not inside a channel folder; skipped", stray)


def pending_files(
    inbox_dir: Path, *, min_age_s: float = 0.0, now: float | None = None
) -> list[InboxFile]:
    """Files waiting in `inbox_dir/<channel>/`, oldest first, with their content hashes."""
    now = time.time() if now is None else now
    return [
        InboxFile(path=path, channel=channel, sha256=file_sha256(path))
        for path, channel in _candidates(inbox_dir, min_age_s=min_age_s, now=now)
    ]


def _move(path: Path, folder: str, sha256: str) -> Path:
    target_dir = path.parent / folder
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    if target.exists():  # same name dropped again with other content: keep both
        target = target_dir / f"{path.stem}.{sha256[:12]}{path.suffix}"
        n = 1
        while target.exists():
            target = target_dir / f"{path.stem}.{sha256[:12]}.{n}{path.suffix}"
            n += 1
    os.replace(path, target)
    return target


def _fail(item: InboxFile, reason: str) -> Path:
    target = _move(item.path, FAILED_DIR, item.sha256)
    target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    log.warning("inbox: %s failed: %s", item.path, reason)
    return target


def sweep_inbox(
    inbox_dir: Path,
    ingest_file: IngestFile,
    *,
    seen_hashes: set[str] | None = None,
    min_age_s: float = 0.0,
    now: float | None = None,
) -> list[dict]:
    """Ingest each new file under `inbox_dir/<channel>/` once, then file it away.

    `ingest_file(path, channel)` stores the file and returns its counts; it runs before the file
    is moved, so a crash in between only makes the next sweep offer the file again (storage
    skips stored post ids). `seen_hashes` holds the content hashes already ingested and gains
    the new ones; a file whose content was seen goes to `done/` as a duplicate. A failing file
    goes to `failed/` with `<name>.reason.txt` beside it. Files younger than `min_age_s` (still
    being copied) wait for the next sweep.

    Returns one dict per file handled: channel, file, sha256, status
    ("ingested" | "duplicate" | "failed"), moved_to, counts, reason.
    """
    seen = set() if seen_hashes is None else seen_hashes
    outcomes: list[dict] = []
    for item in pending_files(inbox_dir, min_age_s=min_age_s, now=now):
        outcome: dict = {
            "channel": item.channel,
            "file": item.path.name,
            "sha256": item.sha256,
            "status": None,
            "moved_to": None,
            "counts": None,
            "reason": None,
        }
        if item.path.suffix.lower() not in SUPPORTED_SUFFIXES:
            reason = (
                f"unsupported file type {item.path.suffix or '(none)'}: "
                f"use {', '.join(SUPPORTED_SUFFIXES)}"
            )
            outcome.update(status="failed", reason=reason, moved_to=str(_fail(item, reason)))
        elif item.sha256 in seen:
            target = _move(item.path, DONE_DIR, item.sha256)
            log.info("inbox: %s has the content of a file already ingested", item.path)
            outcome.update(
                status="duplicate", moved_to=str(target), reason="content already ingested"
            )
        else:
            try:
                counts = ingest_file(item.path, item.channel)
            except Exception as exc:  # noqa: BLE001 - any failure files the input away with why
                reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
                outcome.update(status="failed", reason=reason, moved_to=str(_fail(item, reason)))
            else:
                seen.add(item.sha256)
                target = _move(item.path, DONE_DIR, item.sha256)
                outcome.update(status="ingested", counts=dict(counts or {}), moved_to=str(target))
        outcomes.append(outcome)
    return outcomes
