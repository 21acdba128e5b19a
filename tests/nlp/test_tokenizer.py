from __future__ import annotations

import pytest

from pipeline.nlp.tokenizer import get_tokenizer, jvm_safe

HARD = [
    "", "😀😡🚇", "𝕏𝕐 𠀀 astral", "مرحبا RTL שלום", "ㅋㅋㅋㅋ", "#서울시 #따릉이고장",
    "강남역에서지하철이또멈췄어요ㅠㅠ", "a" * 5000, "\u200b\ufeff제로폭", "🇰🇷 태극기 ♥︎",
]


@pytest.fixture(scope="module")
def kiwi():
    return get_tokenizer("kiwi")


def test_kiwi_user_dictionary_and_hashtags(kiwi) -> None:
    t = kiwi.analyze(["#따릉이고장 기후동행카드 너무 좋아요 @seoulcity"])[0]
    assert ("#따릉이고장", "W_HASHTAG") in t.morphs
    assert ("따릉이", "NNP") in t.morphs and ("기후동행카드", "NNP") in t.morphs
    assert t.keywords()[:3] == ["#따릉이고장", "따릉이", "고장"]
    assert "좋/VA" in t.terms


def test_keywords_leave_out_generic_nouns_and_retweet_markers(kiwi) -> None:
    t = kiwi.analyze(["RT @user: 이번 주말 요즘 생각보다 따릉이 대여소 근처 공사 btw"])[0]
    kws = t.keywords()
    assert {"따릉이", "대여소", "공사", "주말"} <= set(kws)
    assert not {"rt", "RT", "btw", "이번", "요즘", "생각", "근처"} & set(kws)


def test_kiwi_is_loaded_once(kiwi) -> None:
    assert get_tokenizer("kiwi") is kiwi


def test_kiwi_never_crashes(kiwi) -> None:
    out = kiwi.analyze(HARD)
    assert len(out) == len(HARD)


@pytest.mark.parametrize("backend", ["okt", "komoran", "hannanum", "kkma"])
def test_konlpy_backends_survive_any_unicode(backend: str) -> None:
    pytest.importorskip("konlpy", reason="konlpy is the optional `konlpy` extra (make test installs it)")
    tok = get_tokenizer(backend)
    out = tok.analyze(HARD[:-3] + ["강남역 지하철이 멈췄어요 😡 #서울시"])
    assert len(out) == len(HARD) - 2
    last = out[-1]
    assert "#서울시" in last.hashtags
    assert any(form.startswith("지하철") for form, _ in last.morphs)


def test_jvm_safe_strips_what_crashes_jvm_analysers() -> None:
    assert jvm_safe("지하철 😡 𝕏 멈춤\x00") == "지하철 멈춤"
