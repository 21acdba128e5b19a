from __future__ import annotations

import pytest

from pipeline.transforms.pii import mask_obj, mask_pii


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("연락 010-1234-5678 주세요", "연락 [전화번호] 주세요"),
        ("01098765432로 문자", "[전화번호]로 문자"),
        ("+82 10 1234 5678", "[전화번호]"),
        ("민원실 02-2133-7890", "민원실 [전화번호]"),
        ("주민번호 900101-1234567 유출됨", "주민번호 [주민번호] 유출됨"),
        ("주민번호9001011234567", "주민번호[주민번호]"),
        ("메일은 hong.gildong+1@naver.com 입니다", "메일은 [이메일] 입니다"),
        ("카드 1234-5678-9012-3456 분실", "카드 [카드번호] 분실"),
        ("카드번호 1234567890123456", "카드번호 [카드번호]"),
        ("국민은행 123456-01-123456 입금", "국민은행 [계좌번호] 입금"),
        ("신한 110-123-456789", "신한 [계좌번호]"),
    ],
)
def test_masks_personal_data(text: str, expected: str) -> None:
    masked, n = mask_pii(text)
    assert masked == expected
    assert n == 1


@pytest.mark.parametrize("text", ["2026-11-29 행사", "버스 7016번 배차 15분", "가격 10,000원", "", "ㅋㅋㅋ😀"])
def test_leaves_ordinary_numbers(text: str) -> None:
    assert mask_pii(text) == (text, 0)


def test_masks_nested_payloads() -> None:
    masked, n = mask_obj({"text": "010-1111-2222", "meta": [{"mail": "a@b.co"}], "n": 3})
    assert masked == {"text": "[전화번호]", "meta": [{"mail": "[이메일]"}], "n": 3}
    assert n == 2


def test_identifier_fields_are_not_scanned_but_free_text_is() -> None:
    raw = {"id": "1896350242300001234", "author_id": "01012345678", "created_at": "2025-03-03",
           "user": {"description": "문의 010-2222-3333", "username": "kim"}}
    masked, n = mask_obj(raw)
    assert masked["id"] == raw["id"] and masked["author_id"] == raw["author_id"]
    assert masked["user"]["description"] == "문의 [전화번호]" and n == 1


def _pii_like_texts(n: int, seed: int = 3) -> list[str]:
    """Texts built from fragments near the patterns' edges: digit runs of every length, every
    separator, ids, handles with digits, URLs, e-mail look-alikes, full-width digits."""
    import random

    rnd = random.Random(seed)
    digits = "0123456789"
    pieces = ["010", "02", "031", "1234", "5678", "900101", "1234567", "110", "+82", "@", "a@b.co",
              "kim_049", "@seoul", "x.com/status/1896712184906403359", "https://t.co/AbCdEf9999",
              "０１０", "-", " ", ".", ")", "–", "민원", "번호", "\n"]

    def piece() -> str:
        if rnd.random() < 0.4:
            return "".join(rnd.choice(digits) for _ in range(rnd.randint(1, 20)))
        return rnd.choice(pieces)

    return ["".join(piece() for _ in range(rnd.randint(1, 9))) for _ in range(n)]


def test_quick_reject_never_skips_personal_data(monkeypatch) -> None:
    """The cheap pre-scan is only a shortcut: with it, masking gives what the five full scans give."""
    import re

    from pipeline.transforms import pii

    texts = _pii_like_texts(30_000)
    fast = [mask_pii(t) for t in texts]
    monkeypatch.setattr(pii, "_MAYBE", re.compile(""))  # every text takes the full scans
    full = [mask_pii(t) for t in texts]
    assert fast == full
    assert sum(n for _, n in full) > 1000  # the sample does contain personal data
