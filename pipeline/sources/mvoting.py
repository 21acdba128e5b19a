"""mVoting (엠보팅) poll results: reader of the documented CSV / JSON export (docs/signals.md).

CSV: one row per option, UTF-8 (with or without BOM) or CP949::

    poll_id,question,policy_area,opened,closed,option,votes[,keywords][,votes_<group>...]

JSON: a list of polls, or ``{"polls": [...]}``, each poll::

    {"poll_id", "question", "policy_area", "opened", "closed", "keywords"?: [..] or "a;b",
     "options": [{"label", "votes", "breakdown"?: {"20대": 12, ...} or {"age": {"20대": 12}}}]}

`policy_area` is a code of policy_taxonomy.md or its Korean name (교통·도시); a time without an
offset is Asia/Seoul, and a `closed` given as a date means the end of that day. A poll-level
``"breakdown": {"age": {"20대": {"찬성": 12, ...}}}`` (the simulator's shape) is accepted too, as is
``"keyword": "따릉이 요금"`` for ``keywords``; other fields are ignored. `map_poll` is pure (one poll dict -> rows, `MVotingFormatError` with the reason
when it cannot be mapped); `read_mvoting` reads a file and returns polls, options and quarantine rows
(a bad poll or option row is quarantined with its reason, the rest goes on). A file that cannot be
read at all raises `MVotingFormatError` with a one-line message.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from pipeline.schema import POLICY_AREAS, SEOUL_TZ

SEOUL = ZoneInfo(SEOUL_TZ)
POLL_COLUMNS = [
    "poll_id",
    "question",
    "policy_area",
    "opened",
    "closed",
    "keywords",
    "total_votes",
    "n_options",
    "source",
]
OPTION_COLUMNS = ["poll_id", "option_no", "label", "votes", "share", "breakdown"]
QUARANTINE_COLUMNS = ["source", "line_no", "payload", "reason"]
CSV_REQUIRED = ("poll_id", "question", "policy_area", "opened", "closed", "option", "votes")
_AREA_BY_NAME = {v: k for k, v in POLICY_AREAS.items()}
_AREA_BY_NAME.update({v.replace("·", ""): k for k, v in POLICY_AREAS.items()})
_OPTION_ALIASES = ("option", "label", "option_label")


class MVotingFormatError(ValueError):
    """An mVoting file or poll that does not follow the documented format (one line)."""


def _area(value: object) -> str:
    s = str(value).strip() if value is not None else ""
    if s in POLICY_AREAS:
        return s
    if s in _AREA_BY_NAME:
        return _AREA_BY_NAME[s]
    raise MVotingFormatError(f"unknown policy_area {s!r} (use a code of policy_taxonomy.md)")


def _time(value: object, field: str, *, end_of_day: bool = False) -> pd.Timestamp:
    if (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or str(value).strip() == ""
    ):
        raise MVotingFormatError(f"{field} is missing")
    try:
        ts = pd.Timestamp(str(value).strip())
    except (ValueError, TypeError) as exc:
        raise MVotingFormatError(f"{field} {value!r} is not a date or ISO 8601 time") from exc
    date_only = len(str(value).strip()) <= 10
    if ts.tzinfo is None:
        ts = ts.tz_localize(SEOUL)
    if end_of_day and date_only:  # a closing date means the whole of that day
        ts = ts + pd.Timedelta(days=1)
    return ts.tz_convert("UTC")


def _votes(value: object, what: str) -> int:
    if value is None or str(value).strip() == "":
        raise MVotingFormatError(f"{what}: votes missing")
    try:
        f = float(str(value).replace(",", "").strip())
    except ValueError as exc:
        raise MVotingFormatError(f"{what}: votes {value!r} is not a number") from exc
    if f < 0 or math.isnan(f) or f != int(f):
        raise MVotingFormatError(f"{what}: votes {value!r} must be a whole number >= 0")
    return int(f)


def _keywords(value: object) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str):
        return [k.strip() for k in value.replace(",", ";").split(";") if k.strip()]
    return []


def _flat_breakdown(b: object, what: str) -> dict[str, int]:
    if b is None:
        return {}
    if not isinstance(b, dict):
        raise MVotingFormatError(f"{what}: breakdown must be an object")
    out: dict[str, int] = {}
    for k, v in b.items():
        if isinstance(v, dict):
            for k2, v2 in v.items():
                out[f"{k}:{k2}"] = _votes(v2, f"{what} breakdown {k}:{k2}")
        else:
            out[str(k)] = _votes(v, f"{what} breakdown {k}")
    return out


def _poll_breakdown(b: object, pid: str) -> dict[str, dict[str, int]]:
    """Poll-level breakdown {dimension: {group: {option: votes}}} -> {option: {"dim:group": n}}."""
    if not b:
        return {}
    if not isinstance(b, dict):
        raise MVotingFormatError(f"poll {pid}: breakdown must be an object")
    out: dict[str, dict[str, int]] = {}
    for dim, groups in b.items():
        if not isinstance(groups, dict):
            raise MVotingFormatError(f"poll {pid}: breakdown {dim!r} must be an object")
        for group, per_option in groups.items():
            if not isinstance(per_option, dict):
                raise MVotingFormatError(f"poll {pid}: breakdown {dim}:{group} must map options")
            for label, v in per_option.items():
                out.setdefault(str(label), {})[f"{dim}:{group}"] = _votes(
                    v, f"poll {pid} breakdown {dim}:{group}:{label}"
                )
    return out


def map_poll(raw: dict, *, source: str = "") -> tuple[dict, list[dict]]:
    """One poll dict (JSON shape) -> (poll row, option rows). Raises `MVotingFormatError`."""
    if not isinstance(raw, dict):
        raise MVotingFormatError("a poll must be an object")
    pid = str(raw.get("poll_id") or "").strip()
    if not pid:
        raise MVotingFormatError("poll_id is missing")
    question = str(raw.get("question") or "").strip()
    if not question:
        raise MVotingFormatError(f"poll {pid}: question is missing")
    area = _area(raw.get("policy_area"))
    opened = _time(raw.get("opened"), f"poll {pid}: opened")
    closed = _time(raw.get("closed"), f"poll {pid}: closed", end_of_day=True)
    if closed < opened:
        raise MVotingFormatError(f"poll {pid}: closed is before opened")
    opts = raw.get("options")
    if not isinstance(opts, list) or not opts:
        raise MVotingFormatError(f"poll {pid}: options must be a non-empty list")
    poll_bd = _poll_breakdown(raw.get("breakdown"), pid)
    rows = []
    seen = set()
    for i, o in enumerate(opts, start=1):
        if not isinstance(o, dict):
            raise MVotingFormatError(f"poll {pid}: option {i} must be an object")
        label = next((str(o[a]).strip() for a in _OPTION_ALIASES if o.get(a) is not None), "")
        if not label:
            raise MVotingFormatError(f"poll {pid}: option {i} has no label")
        if label in seen:
            raise MVotingFormatError(f"poll {pid}: option {label!r} appears twice")
        seen.add(label)
        votes = _votes(o.get("votes"), f"poll {pid} option {label!r}")
        bd = _flat_breakdown(o.get("breakdown"), f"poll {pid} option {label!r}")
        bd.update(poll_bd.get(label, {}))
        rows.append(
            {
                "poll_id": pid,
                "option_no": i,
                "label": label,
                "votes": votes,
                "breakdown": json.dumps(bd, ensure_ascii=False, sort_keys=True) if bd else None,
            }
        )
    total = sum(r["votes"] for r in rows)
    for r in rows:
        r["share"] = round(r["votes"] / total, 6) if total > 0 else None
    poll = {
        "poll_id": pid,
        "question": question,
        "policy_area": area,
        "opened": opened,
        "closed": closed,
        "keywords": _keywords(raw.get("keywords") or raw.get("keyword")),
        "total_votes": total,
        "n_options": len(rows),
        "source": source,
    }
    return poll, rows


def _csv_polls(text: str, source: str) -> tuple[list[tuple[int, dict]], list[dict]]:
    """CSV rows grouped into poll dicts (JSON shape), with the line number of each poll's first row."""
    reader = csv.DictReader(io.StringIO(text))
    cols = [c.strip() for c in (reader.fieldnames or [])]
    have = set(cols) | ({"option"} if any(a in cols for a in _OPTION_ALIASES) else set())
    missing = [c for c in CSV_REQUIRED if c not in have]
    if missing:
        raise MVotingFormatError(
            f"{source}: missing columns {', '.join(missing)} (need {', '.join(CSV_REQUIRED)})"
        )
    polls: dict[str, tuple[int, dict]] = {}
    bad: list[dict] = []
    for n, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items()}
        pid = row.get("poll_id") or ""
        if not pid:
            bad.append(
                {
                    "source": source,
                    "line_no": n,
                    "payload": json.dumps(row, ensure_ascii=False),
                    "reason": "poll_id is missing",
                }
            )
            continue
        label = next((row[a] for a in _OPTION_ALIASES if row.get(a)), None)
        bd = {
            k[len("votes_") :]: v
            for k, v in row.items()
            if k.startswith("votes_") and v not in (None, "")
        }
        opt = {"label": label, "votes": row.get("votes"), "breakdown": bd or None}
        if pid not in polls:
            polls[pid] = (
                n,
                {
                    "poll_id": pid,
                    "question": row.get("question"),
                    "policy_area": row.get("policy_area"),
                    "opened": row.get("opened"),
                    "closed": row.get("closed"),
                    "keywords": row.get("keywords"),
                    "options": [],
                },
            )
        polls[pid][1]["options"].append(opt)
    return list(polls.values()), bad


def _decode(data: bytes, source: str) -> str:
    for enc in ("utf-8-sig", "cp949"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise MVotingFormatError(f"{source}: not UTF-8 or CP949 text")


def polls_frames(
    raw_polls: Iterable[tuple[int | None, dict]], *, source: str = ""
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(line number, poll dict) pairs -> polls, options, quarantine frames (pure)."""
    polls, options, bad = [], [], []
    seen: set[str] = set()
    for line_no, raw in raw_polls:
        try:
            poll, opts = map_poll(raw, source=source)
            if poll["poll_id"] in seen:
                raise MVotingFormatError(f"poll {poll['poll_id']} appears twice")
        except MVotingFormatError as exc:
            bad.append(
                {
                    "source": source,
                    "line_no": line_no,
                    "payload": json.dumps(raw, ensure_ascii=False, default=str),
                    "reason": str(exc),
                }
            )
            continue
        seen.add(poll["poll_id"])
        polls.append(poll)
        options.extend(opts)
    p = pd.DataFrame(polls, columns=POLL_COLUMNS)
    if not p.empty:
        p["opened"] = pd.to_datetime(p["opened"], utc=True)
        p["closed"] = pd.to_datetime(p["closed"], utc=True)
        p["total_votes"] = p["total_votes"].astype("int64")
    o = pd.DataFrame(options, columns=OPTION_COLUMNS)
    if not o.empty:
        o["votes"] = o["votes"].astype("int64")
        o["share"] = o["share"].astype(float)
    return p, o, pd.DataFrame(bad, columns=QUARANTINE_COLUMNS)


def read_mvoting(path: Path | str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read an mVoting export (.csv or .json) -> (polls, options, quarantine)."""
    path = Path(path)
    source = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MVotingFormatError(f"cannot read {path}: {exc.strerror}") from exc
    text = _decode(data, source)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        grouped, bad = _csv_polls(text, source)
        p, o, q = polls_frames(grouped, source=source)
        q = (
            pd.concat([pd.DataFrame(bad, columns=QUARANTINE_COLUMNS), q], ignore_index=True)
            if bad
            else q
        )
        return p, o, q
    if suffix == ".json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MVotingFormatError(
                f"{source}: invalid JSON ({exc.msg}, line {exc.lineno})"
            ) from exc
        items = doc.get("polls") if isinstance(doc, dict) else doc
        if not isinstance(items, list):
            raise MVotingFormatError(f'{source}: expected a list of polls or {{"polls": [...]}}')
        return polls_frames([(None, r) for r in items], source=source)
    raise MVotingFormatError(f"{source}: unsupported file type {suffix!r} (use .csv or .json)")
