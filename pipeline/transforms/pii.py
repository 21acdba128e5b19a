"""Personal-data masking: applied before anything is stored (warehouse, raw payloads, logs)."""

from __future__ import annotations

import re

# Order matters: the most specific patterns first so a card number is not masked as a phone.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("[이메일]", re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")),
    # 주민등록번호 / 외국인등록번호: YYMMDD-[1-8]XXXXXX (hyphen or space optional)
    ("[주민번호]", re.compile(r"(?<!\d)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\s?[-–]?\s?[1-8]\d{6}(?!\d)")),
    # Card numbers: 4-4-4-4 (or 4-6-5 Amex), with spaces, hyphens or nothing
    ("[카드번호]", re.compile(r"(?<!\d)(?:\d{4}[-\s]?){3}\d{4}(?!\d)|(?<!\d)\d{4}[-\s]\d{6}[-\s]\d{5}(?!\d)")),
    # Mobile and landline numbers (+82 too)
    ("[전화번호]", re.compile(
        r"(?<!\d)(?:\+82[-\s]?)?0?1[016789][-.\s]?\d{3,4}[-.\s]?\d{4}(?!\d)"
        r"|(?<!\d)0(?:2|[3-6][1-5]|70)[-.\s)]\s?\d{3,4}[-.\s]\d{4}(?!\d)"
    )),
    # Bank account numbers: groups of digits joined by hyphens, 10-14 digits in all
    ("[계좌번호]", re.compile(r"(?<![\d-])\d{2,6}-\d{2,6}-\d{2,7}(?:-\d{1,3})?(?![\d-])")),
)
_ACCOUNT_DIGITS = (10, 14)
# One cheap scan rejects most strings. Every pattern above needs one of: an e-mail-like
# `x@domain.tld`; a maximal digit run of 4-16 digits (each match is bounded by non-digits and ends
# in >= 4 digits, except an account number, whose runs may be 3 digits but are hyphen-joined); or
# `digit-digit`. So a 19-digit status id or a handle like `citizen_049` does not trigger the
# five full scans (tests check the equivalence on generated text).
MIN_PII_CHARS = 6  # the shortest text any pattern above matches ("a@b.co")
_MAYBE = re.compile(r"[A-Za-z0-9._%+\-]@[A-Za-z0-9.\-]+\.[A-Za-z]{2}|(?<!\d)\d{4,16}(?!\d)|\d-\d")


def plain_key(key: object) -> bool:
    """Payload keys that hold identifiers, times or codes, never free text (ids, *_id, *_at)."""
    return isinstance(key, str) and (
        key in ("id", "lang", "type", "created_at", "edit_history_tweet_ids")
        or key.endswith(("_id", "_ids", "_at"))
    )


def _account(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    lo, hi = _ACCOUNT_DIGITS
    return "[계좌번호]" if lo <= digits <= hi else match.group(0)


def mask_pii(text: str) -> tuple[str, int]:
    """`text` with personal data replaced by placeholders, and how many were masked."""
    if not text or len(text) < MIN_PII_CHARS or not _MAYBE.search(text):
        return text, 0
    total = 0
    for placeholder, pattern in _PATTERNS:
        if placeholder == "[계좌번호]":
            new, n = pattern.subn(_account, text)
            n = new.count("[계좌번호]") - text.count("[계좌번호]")
        else:
            new, n = pattern.subn(placeholder, text)
        text, total = new, total + n
    return text, total


def mask_obj(value: object) -> tuple[object, int]:
    """Mask every string inside a JSON-like value (raw payloads, quarantined rows)."""
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, dict):
        out, total = {}, 0
        for k, v in value.items():
            if plain_key(k):
                out[k] = v
                continue
            out[k], n = mask_obj(v)
            total += n
        return out, total
    if isinstance(value, list):
        items, total = [], 0
        for v in value:
            masked, n = mask_obj(v)
            items.append(masked)
            total += n
        return items, total
    return value, 0
