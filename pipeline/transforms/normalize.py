"""Raw records -> canonical, masked post rows (`posts_clean`) plus quarantine rows with reasons."""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
import pandas as pd

from pipeline.schema import INT_FIELDS, MAX_TEXT_CHARS, SEOUL_TZ, STRING_FIELDS
from pipeline.transforms.pii import MIN_PII_CHARS, mask_obj, mask_pii, plain_key

SEOUL = ZoneInfo(SEOUL_TZ)

HASHTAG_RE = re.compile(r"#([0-9A-Za-z가-힣ㄱ-ㅎㅏ-ㅣ_]+)")
MENTION_RE = re.compile(r"(?<![\w.])@([A-Za-z0-9_]{1,30})")
URL_RE = re.compile(r"https?://[^\s<>\"'）)]+")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_REPEAT_RE = re.compile(r"(.)\1{2,}")
_SPACE_RE = re.compile(r"\s+")
_KEY_DROP_RE = re.compile(r"https?://\S+|@\w+|[^0-9A-Za-z가-힣@]+|@")

_ID_FIELDS = tuple(f for f in STRING_FIELDS if f not in ("created_at", "text"))
# Canonical fields that never hold free text; their values are validated, not masked.
_PLAIN_FIELDS = frozenset({"id", "channel", "created_at", "lang", "reply_to", "repost_of",
                           "quote_of", "author_followers", "likes", "shares", "replies", "views"})

POST_COLUMNS = (
    "post_id", "channel", "source_id", "created_at", "day", "text", "text_norm", "author_hash",
    "author_followers", "likes", "shares", "replies", "views", "reply_to", "repost_of",
    "quote_of", "url", "lang", "place", "hashtags", "mentions", "urls", "pii_masked", "text_key",
)
QUARANTINE_COLUMNS = ("source", "line_no", "payload", "reason")
RAW_COLUMNS = ("post_id", "channel", "source", "payload")


@dataclass(frozen=True)
class Record:
    """One input row as read: a parsed dict, or the raw line that could not be parsed."""

    line_no: int
    data: dict | None
    raw: str | None = None
    error: str | None = None


@functools.lru_cache(maxsize=1 << 16)
def author_hash(author: str, salt: str) -> str:
    """Pseudonym of an author handle: salted SHA-256, 16 hex characters (cached: authors repeat)."""
    handle = author.strip().lstrip("@").lower()
    return hashlib.sha256(f"{salt}\x1f{handle}".encode()).hexdigest()[:16]


_AUTHOR_KEYS = frozenset({"author", "username", "screen_name", "author_id", "user_id", "handle"})


def pseudonymise_obj(value: object, salt: str) -> object:
    """Author handles and account ids inside a raw payload replaced by their salted hashes
    (a user object's display `name` too); the rest unchanged."""
    if isinstance(value, dict):
        is_user = "username" in value or "screen_name" in value
        out = {}
        for k, v in value.items():
            if isinstance(v, (str, int)) and not isinstance(v, bool) and (
                k in _AUTHOR_KEYS or (is_user and k in ("name", "id"))
            ):
                out[k] = "h:" + author_hash(str(v), salt)
            else:
                out[k] = pseudonymise_obj(v, salt)
        return out
    if isinstance(value, list):
        return [pseudonymise_obj(v, salt) for v in value]
    return value


_PLAIN_KEYS: dict[object, bool] = {}


def _is_plain(key: object) -> bool:
    """`pii.plain_key`, memoised for the few thousand key names payloads use."""
    plain = _PLAIN_KEYS.get(key)
    if plain is None:
        plain = plain_key(key)
        if len(_PLAIN_KEYS) < 4096 and isinstance(key, str):
            _PLAIN_KEYS[key] = plain
    return plain


_MASKED: dict[str, tuple[str, int]] = {}  # text -> mask_pii(text); texts repeat (reposts, quotes)


def _mask_memo(text: str) -> tuple[str, int]:
    """`mask_pii`, remembered for the last few ten-thousand distinct texts."""
    if len(text) < MIN_PII_CHARS:
        return text, 0
    out = _MASKED.get(text)
    if out is None:
        out = mask_pii(text)
        if len(_MASKED) >= 50_000:
            _MASKED.clear()
        _MASKED[text] = out
    return out


def _masked(text: str) -> str:
    return _mask_memo(text)[0]


def scrub_payload(value: object, salt: str) -> object:
    """A raw payload with author handles and account ids pseudonymised and personal data masked.

    One walk doing what `mask_obj(pseudonymise_obj(value, salt))` does, except that a pseudonym
    is never itself masked; identifier and time fields (`pii.plain_key`) keep their values.
    """
    kind = type(value)
    if kind not in _RULE_KINDS:
        kind = _kind(value)
    if kind is dict:
        return _scrub_dict(value, salt)
    if kind is list:
        return [scrub_payload(v, salt) for v in value]
    if kind is str:
        return _masked(value)
    return value


def _pseudonym(value: object, salt: str) -> str:
    return "h:" + author_hash(value if type(value) is str else str(value), salt)


def _kind(value: object) -> type | None:
    """The rules' type of a value that is not exactly str, int, dict or list (subclasses)."""
    for kind in (str, dict, list):
        if isinstance(value, kind):
            return kind
    return int if isinstance(value, int) and not isinstance(value, bool) else None


_RULE_KINDS = frozenset({str, int, dict, list})


def _scrub_dict(value: dict, salt: str) -> dict:
    """`scrub_payload` of a dict. The hot path of X ingest (a post's payload holds a dozen
    nested objects), so it dispatches on exact types and inlines the memo lookups."""
    is_user = "username" in value or "screen_name" in value
    masked_get, plain_get = _MASKED.get, _PLAIN_KEYS.get
    out = {}
    for k, v in value.items():
        kind = type(v)
        if kind not in _RULE_KINDS:
            kind = _kind(v)
        if kind is str:
            if k in _AUTHOR_KEYS or (is_user and (k == "name" or k == "id")):
                out[k] = _pseudonym(v, salt)
            elif len(v) < MIN_PII_CHARS:
                out[k] = v
            else:
                plain = plain_get(k)
                if plain is None:
                    plain = _is_plain(k)
                if plain:
                    out[k] = v
                else:
                    memo = masked_get(v)
                    out[k] = memo[0] if memo is not None else _masked(v)
        elif kind is int:
            out[k] = _pseudonym(v, salt) if k in _AUTHOR_KEYS or (is_user and k == "id") else v
        elif kind is dict or kind is list:
            out[k] = pseudonymise_obj(v, salt) if _is_plain(k) else scrub_payload(v, salt)
        else:
            out[k] = v
    return out


def dumps_payload(value: object) -> str:
    """JSON text of a payload (orjson: UTF-8, NaN -> null, datetimes ISO 8601, numpy values)."""
    return orjson.dumps(value, default=str,
                        option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY).decode()


def text_for_analysis(text: str) -> str:
    """NFC, controls removed, repeated characters squashed (ㅋㅋㅋㅋ -> ㅋㅋ), spaces collapsed."""
    return _squash(_CONTROL_RE.sub(" ", unicodedata.normalize("NFC", text)))


def _squash(text: str) -> str:
    """`text_for_analysis` of a text that is NFC and free of control characters already."""
    return " ".join(_REPEAT_RE.sub(r"\1\1", text).split())


def text_key(text_norm: str) -> str:
    """Key of a text for exact-duplicate detection (URLs, mentions, punctuation ignored)."""
    core = _KEY_DROP_RE.sub("", text_norm).lower()
    return hashlib.sha1(core.encode()).hexdigest()[:20]


def parse_time(value: object) -> datetime:
    """An aware datetime; a time without an offset is Asia/Seoul (interfaces.md)."""
    if isinstance(value, datetime):
        ts = value
    elif isinstance(value, pd.Timestamp):
        ts = value.to_pydatetime()
    elif isinstance(value, str) and value.strip():
        s = value.strip()
        if s.endswith("Z"):
            s = s[:-1] + "+00:00"
        try:
            ts = datetime.fromisoformat(s)
        except ValueError as exc:
            raise ValueError(f"created_at is not ISO 8601: {value[:40]!r}") from exc
    else:
        raise ValueError("created_at is missing or not a string")
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=SEOUL)
    return ts


def _as_str(value: object) -> str | None:
    if type(value) is str:
        return value.strip() or None
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        s = str(value).strip()
        return s or None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    raise TypeError(type(value).__name__)


def _as_int(value: object) -> int | None:
    if type(value) is int:
        return value if value >= 0 else None
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return None
    if isinstance(value, bool):
        return None
    try:
        n = int(float(value)) if isinstance(value, (str, float)) else int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return n if n >= 0 else None


def _masked_payload(data: object) -> str:
    masked, _ = mask_obj(data)
    return dumps_payload(masked)


def posts_clean(
    records: Iterable[Record],
    *,
    source: str,
    default_channel: str | None,
    salt: str,
    now: datetime,
    window: tuple[datetime, datetime] | None = None,
    future_tolerance: timedelta = timedelta(minutes=10),
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Canonical masked posts, their masked raw payloads, and quarantine rows (never raises on data).

    Rows repeated within the batch are kept once; the caller counts them as duplicates.
    """
    rows: list[dict] = []
    raws: list[dict] = []
    bad: list[dict] = []

    def reject(rec: Record, reason: str, payload: object) -> None:
        text = payload if isinstance(payload, str) else _masked_payload(payload)
        if isinstance(payload, str):
            text, _ = mask_pii(_CONTROL_RE.sub(" ", payload))
        bad.append({"source": source, "line_no": rec.line_no, "payload": text[:5000],
                    "reason": reason})

    for rec in records:
        if rec.data is None:
            reject(rec, rec.error or "unreadable row", rec.raw or "")
            continue
        d = rec.data
        if not isinstance(d, dict):
            reject(rec, "row is not an object", str(d))
            continue
        try:
            fields = {f: _as_str(d.get(f)) for f in _ID_FIELDS}
        except TypeError as exc:
            reject(rec, f"a text field has the wrong type ({exc})", d)
            continue
        channel = fields.get("channel") or default_channel
        if not fields.get("id"):
            reject(rec, "missing required field: id", d)
            continue
        if not channel:
            reject(rec, "missing channel (give --channel)", d)
            continue
        text = d.get("text")
        if not isinstance(text, str):
            reject(rec, "missing required field: text" if text is None else "text is not a string", d)
            continue
        text = _CONTROL_RE.sub(" ", unicodedata.normalize("NFC", text))
        if not text.strip():
            reject(rec, "empty text", d)
            continue
        if len(text) > MAX_TEXT_CHARS:
            reject(rec, f"text too long ({len(text)} characters > {MAX_TEXT_CHARS})", d)
            continue
        try:
            created = parse_time(d.get("created_at"))
        except ValueError as exc:
            reject(rec, str(exc), d)
            continue
        if created > now + future_tolerance:
            reject(rec, f"created_at in the future ({created.isoformat()})", d)
            continue
        if window is not None and not (window[0] <= created < window[1]):
            reject(rec, f"created_at outside the run window ({created.isoformat()})", d)
            continue

        masked, n_pii = _mask_memo(text)
        norm = _squash(masked)  # masking keeps NFC and adds no control characters
        sid = fields["id"]
        author = fields.get("author")

        def ref(value: str | None, channel: str = channel) -> str | None:
            return f"{channel}:{value}" if value else None

        local = created.astimezone(SEOUL)
        row = {
            "post_id": f"{channel}:{sid}",
            "channel": channel,
            "source_id": sid,
            "created_at": local,
            "day": local.date(),
            "text": masked,
            "text_norm": norm,
            "author_hash": author_hash(author, salt) if author else None,
            "reply_to": ref(fields.get("reply_to")),
            "repost_of": ref(fields.get("repost_of")),
            "quote_of": ref(fields.get("quote_of")),
            "url": mask_pii(fields["url"])[0] if fields.get("url") else None,
            "lang": fields.get("lang"),
            "place": fields.get("place"),
            "hashtags": sorted({"#" + h for h in HASHTAG_RE.findall(norm)}),
            "mentions": sorted({"@" + m.lower() for m in MENTION_RE.findall(masked)}),
            "urls": URL_RE.findall(masked),
            "pii_masked": n_pii,
            "text_key": text_key(norm),
        }
        for f in INT_FIELDS:
            row[f] = _as_int(d.get(f))
        rows.append(row)
        # the handle is personal data: the raw copy keeps its hash; the text is masked already
        plain = {k: v for k, v in d.items() if k in _PLAIN_FIELDS}
        rest = scrub_payload({k: v for k, v in d.items()
                              if k not in _PLAIN_FIELDS and k not in ("text", "author")}, salt)
        payload = {**plain, **rest, "text": masked}
        if author:
            payload["author_hash"] = row["author_hash"]
        raws.append({"post_id": row["post_id"], "channel": channel, "source": source,
                     "payload": dumps_payload(payload)})

    # built column by column: cheaper than pandas' list-of-dicts path for wide batches
    posts = pd.DataFrame({c: [r[c] for r in rows] for c in POST_COLUMNS}, columns=list(POST_COLUMNS))
    if not posts.empty:
        posts["created_at"] = pd.to_datetime(posts["created_at"], utc=True)
        for f in INT_FIELDS:
            posts[f] = posts[f].astype("Int64")
    raw = pd.DataFrame({c: [r[c] for r in raws] for c in RAW_COLUMNS}, columns=list(RAW_COLUMNS))
    quarantine = pd.DataFrame(bad, columns=list(QUARANTINE_COLUMNS))
    return posts, raw, quarantine
