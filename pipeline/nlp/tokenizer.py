"""Tokeniser interface: Kiwi by default, konlpy backends (optional extra) by setting.

Every backend returns `Tokens` with Sejong-style tags so downstream features do not depend on the
backend. Kiwi is built once per process (it takes seconds and ~500 MB) and reused.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import resources

NOUN_TAGS = frozenset({"NNG", "NNP", "SL", "SH", "XR"})
PREDICATE_TAGS = frozenset({"VV", "VA", "VX", "VCN"})
CONTENT_TAGS = NOUN_TAGS | PREDICATE_TAGS | frozenset({"MAG", "IC", "NNB", "SN"})
STOP_NOUNS = frozenset(
    ["것", "수", "등", "때", "중", "더", "좀", "거", "이", "그", "저", "분", "년", "월", "일", "시", "번", "개", "명", "곳", "쪽", "뭐", "게", "데", "듯", "점", "바", "뿐", "만", "측", "관련", "경우", "정도", "오늘", "어제", "내일", "지금", "진짜", "정말", "너무", "ㅋㅋ", "ㅠㅠ",
     # generic nouns that led topic labels and 연관어 without saying anything ("신청 · 자동차 · 이번"),
     # and the retweet / chat markers of X posts
     "이번", "요즘", "다음", "최근", "이후", "이전", "동안", "하루", "일부", "부분", "내용", "방법",
     "생각", "사실", "자체", "이상", "이하", "근처", "rt", "btw"]
)

_HASHTAG = re.compile(r"#([0-9A-Za-z가-힣_]+)")
# Lone surrogates (from a JSON "\\ud800" escape) are not Unicode text: Kiwi cannot encode them.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def unicode_safe(text: str | None) -> str:
    """`text` with lone surrogates replaced by U+FFFD ("" for None), safe for every backend."""
    return _SURROGATE.sub("\ufffd", text) if text else ""


@dataclass(frozen=True)
class Tokens:
    """Morphemes of one text as (form, Sejong tag) pairs."""

    morphs: tuple[tuple[str, str], ...]

    @cached_property
    def nouns(self) -> tuple[str, ...]:
        return tuple(f for f, t in self.morphs if t in ("NNG", "NNP"))

    @cached_property
    def hashtags(self) -> tuple[str, ...]:
        return tuple(f for f, t in self.morphs if t == "W_HASHTAG")

    @cached_property
    def terms(self) -> tuple[str, ...]:
        """Content morphemes as `form/TAG` (predicates as stems), the shared feature vocabulary."""
        return tuple(f"{f}/{t}" for f, t in self.morphs if t in CONTENT_TAGS or t == "W_HASHTAG")

    def keywords(self, limit: int = 10) -> list[str]:
        """Distinct nouns (two or more characters, not stop words) and hashtags, in text order."""
        seen: dict[str, None] = {}
        for form, tag in self.morphs:
            if tag == "W_HASHTAG":
                seen.setdefault(form, None)
            elif tag in ("NNG", "NNP", "SL") and len(form) >= 2:
                word = form if tag != "SL" else form.lower()
                if word not in STOP_NOUNS:
                    seen.setdefault(word, None)
            if len(seen) >= limit:
                break
        return list(seen)


class Tokenizer:
    """Base class: `analyze(texts) -> list[Tokens]` in input order."""

    name = "base"

    def analyze(self, texts: Sequence[str]) -> list[Tokens]:
        raise NotImplementedError

    @property
    def version(self) -> str:
        return self.name


def user_terms() -> list[tuple[str, str]]:
    """The Seoul policy-term user dictionary shipped with the package."""
    text = resources.files("pipeline.nlp").joinpath("data/seoul_terms.txt").read_text("utf-8")
    terms = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, tag = line.partition("\t")
        terms.append((word.strip(), tag.strip() or "NNP"))
    return terms


class KiwiTokenizer(Tokenizer):
    """kiwipiepy with the Seoul user dictionary; hashtags kept and also split into words."""

    name = "kiwi"

    def __init__(self, num_workers: int = -1) -> None:
        import kiwipiepy
        from kiwipiepy import Kiwi  # heavy: imported when the tokeniser is built

        self._kiwi = Kiwi(num_workers=num_workers)
        for word, tag in user_terms():
            if " " not in word:
                self._kiwi.add_user_word(word, tag, 0.0)
        self._version = f"kiwi-{kiwipiepy.__version__}"

    @property
    def version(self) -> str:
        return self._version

    def analyze(self, texts: Sequence[str]) -> list[Tokens]:
        texts = [unicode_safe(t) for t in texts]
        out: list[Tokens] = []
        for text, toks in zip(texts, self._kiwi.tokenize(texts), strict=True):
            morphs: list[tuple[str, str]] = []
            for tok in toks:
                morphs.append((tok.form, tok.tag))
                if tok.tag == "W_HASHTAG" and len(tok.form) > 1:
                    inner = self._kiwi.tokenize(tok.form[1:])
                    morphs.extend((t.form, t.tag) for t in inner if t.tag in CONTENT_TAGS)
            out.append(Tokens(tuple(morphs)))
        return out


# konlpy tags onto the Sejong tags that Kiwi uses.
_OKT_TAGS = {
    "Noun": "NNG", "ProperNoun": "NNP", "Verb": "VV", "Adjective": "VA", "Adverb": "MAG",
    "Determiner": "MM", "Exclamation": "IC", "Josa": "JKS", "Eomi": "EF", "PreEomi": "EP",
    "Suffix": "XSN", "Conjunction": "MAJ", "Number": "SN", "Alpha": "SL", "Foreign": "SL",
    "Punctuation": "SF", "KoreanParticle": "SW", "Hashtag": "W_HASHTAG",
    "ScreenName": "W_MENTION", "Email": "W_EMAIL", "URL": "W_URL", "VerbPrefix": "XPN",
}
_HANNANUM_TAGS = {"N": "NNG", "P": "VV", "M": "MAG", "I": "IC", "J": "JKS", "E": "EF",
                  "X": "XSN", "S": "SF", "F": "SL"}
# Characters the JVM analysers handle safely; anything else (emoji, astral plane, controls,
# rare scripts) is replaced by a space before analysis so Komoran and Kkma never crash.
_SAFE = re.compile(r"[^0-9A-Za-z\uAC00-\uD7A3\u3131-\u318E\u4E00-\u9FFF .,!?~'\"()\[\]\-:;/%&+=#@_\n]")


def jvm_safe(text: str) -> str:
    """Text reduced to characters every konlpy analyser accepts."""
    text = unicodedata.normalize("NFC", text or "")
    return re.sub(r"\s+", " ", _SAFE.sub(" ", text)).strip()


class KonlpyTokenizer(Tokenizer):
    """konlpy backends (GPL-3.0, needs a JVM): install with the `konlpy` extra."""

    _lock = threading.Lock()

    def __init__(self, backend: str) -> None:
        try:
            from konlpy import tag
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeError(
                f"MINSIM_TOKENIZER={backend} needs konlpy: run `uv sync --extra konlpy`"
            ) from exc
        classes = {"okt": tag.Okt, "komoran": tag.Komoran, "hannanum": tag.Hannanum,
                   "kkma": tag.Kkma}
        if backend not in classes:
            raise ValueError(f"unknown konlpy backend {backend!r}")
        self.name = backend
        with self._lock:
            self._tagger = classes[backend]()

    @property
    def version(self) -> str:
        import konlpy

        return f"konlpy-{konlpy.__version__}-{self.name}"

    def _map(self, tag: str) -> str:
        if self.name == "okt":
            return _OKT_TAGS.get(tag, "UN")
        if self.name == "hannanum":
            return _HANNANUM_TAGS.get(tag[:1], "UN")
        return tag.split("+")[0]

    def _one(self, text: str) -> Tokens:
        safe = jvm_safe(text)
        morphs: list[tuple[str, str]] = []
        if self.name != "okt":  # Okt tags hashtags itself
            morphs.extend(("#" + m.group(1), "W_HASHTAG") for m in _HASHTAG.finditer(text or ""))
        if safe:
            for start in range(0, len(safe), 2000):  # Kkma is quadratic on long inputs
                chunk = safe[start : start + 2000]
                try:
                    pairs = self._tagger.pos(chunk)
                except Exception:  # noqa: BLE001 - a JVM analyser failing on odd input must not stop a run
                    pairs = [(w, "UN") for w in chunk.split()]
                morphs.extend((form, self._map(tag)) for form, tag in pairs)
        return Tokens(tuple(morphs))

    def analyze(self, texts: Sequence[str]) -> list[Tokens]:
        return [self._one(unicode_safe(t)) for t in texts]


_CACHE: dict[str, Tokenizer] = {}
_CACHE_LOCK = threading.Lock()


def get_tokenizer(backend: str = "kiwi") -> Tokenizer:
    """The process-wide tokeniser for `backend` (built on first use)."""
    with _CACHE_LOCK:
        if backend not in _CACHE:
            _CACHE[backend] = KiwiTokenizer() if backend == "kiwi" else KonlpyTokenizer(backend)
        return _CACHE[backend]


def analyze_all(tokenizer: Tokenizer, texts: Iterable[str], batch_size: int = 2000) -> list[Tokens]:
    """Analyse `texts` in batches (keeps memory flat on large days)."""
    texts = list(texts)
    out: list[Tokens] = []
    for i in range(0, len(texts), batch_size):
        out.extend(tokenizer.analyze(texts[i : i + batch_size]))
    return out
