"""Seoul districts (자치구) named in a post, from a gazetteer of districts, 동, stations and landmarks.

`districts_in(text)` returns the distinct 자치구 names a text mentions, in order of first mention;
`districts_for(texts)` does the same for many texts. Both are pure: the gazetteer ships with the
package (`data/seoul_gazetteer.tsv`) and every name in it is compiled into one trie-shaped regular
expression, so a post is scanned once whatever the size of the gazetteer.

What counts as a mention (policy_taxonomy.md, and the rules below, tested in
tests/transforms/test_districts.py and measured by scripts/eval_districts.py):

- A district by name (마포구) or without 구 where that is unambiguous (마포, 은평, 송파 …). Not bare:
  중구 (중 is a word), 동작 (a common noun: 동작 인식), 강북 (the region north of the river),
  동대문 (the market area lies in 종로구/중구; 동대문구 and 동대문역 are matched).
- 강남 alone means 강남구 (강남 집값, 강남 살아요), but not 강남3구/강남4구/강남권/강남 지역/강남 일대,
  강남북 or 강남 set against 강북 ("강남과 강북의 격차"), 강남스타일, or 강남대 (in 용인).
- A place inside a district: 행정동 and well-known 법정동 (서교동, 논현1동 and 논현동), subway stations
  with 역 (강남역, 교대역, 시청역; by the station's address), areas and landmarks (홍대, 여의도, 코엑스).
- A 동 name found in several districts (신사동: 강남구/관악구/은평구) is ambiguous: it counts only when
  the post also names one of its districts (then it adds nothing new), except for the `prefer`
  entries of the gazetteer (삼성동 → 강남구 unless 관악구 is named).
- Names must start a word: "홍길동", "김광진", "집중구역" and "이대로" do not name places. Names of
  people (광진 씨, 강동원), common words (중구난방, 수유실, 관악기, 망원경, 상도덕) are excluded.
- Another city beside the name means it is not Seoul's: "부산 중구", "대구 중구청", "부산광역시 강서구",
  "인천 남동구 논현동". For 중구/강서구 the nearest city named in the 40 characters before decides
  ("부산 해운대구와 중구").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from pipeline.schema import DISTRICTS
from pipeline.transforms.trie import trie_regex

_OTHER_CITIES = [
    "부산",
    "대구",
    "인천",
    "대전",
    "울산",
    "광주",
    "세종",
    "제주",
    "수원",
    "성남",
    "고양",
    "용인",
    "부천",
    "안산",
    "안양",
    "남양주",
    "화성",
    "평택",
    "의정부",
    "시흥",
    "파주",
    "김포",
    "광명",
    "하남",
    "과천",
    "구리",
    "오산",
    "군포",
    "의왕",
    "포천",
    "양주",
    "창원",
    "포항",
    "청주",
    "천안",
    "전주",
    "김해",
    "구미",
    "경기",
    "경기도",
    "경남",
    "경북",
    "충남",
    "충북",
    "전남",
    "전북",
    "강원",
]
_CITY_SUFFIX = r"(?:광역시|특별자치시|특별자치도|특별시|시|도)?"
# another city right before a match, optionally followed by one of its 구/군/시 ("인천 남동구 논현동")
_CITY_BEFORE = re.compile(
    rf"(?:{'|'.join(_OTHER_CITIES)}){_CITY_SUFFIX}\s*(?:[가-힣]{{1,4}}(?:구|군|시)\s*)?[\(\[]?$"
)
_ANY_CITY = re.compile(rf"(서울|{'|'.join(_OTHER_CITIES)})")
# names that also exist in other cities: the nearest city named before them decides
_SHARED_NAMES = ("중구", "강서")

# bare district names and areas with their own "not followed by" / "not preceded by" contexts
_NOT_AFTER: dict[str, re.Pattern[str]] = {
    "강남": re.compile(
        r"^(?:\s*(?:3|4|삼|사)\s*구|\s*권|북|\s*지역|\s*일대|\s*스타일|대|\s*(?:과|와|[,·/]|vs|및|이나)?\s*강북)",
        re.IGNORECASE,
    ),
    "강동": re.compile(r"^(?:원|\s*권)"),
    "강서": re.compile(r"^(?:\s*권|\s*지역)"),
    "광진": re.compile(r"^(?:\s*(?:씨|님|형|군|이[가는를랑도와한의]|아[\s,!?~.]|아$|이$))"),
    "수유": re.compile(
        r"^(?:\s*(?:실|시설|중|하|를|량|텀|쿠션|기|시간|브라|패드|부|용|모|등|까지))"
    ),
    "상도": re.compile(r"^(?:덕|의(?!\s*[0-9]))"),
    "양재": re.compile(r"^기"),
}
_NOT_BEFORE: dict[str, re.Pattern[str]] = {
    "강남": re.compile(r"강북\s*(?:과|와|[,·/]|vs|및|이나)?\s*$", re.IGNORECASE),
}
# a 동 name running into a common word: 대학동기, 신정동생, 명동료 …
_DONG_BAD_NEXT = frozenset("기생료창문네지물안참작맹포화")
_WORD_CHAR = re.compile(r"[가-힣A-Za-z0-9]")


@dataclass(frozen=True)
class Gazetteer:
    """Names → candidate districts (an empty tuple blocks), with the kind of each name."""

    districts: dict[str, tuple[str, ...]]
    kinds: dict[str, str]
    prefer: dict[str, str]
    pattern: re.Pattern[str]


def _plain_dong(name: str) -> str | None:
    """논현1동 → 논현동, 금호2·3가동 → 금호동, 성수1가1동 → 성수동, 면목본동 → 면목동."""
    plain = re.sub(r"(?:[0-9·]+가?[0-9·]*|본)동$", "동", name)
    return plain if plain != name and len(plain) >= 2 else None


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The packaged gazetteer, compiled once per process."""
    text = (
        resources.files("pipeline.transforms")
        .joinpath("data/seoul_gazetteer.tsv")
        .read_text("utf-8")
    )
    cands: dict[str, list[str]] = {}
    kinds: dict[str, str] = {}
    blocks: set[str] = set()
    prefer: dict[str, str] = {}

    def add(name: str, district: str, kind: str) -> None:
        key = name.casefold()
        lst = cands.setdefault(key, [])
        if district not in lst:
            lst.append(district)
        kinds.setdefault(key, kind)

    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, district, names = line.split("\t")
        if district != "-" and district not in DISTRICTS:
            raise ValueError(f"seoul_gazetteer.tsv: unknown district {district!r}")
        for raw in names.split():
            name = raw.replace("_", " ")
            if kind == "block":
                blocks.add(name.casefold())
            elif kind == "prefer":
                prefer[name.casefold()] = district
            elif kind == "station":
                add(name + "역", district, kind)
            elif kind == "dong":
                add(name, district, kind)
                plain = _plain_dong(name)
                if plain:
                    add(plain, district, kind)
            else:
                add(name, district, kind)
    for name in DISTRICTS:  # the 25 names themselves always resolve
        cands[name] = [name]
        kinds[name] = "district"
    districts = {k: tuple(v) for k, v in cands.items() if k not in blocks}
    districts.update({b: () for b in blocks})
    words = sorted(districts, key=len, reverse=True)
    pattern = re.compile(
        r"(?:(?<![가-힣A-Za-z0-9])|(?<=[시구울#]))(" + trie_regex(words) + ")", re.IGNORECASE
    )
    return Gazetteer(districts, kinds, prefer, pattern)


def _other_city(text: str, start: int, name: str) -> bool:
    """True when the name at `start` belongs to another city named right before it."""
    if _CITY_BEFORE.search(text[max(0, start - 20) : start]):
        return True
    if name.startswith(_SHARED_NAMES):
        cities = _ANY_CITY.findall(text[max(0, start - 40) : start])
        return bool(cities) and cities[-1] != "서울"
    return False


def _accepted(text: str, start: int, end: int, key: str, kind: str) -> bool:
    after = text[end : end + 16]
    if key[-1:].isascii() and after[:1] and _WORD_CHAR.match(after[:1]) and after[:1].isascii():
        return False
    if kind == "dong" and key.endswith("동") and after[:1] in _DONG_BAD_NEXT:
        return False
    rule = _NOT_AFTER.get(key)
    if rule is not None and rule.search(after):
        return False
    rule = _NOT_BEFORE.get(key)
    if rule is not None and rule.search(text[max(0, start - 12) : start]):
        return False
    return not _other_city(text, start, key)


def districts_in(text: str) -> list[str]:
    """Distinct 자치구 names that `text` mentions, in order of first mention."""
    if not text:
        return []
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    g = gazetteer()
    found: list[tuple[int, str]] = []
    ambiguous: list[tuple[int, str, tuple[str, ...]]] = []
    for m in g.pattern.finditer(text):
        key = m.group(1).casefold()
        cands = g.districts.get(key)
        if not cands:  # blocked string (or, defensively, a name without districts)
            continue
        if not _accepted(text, m.start(1), m.end(1), key, g.kinds.get(key, "area")):
            continue
        if len(cands) == 1:
            found.append((m.start(1), cands[0]))
        else:
            ambiguous.append((m.start(1), key, cands))
    named = {d for _, d in found}
    for pos, key, cands in ambiguous:
        hits = [d for d in cands if d in named]
        if len(hits) == 1:
            found.append((pos, hits[0]))
        elif not hits and key in g.prefer:
            found.append((pos, g.prefer[key]))
    out: dict[str, None] = {}
    for _, d in sorted(found):
        out.setdefault(d, None)
    return list(out)


def districts_for(texts: Sequence[str | None]) -> list[list[str]]:
    """`districts_in` for each text (None or empty → [])."""
    return [districts_in(t) if isinstance(t, str) else [] for t in texts]
