"""Raw records -> canonical, masked post rows (`posts_clean`) plus quarantine rows with reasons."""

from __future__ import annotations

import functools
import hashlib
import math
import re
import unicodedata
from collections import Counter
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
# Controls become spaces; lone surrogates (a JSON "\\ud800" escape) U+FFFD, which UTF-8 can hold.
_TEXT_FIX_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
# What a field value must not hold: NUL bytes and lone surrogates (DuckDB and UTF-8 refuse them).
_FIELD_BAD_RE = re.compile(r"[\x00\ud800-\udfff]")
# Text made only of these shows nothing: white space, format characters (zero-width space and
# joiners, BOM, bidi marks, soft hyphen, variation selectors, tags) and the Hangul fillers.
_INVISIBLE_RE = re.compile(
    r"[\s\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180e\u200b-\u200f\u202a-\u202e"
    r"\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e0fff]*")
# A channel is the first part of `post_id` (`channel:id`): a colon or a space would make two
# different posts share an id, so only letters (Hangul too), digits, '_', '.' and '-' are accepted.
CHANNEL_RE = re.compile(r"[^\W_][\w.-]{0,63}")
INT64_MAX = 2**63 - 1
# created_at outside these years is a broken value, and beyond what pandas and DuckDB's
# arithmetic handle everywhere (year 1 minus a day overflows).
MIN_YEAR, MAX_YEAR = 1900, 2999
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


_DUMPS_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
#: deepest payload stored as it came (orjson's own limit is 254 levels)
MAX_PAYLOAD_DEPTH = 250


class PayloadTooDeep(ValueError):
    """A payload nested deeper than MAX_PAYLOAD_DEPTH."""


def dumps_payload(value: object, *, truncate: bool = True) -> str:
    """JSON text of a payload (orjson: UTF-8, NaN -> null, datetimes ISO 8601, numpy values).

    What JSON in UTF-8 cannot hold is made safe (`json_safe`): lone surrogates become U+FFFD,
    integers beyond 64 bits strings; deeper nesting than MAX_PAYLOAD_DEPTH is cut off, or
    raises PayloadTooDeep when `truncate` is false.
    """
    try:
        return orjson.dumps(value, default=str, option=_DUMPS_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError: surrogates, 65-bit ints, recursion limit
        return orjson.dumps(json_safe(value, truncate=truncate), default=str,
                            option=_DUMPS_OPTIONS).decode()


def json_safe(value: object, *, truncate: bool = True, _depth: int = 0) -> object:
    """`value` with lone surrogates replaced by U+FFFD, integers beyond 64 bits as strings and
    (with `truncate`) containers deeper than MAX_PAYLOAD_DEPTH replaced by a marker string."""
    if isinstance(value, str):
        return _SURROGATE_RE.sub("\ufffd", value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value if -(2**63) <= value < 2**64 else str(value)
    if isinstance(value, (dict, list, tuple)):
        if _depth >= MAX_PAYLOAD_DEPTH:
            if not truncate:
                raise PayloadTooDeep(f"nested more than {MAX_PAYLOAD_DEPTH} levels deep")
            return "[nested too deep]"
        if isinstance(value, dict):
            return {json_safe(k, _depth=_depth + 1) if isinstance(k, str) else k:
                    json_safe(v, truncate=truncate, _depth=_depth + 1) for k, v in value.items()}
        return [json_safe(v, truncate=truncate, _depth=_depth + 1) for v in value]
    return value


def _fix_char(match: re.Match[str]) -> str:
    return "\ufffd" if match.group() >= "\ud800" else " "


def clean_text(text: str) -> str:
    """NFC, controls as spaces, lone surrogates as U+FFFD (valid UTF-8 whatever came in)."""
    return _TEXT_FIX_RE.sub(_fix_char, unicodedata.normalize("NFC", text))


def text_for_analysis(text: str) -> str:
    """NFC, controls removed, repeated characters squashed (ㅋㅋㅋㅋ -> ㅋㅋ), spaces collapsed."""
    return _squash(clean_text(text))


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
    elif value is None or value == "":
        raise ValueError("missing required field: created_at")
    else:
        shown = repr(value)[:40] if isinstance(value, str) else str(value)[:40]
        raise ValueError(f"created_at must be an ISO 8601 string, got {type(value).__name__} "
                         f"{shown}")
    if not MIN_YEAR <= ts.year <= MAX_YEAR:
        raise ValueError(f"created_at out of range ({str(value)[:40]}; years {MIN_YEAR}-{MAX_YEAR})")
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


def _as_count(value: object) -> int | None:
    """An engagement count: None when missing; ValueError (why) when not a count in 0..2**63-1."""
    if type(value) is int and 0 <= value <= INT64_MAX:
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text) if text.isdigit() else float(text)
        except ValueError:
            raise ValueError("not a number") from None
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        if not value.is_integer():
            raise ValueError("not a whole number")
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("not a number")  # noqa: TRY004 - one kind of error: the value is noted
    if value < 0:
        raise ValueError("negative")
    if value > INT64_MAX:
        raise ValueError("out of range")
    return value


def channel_problem(channel: str) -> str | None:
    """Why `channel` cannot be a channel name, or None when it can."""
    if CHANNEL_RE.fullmatch(channel):
        return None
    return (f"channel {channel[:40]!r} is not a channel name "
            "(letters, digits, '_', '.' or '-'; no ':' or spaces)")


def _masked_payload(data: object) -> str:
    try:
        masked, _ = mask_obj(data)
    except RecursionError:  # a payload nested hundreds of levels deep: keep its top levels
        masked, _ = mask_obj(json_safe(data))
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
    Engagement counts that are not counts (negative, fractional, beyond 64 bits, not numbers)
    are stored as NULL and counted in `posts.attrs["notes"]` (`{"likes: out of range": 2}`);
    `posts.attrs["note_rows"]` names the row of each: `[(row position in posts, reason), ...]`.
    """
    rows: list[dict] = []
    raws: list[dict] = []
    bad: list[dict] = []
    note_rows: list[tuple[int, str]] = []

    def reject(rec: Record, reason: str, payload: object) -> None:
        if isinstance(payload, str):
            text, _ = mask_pii(clean_text(payload))
        else:
            text = _masked_payload(payload)
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
        if _FIELD_BAD_RE.search("".join(v for v in fields.values() if v)):
            problem = _bad_field(fields)
            if problem:
                reject(rec, problem, d)
                continue
        channel = fields.get("channel") or default_channel
        if not fields.get("id"):
            reject(rec, "missing required field: id", d)
            continue
        if not channel:
            reject(rec, "missing channel (give --channel)", d)
            continue
        if problem := channel_problem(channel):
            reject(rec, problem, d)
            continue
        text = d.get("text")
        if not isinstance(text, str):
            reject(rec, "missing required field: text" if text is None else "text is not a string", d)
            continue
        text = clean_text(text)
        if _INVISIBLE_RE.fullmatch(text):
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
        ahash = author_hash(author, salt) if author else None

        # the handle is personal data: the raw copy keeps its hash; the text is masked already
        plain = {k: v for k, v in d.items() if k in _PLAIN_FIELDS}
        try:
            rest = scrub_payload({k: v for k, v in d.items()
                                  if k not in _PLAIN_FIELDS and k not in ("text", "author")}, salt)
            payload = {**plain, **rest, "text": masked}
            if ahash:
                payload["author_hash"] = ahash
            payload_json = dumps_payload(payload, truncate=False)
        except (RecursionError, PayloadTooDeep):
            reject(rec, f"payload nested too deeply (more than {MAX_PAYLOAD_DEPTH} levels)", d)
            continue

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
            "author_hash": ahash,
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
            value = d.get(f)
            if value is None or (type(value) is int and 0 <= value <= INT64_MAX):
                row[f] = value
                continue
            try:
                row[f] = _as_count(value)
            except ValueError as exc:
                row[f] = None
                note_rows.append((len(rows), f"{f}: {exc}"))
        rows.append(row)
        raws.append({"post_id": row["post_id"], "channel": channel, "source": source,
                     "payload": payload_json})

    # built column by column: cheaper than pandas' list-of-dicts path for wide batches
    posts = pd.DataFrame({c: [r[c] for r in rows] for c in POST_COLUMNS}, columns=list(POST_COLUMNS))
    if not posts.empty:
        posts["created_at"] = pd.to_datetime(posts["created_at"], utc=True)
        for f in INT_FIELDS:
            posts[f] = posts[f].astype("Int64")
    raw = pd.DataFrame({c: [r[c] for r in raws] for c in RAW_COLUMNS}, columns=list(RAW_COLUMNS))
    quarantine = pd.DataFrame(bad, columns=list(QUARANTINE_COLUMNS))
    posts.attrs["notes"] = dict(Counter(reason for _, reason in note_rows))
    posts.attrs["note_rows"] = note_rows
    return posts, raw, quarantine


def _bad_field(fields: dict[str, str | None]) -> str | None:
    """Why a row whose fields hold a NUL byte or a lone surrogate is refused, or None once the
    fields that can be cleaned are cleaned in place (NULs dropped, surrogates U+FFFD)."""
    for f in ("id", "channel"):
        v = fields.get(f)
        if v and _FIELD_BAD_RE.search(v):
            what = "a NUL byte" if "\x00" in v else "invalid Unicode (a lone surrogate)"
            return f"{f} contains {what}"
    for f, v in fields.items():
        if v and _FIELD_BAD_RE.search(v):
            fields[f] = _SURROGATE_RE.sub("\ufffd", v.replace("\x00", "")) or None
    return None
