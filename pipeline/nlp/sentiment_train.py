"""Sentiment training data, weak labels, training and evaluation (reads `corpora`, never copies it).

Data design (details and licenses in the model card):

* NSMC protocol — the Naver review crawl (CC0): ratings 1–4 negative, 9–10 positive, reviews under
  140 characters; split by movie (crc32(movie_id) % 20: 0–1 test, 2 validation, rest train).
* KOTE val (MIT): 44 emotions mapped to polarity; split by comment id (crc32 % 5 == 0 is test).
* Civic register: newspaper tweets (MIT) and the non-sarcastic tweets of the sarcasm corpus (MIT)
  as `neutral`; hand-written civic templates and posts (this repository, Apache-2.0) for
  requests/reports/small talk (neutral), complaints/sarcasm/grief (negative) and thanks/praise
  (positive).
* Hand-labelled texts (`sentiment_labelled.jsonl`, references only): tweets of the three MIT tweet
  corpora, KOTE comments and, since 2026.11.8, petition titles and BEEP! comments (CC BY-SA 4.0,
  so the weights trained on them are shared under CC BY-SA 4.0).
* Analyst feedback (text, sentiment) with a high weight.

Items of the hand-labelled civic test and dev sets (`eval/civic_sentiment*.jsonl`) are excluded by
key. Not used for the shipped model: KNU (no license), KOSAC (its terms are not stated).
"""

from __future__ import annotations

import csv
import functools
import gzip
import json
import logging
import re
import subprocess
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.nlp.sentiment import DEFAULT_FILE, LABELS, SentimentModel

log = logging.getLogger(__name__)

NSMC_FILE = "nsmc_raw/nsmc_raw_reviews.jsonl.gz"
KOTE_FILE = "kote/val.tsv"
NEWS_FILE = "korean_studies_corpora/korean_newspapers_twitter.csv"
MOON_FILE = "korean_studies_corpora/moon_twitter.csv"
SARCASM_FILE = "korean_sarcasm/train.csv"
HATE_FILE = "korean_hate_speech/labeled/train.tsv"
PETITION_2020_FILE = "petitions_2020_korkeep/petitions_2020.jsonl.gz"
PETITION_LOVIT_PREFIX = "petitions_lovit/"

REPO_ROOT = Path(__file__).resolve().parents[2]
CIVIC_EVAL = REPO_ROOT / "eval" / "civic_sentiment.jsonl"
# development set (different items, same sources): decision-rule tuning only, never training
CIVIC_DEV = REPO_ROOT / "eval" / "civic_sentiment_dev.jsonl"

# KOTE label indices (order of the source README's LABELS list).
KOTE_POSITIVE = frozenset({1, 2, 4, 7, 8, 13, 14, 16, 28, 32, 40, 42, 43})
KOTE_NEGATIVE = frozenset(
    {0, 3, 5, 6, 9, 10, 12, 18, 19, 20, 21, 22, 23, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37, 41}
)
KOTE_NONE = 24


class CorporaMissing(FileNotFoundError):
    """A corpus file needed for training or evaluation is absent."""


def _need(corpora: Path, rel: str) -> Path:
    p = Path(corpora) / rel
    if not p.exists():
        raise CorporaMissing(f"{p}: missing (set MINSIM_CORPORA to the shared data folder)")
    return p


def _bucket(key: str, mod: int) -> int:
    return zlib.crc32(key.encode("utf-8")) % mod


# -- corpus readers --------------------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def nsmc_reviews(corpora: Path) -> pd.DataFrame:
    """NSMC-protocol reviews: columns review_id, movie_id, text, label (negative/positive), split.

    Cached per path (the file is read-only input); callers filter, never mutate, the frame.
    """
    recs = []
    with gzip.open(_need(corpora, NSMC_FILE), "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            text = r["review"].strip()
            rating = int(r["rating"])
            if not text or len(text) >= 140 or 5 <= rating <= 8:
                continue
            b = _bucket(r["movie_id"], 20)
            recs.append(
                (
                    r["review_id"],
                    r["movie_id"],
                    text,
                    "negative" if rating <= 4 else "positive",
                    "test" if b < 2 else "val" if b == 2 else "train",
                )
            )
    return pd.DataFrame(recs, columns=["review_id", "movie_id", "text", "label", "split"])


@functools.lru_cache(maxsize=2)
def nsmc_ratings(corpora: Path) -> pd.DataFrame:
    """Every review under 140 characters with its rating (1–10, the 5–8 ones too): columns
    review_id, text, rating, split (as `nsmc_reviews`). Cached per path; callers never mutate it."""
    recs = []
    with gzip.open(_need(corpora, NSMC_FILE), "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            text = r["review"].strip()
            if not text or len(text) >= 140:
                continue
            b = _bucket(r["movie_id"], 20)
            recs.append(
                (
                    r["review_id"],
                    text,
                    int(r["rating"]),
                    "test" if b < 2 else "val" if b == 2 else "train",
                )
            )
    return pd.DataFrame(recs, columns=["review_id", "text", "rating", "split"])


def balanced(df: pd.DataFrame, seed: int, n_per_class: int | None = None) -> pd.DataFrame:
    """Down-sample every label to the size of the smallest (or `n_per_class`), seeded."""
    n = int(df["label"].value_counts().min())
    n = n if n_per_class is None else min(n, n_per_class)
    parts = [g.sample(n=n, random_state=seed) for _, g in df.groupby("label", sort=True)]
    return pd.concat(parts).sort_index()


def kote_polarity(labels: Sequence[int]) -> str:
    """KOTE emotions → negative / neutral / positive / mixed (mixed is left out of train and test)."""
    labels = set(labels)
    pos = len(labels & KOTE_POSITIVE)
    neg = len(labels & KOTE_NEGATIVE)
    if pos + neg <= 1 and (KOTE_NONE in labels or pos + neg == 0):
        return "neutral"
    if pos >= 2 * neg and pos >= 2:
        return "positive"
    if neg >= 2 * pos and neg >= 2:
        return "negative"
    return "mixed"


def kote_comments(corpora: Path) -> pd.DataFrame:
    """KOTE val with polarity: columns id, text, label, split (test = crc32(id) % 5 == 0)."""
    recs = []
    with open(_need(corpora, KOTE_FILE), encoding="utf-8", newline="") as f:
        for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) < 3:
                continue
            labels = [int(x) for x in row[2].split(",") if x.strip().isdigit()]
            recs.append(
                (
                    row[0],
                    row[1].strip('"'),
                    kote_polarity(labels),
                    "test" if _bucket(row[0], 5) == 0 else "train",
                )
            )
    return pd.DataFrame(recs, columns=["id", "text", "label", "split"])


def news_tweets(corpora: Path) -> pd.DataFrame:
    """Newspaper tweets: columns key (tweet id), text (URLs kept, as posted)."""
    df = pd.read_csv(_need(corpora, NEWS_FILE), dtype=str, keep_default_na=False)
    return pd.DataFrame({"key": df["id"], "text": df["text"]})


def moon_tweets(corpora: Path) -> pd.DataFrame:
    df = pd.read_csv(_need(corpora, MOON_FILE), dtype=str, keep_default_na=False)
    return pd.DataFrame({"key": df["link"].str.rsplit("/", n=1).str[-1], "text": df["text"]})


def sarcasm_tweets(corpora: Path) -> pd.DataFrame:
    df = pd.read_csv(_need(corpora, SARCASM_FILE), dtype=str, keep_default_na=False)
    first = df.columns[0]
    return pd.DataFrame({"key": df[first], "text": df["tokens"], "sarcasm": df["label"] == "1"})


def hate_comments(corpora: Path) -> pd.DataFrame:
    """BEEP! labelled train comments (CC BY-SA 4.0; hand-labelled ones train the model since
    2026.11.8, whose weights are therefore CC BY-SA 4.0); key = 1-based data row."""
    df = pd.read_csv(
        _need(corpora, HATE_FILE),
        sep="\t",
        dtype=str,
        keep_default_na=False,
        quoting=csv.QUOTE_NONE,
    )
    return pd.DataFrame(
        {"key": [str(i + 1) for i in range(len(df))], "text": df["comments"], "hate": df["hate"]}
    )


def petition_titles(corpora: Path) -> pd.DataFrame:
    """Petition titles (no license stated; hand-labelled ones train the model since 2026.11.8, as
    petitions train the policy-area model): columns source, key, text."""
    recs = []
    p2020 = Path(corpora) / PETITION_2020_FILE
    if p2020.exists():
        with gzip.open(p2020, "rt", encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                recs.append((PETITION_2020_FILE, str(r["petition_idx"]), r["title"]))
    for p in sorted((Path(corpora) / PETITION_LOVIT_PREFIX).glob("petitions_*")):
        rel = PETITION_LOVIT_PREFIX + p.name
        with open(p, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    recs.append((rel, str(r["petition_idx"]), r["title"]))
    return pd.DataFrame(recs, columns=["source", "key", "text"])


def civic_source_texts(corpora: Path, source: str) -> dict[str, str]:
    """key → text for one civic-eval source file (read at run time, never copied)."""
    if source == NEWS_FILE:
        df = news_tweets(corpora)
    elif source == MOON_FILE:
        df = moon_tweets(corpora)
    elif source == SARCASM_FILE:
        df = sarcasm_tweets(corpora)
    elif source == HATE_FILE:
        df = hate_comments(corpora)
    elif source == KOTE_FILE:
        df = kote_comments(corpora).rename(columns={"id": "key"})
    elif source == PETITION_2020_FILE or source.startswith(PETITION_LOVIT_PREFIX):
        df = petition_titles(corpora)
        df = df[df["source"] == source]
    else:
        raise ValueError(f"unknown civic source {source!r}")
    return dict(zip(df["key"], df["text"], strict=True))


def civic_eval_items(corpora: Path, path: Path = CIVIC_EVAL) -> pd.DataFrame:
    """The hand-labelled civic test set with its text: columns source, key, label, text."""
    items = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    df = pd.DataFrame(items)
    texts: dict[tuple[str, str], str] = {}
    for source in df["source"].unique():
        for k, t in civic_source_texts(corpora, source).items():
            texts[(source, k)] = t
    df["text"] = [texts.get((s, str(k))) for s, k in zip(df["source"], df["key"], strict=True)]
    missing = df["text"].isna().sum()
    if missing:
        log.warning("%d civic eval items not found in the corpora", missing)
    return df.dropna(subset=["text"]).reset_index(drop=True)


def civic_eval_keys(path: Path = CIVIC_EVAL) -> set[tuple[str, str]]:
    if not path.exists():
        return set()
    keys = set()
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            keys.add((r["source"], str(r["key"])))
    return keys


# -- civic register: hand-written templates (this repository's own text) ----------------------

_PLACES = (
    "강남역",
    "마포구청",
    "우리 동네",
    "지하철 2호선",
    "버스 정류장",
    "따릉이 대여소",
    "한강공원",
    "구립 도서관",
    "주민센터",
    "신림동 골목",
    "종로 3가",
    "노원구 복지관",
    "잠실 사거리",
    "서울시청",
    "은평구 보건소",
    "동대문 시장",
    "성수동 카페거리",
    "여의도",
    "목동 아파트 단지",
    "구로디지털단지역",
)
_SERVICES = (
    "따릉이",
    "마을버스",
    "지하철",
    "쓰레기 수거",
    "가로등",
    "보도블록 공사",
    "민원 처리",
    "불법 주차 단속",
    "어린이집",
    "공공 와이파이",
    "제설 작업",
    "횡단보도 신호",
    "공영주차장",
    "기후동행카드",
    "청년월세 지원",
    "재활용 분리수거",
    "심야버스",
    "공원 화장실",
    "120 다산콜센터",
    "서울페이",
)

_NEUTRAL_T = (
    "{place} 근처 {service} 운영 시간이 어떻게 되나요?",
    "{service} 관련 안내문이 게시되었습니다.",
    "{place}에 {service} 설치를 요청합니다.",
    "{service} 신청 방법을 알고 싶습니다.",
    "{place} {service} 일정 공지드립니다.",
    "내일부터 {place} 일대 {service} 시간이 변경됩니다.",
    "{service} 확대를 건의합니다.",
    "{place}에서 {service} 관련 주민 설명회가 열립니다.",
    "{service} 이용 요금은 다음 달부터 조정됩니다.",
    "{place} {service} 위치 문의드립니다.",
    "서울시, {place}에 {service} 시범 도입",
    "{service} 개선을 위한 의견 수렴 중입니다.",
    "{place} 주변 {service} 현황 자료를 요청합니다.",
    "{service} 추가 배치를 검토해 주시기 바랍니다.",
    "{place}에 {service} 관련 현수막이 붙어 있네요.",
    "{service} 예산이 내년에 편성될 예정입니다.",
    "{place} {service} 담당 부서가 어디인가요?",
    "{service} 운영 방식에 대한 제안입니다.",
    "구청에서 {place} {service} 점검을 실시한다고 합니다.",
    "{place}부터 {service}까지 거리는 약 1km입니다.",
)
_NEGATIVE_T = (
    "{place} {service} 정말 너무 불편해요.",
    "{service} 때문에 매일 짜증나요.",
    "{place} {service} 몇 달째 고장인데 아무도 안 고쳐요.",
    "{service} 민원 넣었는데 답변이 없네요. 화가 납니다.",
    "{place} {service} 엉망입니다. 세금 어디에 쓰나요?",
    "{service} 이렇게 운영할 거면 차라리 없애세요.",
    "{place} {service} 때문에 주민들이 고통받고 있습니다.",
    "{service} 또 늦었네요. 진짜 최악이다.",
    "{place}에 {service}가 없어서 너무 위험해요.",
    "{service} 행정이 한심합니다.",
    "{place} {service} 소음 때문에 잠을 못 자요.",
    "{service} 담당 공무원이 불친절해서 실망했어요.",
    "{place} {service} 냄새가 심해서 못 살겠어요.",
    "{service} 약속만 하고 지키지 않네요. 어이없습니다.",
    "{place} {service} 한 시간 넘게 기다렸는데 안 와요.",
    "{service} 진짜 답이 없다 ㅡㅡ",
    "{place} {service} 방치하는 구청 규탄합니다.",
    "{service} 요금만 오르고 서비스는 나빠졌어요.",
    "{place} 불 난 지 한 시간이 지나도 {service} 안 와요.",
    "{service} 이게 최선입니까? 실망입니다.",
)
_POSITIVE_T = (
    "{place} {service} 정말 편리해졌어요. 감사합니다!",
    "{service} 덕분에 출퇴근이 훨씬 좋아졌어요.",
    "{place} {service} 빠르게 처리해 주셔서 고맙습니다.",
    "{service} 최고예요 👍",
    "{place} {service} 깨끗하게 관리되고 있어서 좋네요.",
    "{service} 친절하게 안내해 주셔서 감사했습니다.",
    "{place}에 {service} 생겨서 너무 좋아요!",
    "{service} 정책 칭찬합니다. 잘하셨어요.",
    "{place} {service} 담당자분께 감사 인사 전합니다.",
    "{service} 만족합니다. 앞으로도 부탁드려요 ^^",
    "{place} {service} 개선된 거 보고 감동했어요.",
    "{service} 덕분에 아이 키우기 한결 수월해요. 고마워요.",
    "{place} {service} 신속한 대응 감사드립니다.",
    "{service} 정말 잘 만들었네요. 자주 이용할게요.",
    "{place} 새로 생긴 {service} 마음에 들어요 ㅎㅎ",
    "{service} 최고! 서울시 일 잘하네요.",
)


# Requests and proposals (the petition/민원 register) are neutral unless they complain.
_TOPICS = (
    "마스크 공급",
    "개학 연기",
    "등록금 인하",
    "임대료 감면",
    "재난지원금 지급",
    "온라인 수업",
    "어린이 보호구역 확대",
    "공공임대주택 공급",
    "버스 노선 신설",
    "지하철 증차",
    "주차장 확충",
    "미세먼지 대책",
    "소상공인 지원",
    "청년 일자리 지원",
    "경로당 운영",
    "보육교사 처우 개선",
    "반려동물 등록제",
    "층간소음 기준",
    "전세 대출 규제",
    "재개발 절차",
    "의료 인력 확충",
    "장애인 활동지원",
    "학원 차량 안전벨트",
    "공공 와이파이",
    "자전거 도로",
    "응급실 운영",
    "코로나19 검사 확대",
    "예방접종 일정",
    "가로수 정비",
    "하수도 정비",
    "독거노인 돌봄",
    "출산 장려금",
    "국공립 어린이집",
    "택시 승차 거부 단속",
    "재활용 분리배출",
    "공원 조성",
)
_REQUEST_T = (
    "{topic}을 요청합니다",
    "{topic} 부탁드립니다",
    "{topic}에 대해 청원합니다",
    "{topic}을 건의합니다",
    "{topic} 관련 법을 개정해 주세요",
    "{topic} 해주세요",
    "{topic}을 검토해 주시기 바랍니다",
    "{topic} 대책을 마련해 주십시오",
    "{topic} 시행을 제안합니다",
    "{topic} 기준을 마련해 주세요",
    "{topic} 관련 청원",
    "{topic}에 관한 제안",
    "{topic} 신청 기간이 궁금합니다",
    "{topic} 일정은 언제 발표되나요?",
    "{topic} 지원 대상을 넓혀 주세요",
    "{topic} 추진을 바랍니다",
    "{topic}, 이렇게 하면 가능합니다",
    "{topic} 방안을 공개해 주세요",
    "정부는 {topic}을 시행하라",
    "{topic} 관련 설명회 안내",
    "{topic} 예산 편성 현황",
    "{topic} 조속히 시행해 주세요",
)
_COMPLAINT_T = (
    "{topic} 문제 때문에 너무 힘듭니다",
    "{topic} 엉터리 행정에 분노합니다",
    "{topic} 약속은 거짓말이었나요",
    "{topic} 이대로는 못 살겠습니다",
    "{topic} 무책임한 정부를 규탄합니다",
    "{topic} 한다더니 아무것도 안 바뀌었네요",
    "{topic} 때문에 피해가 막심합니다",
    "{topic} 탁상행정 정말 답답합니다",
    "{topic} 불공평합니다 억울합니다",
    "{topic} 담당자 횡포를 고발합니다",
)
_THANKS_T = (
    "{topic} 시행해 주셔서 감사합니다",
    "{topic} 덕분에 큰 도움이 됐어요",
    "{topic} 정말 잘한 정책입니다",
    "{topic} 빠르게 해결해 주셔서 고맙습니다",
    "{topic} 소식 반갑네요 환영합니다",
    "{topic} 응원합니다 힘내세요",
    "{topic} 덕분에 안심이 됩니다",
    "{topic} 결정 칭찬합니다",
)


def civic_templates(seed: int, per_template: int = 30, extended: bool = True) -> pd.DataFrame:
    """Short civic posts generated from hand-written templates: complaints, requests, thanks."""
    rng = np.random.default_rng(seed)
    recs = []
    for label, templates in (
        ("neutral", _NEUTRAL_T),
        ("negative", _NEGATIVE_T),
        ("positive", _POSITIVE_T),
    ):
        for t in templates:
            for _ in range(per_template):
                recs.append(
                    (
                        t.format(
                            place=_PLACES[rng.integers(len(_PLACES))],
                            service=_SERVICES[rng.integers(len(_SERVICES))],
                        ),
                        label,
                    )
                )
    for label, templates in (
        ("neutral", _REQUEST_T),
        ("negative", _COMPLAINT_T),
        ("positive", _THANKS_T),
    ):
        for t in templates:
            for _ in range(per_template):
                recs.append((t.format(topic=_TOPICS[rng.integers(len(_TOPICS))]), label))
    if extended:
        for label, templates in (
            ("neutral", _REQUEST2_T),
            ("negative", _COMPLAINT2_T),
            ("positive", _THANKS2_T),
        ):
            for t in templates:
                for _ in range(per_template):
                    recs.append(
                        (
                            t.format(
                                topic=_TOPICS[rng.integers(len(_TOPICS))],
                                actor=_ACTORS[rng.integers(len(_ACTORS))],
                                villain=_VILLAINS[rng.integers(len(_VILLAINS))],
                                place=_PLACES[rng.integers(len(_PLACES))],
                            ),
                            label,
                        )
                    )
    return pd.DataFrame(recs, columns=["text", "label"]).drop_duplicates("text")


# Hand-written civic posts (2026.11.3): one `label<TAB>text` per line in
# pipeline/nlp/data/sentiment_civic.txt, written for this repository from the taxonomy's definition
# (complaints, sarcasm, grief, quoted criticism; requests, questions, notices, headlines, small
# talk; thanks, praise, congratulations, encouragement) — never copied from a corpus.
HANDWRITTEN_FILE = "data/sentiment_civic.txt"

# Hand-labelled texts: references `{"source", "key", "label"}` (no text copied) to tweets of the
# MIT-licensed corpora (a politician's tweets, newspaper tweets, the sarcasm corpus; seed 2027,
# 2026-11-30) and, since a second round (seed 2028, 2026-11-30), the rest of the politician's
# tweets and KOTE training comments (MIT), minus every civic TEST and DEV key and every KOTE test
# comment, labelled by reading each one with the rules of `eval/README.md`; since a fourth round
# (seed 2030, 2026.11.8) also petition titles and BEEP! comments (CC BY-SA 4.0). Their labels
# replace the cue-word, register and emotion-mapped weak labels of the same texts.
LABELLED_FILE = REPO_ROOT / "pipeline" / "nlp" / "data" / "sentiment_labelled.jsonl"
LABELLED_SOURCES = (MOON_FILE, NEWS_FILE, SARCASM_FILE, KOTE_FILE, HATE_FILE, PETITION_2020_FILE)
LABELLED_PREFIXES = (PETITION_LOVIT_PREFIX,)  # one file per month: petitions_lovit/petitions_*


def labelled_source_allowed(source: str) -> bool:
    """Whether hand labels of this corpus file may train the shipped model (see `LICENSES`)."""
    return source in LABELLED_SOURCES or source.startswith(LABELLED_PREFIXES)


def labelled_tweets(corpora: Path, path: Path = LABELLED_FILE) -> pd.DataFrame:
    """The hand-labelled training texts with their text: columns source, key, label, text."""
    if not path.exists():
        return pd.DataFrame(columns=["source", "key", "label", "text"])
    items = civic_eval_items(corpora, path)
    check_labelled_items(items, path.name)
    return items


def check_labelled_items(items: pd.DataFrame, name: str = LABELLED_FILE.name) -> None:
    """Raise ValueError on a source whose license does not allow training, an unknown label, or
    an item that is also a civic TEST or DEV item or a KOTE test comment (a labelling mistake must
    not leak into training)."""
    bad = sorted(s for s in set(items["source"]) if not labelled_source_allowed(s))
    if bad:
        raise ValueError(f"{name}: sources not allowed for training: {bad}")
    unknown = sorted(set(items["label"]) - set(LABELS))
    if unknown:
        raise ValueError(f"{name}: unknown labels {unknown}")
    held = civic_eval_keys() | civic_eval_keys(CIVIC_DEV)
    leaked = [k for k in zip(items["source"], items["key"].astype(str)) if k in held]
    if leaked:
        raise ValueError(f"{name}: {len(leaked)} items are civic TEST/DEV items: {leaked[:3]}")
    kote = items.loc[items["source"] == KOTE_FILE, "key"].astype(str)
    kote_test = [k for k in kote if _bucket(k, 5) == 0]
    if kote_test:
        raise ValueError(f"{name}: {len(kote_test)} items are KOTE test comments: {kote_test[:3]}")


def civic_handwritten() -> pd.DataFrame:
    """The hand-written civic posts shipped with the package: columns text, label."""
    raw = resources.files("pipeline.nlp").joinpath(HANDWRITTEN_FILE).read_text("utf-8")
    recs = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        label, sep, text = line.partition("\t")
        if not sep or label not in LABELS or not text.strip():
            raise ValueError(f"{HANDWRITTEN_FILE}:{n}: expected `label<TAB>text`, got {line!r}")
        recs.append((text.strip(), label))
    return pd.DataFrame(recs, columns=["text", "label"]).drop_duplicates("text")


# Second template set (2026-11.2), written from the taxonomy's definition and the error *types*
# named in the 11.1 model card (requests called negative, editorial headlines and quoted
# criticism called neutral, too few positives) — not from civic test or dev items.
_ACTORS = (
    "야당 대표",
    "여당 원내대표",
    "시민단체",
    "구청장",
    "교육부 장관",
    "국토부",
    "노조 위원장",
    "학부모 단체",
    "서울시의원",
    "전문가들",
    "환경단체",
    "상인회",
)
_VILLAINS = (
    "음주운전 가해자",
    "아동학대 가해자",
    "보이스피싱 조직",
    "갑질 사장",
    "학교폭력 가해자",
    "전세사기 일당",
    "불법 촬영범",
    "임금 체불 사업주",
    "뺑소니범",
    "사이비 교주",
)
_REQUEST2_T = (
    "{topic} 개선해 주세요",
    "{topic} 지원해 주세요",
    "{topic} 도와주세요",
    "{topic}에 관심을 가져주세요",
    "{topic} 재검토를 요청합니다",
    "{topic} 관련 제도 정비 요청",
    "{topic} 기준 완화를 요청드립니다",
    "{topic} 확대해 주십시오",
    "{topic} 허용해 주세요",
    "{topic} 정책을 철회해 주세요",
    "{topic} 관련하여 질문드립니다",
    "{topic}은 어떻게 신청하나요?",
    "{place} 주민들을 위해 {topic} 부탁드립니다",
    "{topic} 대상에 포함시켜 주세요",
    "{topic} 결과를 국민에게 공유해 주시기 바랍니다",
    "{topic} 관련 면담을 요청드립니다",
    "{actor}, {topic} 관련 기자회견 열어",
    '{actor} "{topic} 내년 상반기 시행"',
    "{place}에서 화재…2명 부상",
    "검찰, {villain} 소환 조사",
    '{villain} 구속…경찰 "여죄 수사 중"',
    "{topic} 다음 달부터 시행…달라지는 점은",
    "[속보] 정부, {topic} 방안 발표",
    "{actor}, {topic} 두고 토론회 개최",
    "{place} 일대 {topic} 공사로 교통 통제",
    "{topic} 신청 첫날 2만 명 몰려",
)
_COMPLAINT2_T = (
    "{villain}를 강력히 처벌해 주세요",
    "{villain} 구속수사를 촉구합니다",
    "{villain} 엄벌에 처해 주십시오",
    "{villain} 솜방망이 처벌이 말이 됩니까",
    "{topic} 부조리를 고발합니다",
    "{topic} 이게 말이 됩니까?",
    "{topic} 도저히 납득할 수 없습니다",
    "{topic} 황당함을 넘어 코미디입니다",
    "{topic} 때문에 억울하게 피해를 봤습니다 도와주세요",
    "{topic} 때문에 가게가 망하게 생겼습니다",
    "정부는 {topic} 실패를 인정하고 각성하라",
    "여전한 {topic} 문제…이대로는 안 된다",
    '{actor} "{topic} 정책은 명백한 실패"',
    '{actor} "{topic} 강행, 납득 못해"',
    '{actor} "국민 우롱하는 {topic}" 맹비난',
    "또 터진 {topic} 논란…언제까지 이럴 건가",
    "{actor}는 책임지고 물러나라",
    "{topic} 한다면서 세금만 낭비하네 ㅉㅉ",
    "이런 사람들이 무슨 {topic}을 한다고 진짜 한심하다",
    "꼴도 보기 싫다 {actor} 제발 그만 나와라",
    "{topic} 담당자 수준 보소 ㅋㅋ 답이 없다",
    "{villain} 때문에 아이가 매일 울면서 학교에 갑니다",
)
_THANKS2_T = (
    "{actor} 감사합니다. 함께 하겠습니다",
    "{topic} 추진해 주셔서 진심으로 감사드립니다",
    "{place} 주민으로서 {topic} 환영합니다",
    "쾌거를 이룬 선수들에게 축하를 보냅니다",
    "{topic} 소식에 가슴이 뭉클했습니다. 고맙습니다",
    "{actor} 응원합니다 힘내세요!",
    "정말 감동적인 장면이었습니다",
    "{topic} 덕분에 걱정을 덜었어요 너무 좋아요",
    "새해 복 많이 받으세요. 늘 건강하시길 기원합니다",
    "수고 많으셨습니다. 덕분에 안심하고 다닙니다",
    "{place} {topic} 너무 잘 돼 있어서 감탄했어요",
    "좋은 작품 잘 봤습니다. 많은 걸 생각하게 하네요",
    "대단하십니다 존경합니다",
    "두 나라가 좋은 친구로 함께 번영하길 바랍니다",
    "{actor} 덕분에 {topic} 해결됐네요 최고입니다",
    "앞으로도 멋진 모습 기대하겠습니다 ^^",
)


_POS_CUES = re.compile(
    r"감사|고맙|고마워|축하|환영|자랑스럽|존경|기쁘|기쁨|반갑|든든|훌륭|멋지|멋진|최고|응원|공감|"
    r"격려|희망|행복|다행|아름다운|좋은 일|좋겠|힘입니다|역대 최대|뿌듯|즐거|"
    r"감동|뭉클|기원합니다|복 많이|쾌거|영광|좋은 작품|감격|빛나|설레|사랑합니다"
)
_NEG_CUES = re.compile(
    r"유감|개탄|규탄|안타깝|분노|거짓말|부끄러|잘못|한심|참담|슬프|비통|명복|어이없|오만|"
    r"부당|억울|책임져|사과해|심각한|묵과|무책임|실망|황당|횡포|"
    r"비극|피눈물|파탄|통탄|애통|분통|기가 막|어처구니|뻔뻔|파렴치|무능|적반하장|후안무치|"
    r"폭거|만행|탄핵을|불법사찰"
)
# Editorialising words: a newspaper tweet containing one is not used as `neutral` training text.
_EDITORIAL_CUES = re.compile(
    r"한심|개탄|규탄|분노|어이없|황당|비통|참담|뻔뻔|파렴치|막장|최악|충격|경악|무정한|"
    r"심각하다|납득 못|ㅠㅠ|ㅋㅋ"
)


# Affect markers: a non-sarcastic tweet with one is not used as `neutral` training text (small talk
# with ㅠㅠ, ㅋㅋ, "!" or a feeling word often has an attitude).
_AFFECT_CUES = re.compile(
    r"[ㅠㅜㅋㅎ]{2}|ㅡㅡ|ㅉ|\^\^|!|;|♡|♥|좋|싫|짜증|최고|최악|사랑|감사|고마|고맙|미안|슬프|슬퍼|"
    r"행복|화나|화가|빡치|짱|대박|헐|지옥|힘들|귀엽|멋지|멋있|재밌|재미있|기쁘|우울|외로|피곤|졸려"
)


def moon_weak_labels(df: pd.DataFrame) -> pd.DataFrame:
    """Cue-word weak labels for a politician's tweets: thanks/praise → positive,
    criticism/grief → negative, announcements without cues → neutral; both cues → dropped."""
    pos = df["text"].str.contains(_POS_CUES)
    neg = df["text"].str.contains(_NEG_CUES)
    label = np.where(
        pos & ~neg,
        "positive",
        np.where(neg & ~pos, "negative", np.where(~pos & ~neg, "neutral", "")),
    )
    out = df.assign(label=label)
    return out[out["label"] != ""]


def _not_held(source: str, keys: pd.Series, held: set[tuple[str, str]]) -> np.ndarray:
    return np.array([(source, str(k)) not in held for k in keys], dtype=bool)


# -- training set ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SentimentTrainConfig:
    """Knobs of the shipped model; weights are per row (polarity head / subjectivity head)."""

    n_bits: int = 22
    # Options tried after 2026.11.3 and not shipped (see its model card, "Attempts after
    # 2026.11.3"): a smaller subjectivity head (top bits of the same hash), n-grams of all
    # morphemes, float16 weights rounded to fewer mantissa bits. None/10 = 2026.11.3's model.
    subjectivity_bits: int | None = None
    char_ngram: tuple[int, int] = (1, 5)
    morph_ngram: tuple[int, int] | None = None
    weight_mantissa_bits: int = 10
    alpha_polarity: float = 5e-7
    alpha_subjectivity: float = 3e-6
    nb_alpha: float = 1.0
    epochs: int = 15
    nsmc_positive_per_negative: float = 5.0  # i.e. all training positives
    nsmc_subjectivity_rows: int = 20_000  # reviews (weight 1) in the subjectivity head
    # Training-movie reviews rated 5 (as negative) and 8 (as positive) in the polarity head with
    # this weight (since 2026.11.6; 0 = off, 2026.11.5's model).
    nsmc_mid_weight: float = 0.3
    # ... and those rated 6 (as negative) and 7 (as positive), with this weight (since 2026.11.7;
    # 0 = off, 2026.11.6's model)
    nsmc_center_weight: float = 0.3
    kote_weight: float = 3.0
    # Newspaper tweets as weak `neutral` (2026.11.3: 2.0): off since 2026.11.4, whose hand-labelled
    # tweets (`labelled_weight`) teach the register with its editorial and warm headlines.
    news_weight: float = 0.0
    sarcasm_weight: float = 0.0  # sarcastic tweets as negative: off (see the model card)
    # the corpus's non-sarcastic tweets as weak `neutral` (2026.11.3: 1.0; off since 2026.11.4)
    sarcasm_neutral_weight: float = 0.0
    sarcasm_neutral_drop_affect: bool = True  # ... except those with affect markers
    # A politician's tweets labelled by cue words (2026.11.4: 3.0): off since 2026.11.5, when
    # nearly every one of them is hand-labelled (`labelled_weight`); what is left is skipped or
    # duplicate text.
    moon_weight: float = 0.0
    template_weight: float = 1.5
    handwritten_weight: float = 1.5
    polarity_mix: float = 0.5  # share of the NB-weighted polarity head (rest: plain head)
    feedback_weight: float = 5.0
    news_drop_editorial: bool = True
    templates_extended: bool = True
    tune_class_bias: bool = True  # on the 254-item DEV set; adopted only by the bootstrap rule
    # Rating head (tried after 2026.11.3, off): ordinal logistic heads "rating >= k" over the
    # 1–10 ratings of every training-movie review (5–8 included) on the same features, folded
    # into the polarity head with share `rating_mix` (0 = off, 2026.11.3's model).
    rating_mix: float = 0.0
    rating_thresholds: tuple[int, ...] = (5, 7, 9)
    alpha_rating: float = 5e-7
    # Hand-labelled texts (`LABELLED_FILE`), weight in both heads (since 2026.11.4; 2026.11.3's
    # model: labelled_weight=0, news_weight=2, sarcasm_neutral_weight=1; 2026.11.4's: the first
    # 1,891 labels and moon_weight=3).
    labelled_weight: float = 3.0
    sources: tuple[str, ...] = field(
        default=("nsmc", "kote", "news", "moon", "templates", "handwritten", "sarcasm")
    )


def training_rows(
    corpora: Path,
    *,
    seed: int = 13,
    sample: int | None = None,
    config: SentimentTrainConfig = SentimentTrainConfig(),
    feedback: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Columns text, label, source, w_pol, w_subj (civic eval items and test splits excluded)."""
    held = civic_eval_keys() | civic_eval_keys(CIVIC_DEV)
    parts = []
    cap = None if sample is None else max(50, sample // 4)
    if config.labelled_weight > 0:
        lab = labelled_tweets(corpora)
        # a hand label replaces the weak label of the same tweet
        held = held | set(zip(lab["source"], lab["key"].astype(str)))
        parts.append(
            lab[["text", "label"]].assign(
                source="labelled", w_pol=config.labelled_weight, w_subj=config.labelled_weight
            )
        )

    def capped(df: pd.DataFrame) -> pd.DataFrame:
        return df if cap is None or len(df) <= cap else df.sample(n=cap, random_state=seed)

    if "nsmc" in config.sources:
        nsmc = nsmc_reviews(corpora)
        tr = nsmc[nsmc["split"] == "train"]
        neg = tr[tr["label"] == "negative"]
        pos = tr[tr["label"] == "positive"]
        n_neg = len(neg) if sample is None else sample // 2
        n_pos = int(n_neg * config.nsmc_positive_per_negative) if sample is None else sample // 2
        neg = neg.sample(n=min(n_neg, len(neg)), random_state=seed)
        pos = pos.sample(n=min(n_pos, len(pos)), random_state=seed)
        picked = pd.concat([neg, pos])
        df = picked[["text", "label"]].assign(source="nsmc", w_pol=1.0)
        # only a seeded subset of reviews teaches the subjectivity head "opinionated"
        n_subj = min(len(df), config.nsmc_subjectivity_rows)
        subj = np.zeros(len(df))
        subj[np.random.default_rng(seed).choice(len(df), n_subj, replace=False)] = 1.0
        df["w_subj"] = subj
        parts.append(df)
        for low, high, weight in (
            (5, 8, config.nsmc_mid_weight),
            (6, 7, config.nsmc_center_weight),
        ):
            if weight <= 0:
                continue
            rated = nsmc_ratings(corpora)
            mid = rated[(rated["split"] == "train") & rated["rating"].isin((low, high))]
            if sample is not None:
                mid = mid.sample(n=min(len(mid), sample // 4), random_state=seed)
            parts.append(
                pd.DataFrame(
                    {
                        "text": mid["text"],
                        "label": np.where(mid["rating"] == high, "positive", "negative"),
                        "source": f"nsmc_{low}_{high}",
                        "w_pol": weight,
                        "w_subj": 0.0,
                    }
                )
            )
        if config.rating_mix > 0:
            # the rating head learns from these reviews' ratings and from the training movies'
            # 5–8 reviews (placeholder label `neutral`, weight 0 in both other heads)
            rated = nsmc_ratings(corpora)
            rating_of = dict(zip(rated["review_id"], rated["rating"], strict=True))
            df["rating"] = [float(rating_of[i]) for i in picked["review_id"]]
            mid = rated[(rated["split"] == "train") & rated["rating"].between(5, 8)]
            if sample is not None:
                mid = mid.sample(n=min(len(mid), sample // 2), random_state=seed)
            parts.append(
                mid[["text"]].assign(
                    label="neutral",
                    source="nsmc_rating_5_8",
                    w_pol=0.0,
                    w_subj=0.0,
                    rating=mid["rating"].astype(float),
                )
            )
    if "kote" in config.sources:
        k = kote_comments(corpora)
        k = k[(k["split"] == "train") & (k["label"] != "mixed")]
        k = capped(k[_not_held(KOTE_FILE, k["id"], held)])
        parts.append(
            k[["text", "label"]].assign(
                source="kote", w_pol=config.kote_weight, w_subj=config.kote_weight
            )
        )
    if "news" in config.sources:
        n = news_tweets(corpora)
        n = n[_not_held(NEWS_FILE, n["key"], held)]
        if config.news_drop_editorial:
            n = n[
                ~n["text"]
                .str.replace(r"https?://\S+", "", regex=True)
                .str.contains(_EDITORIAL_CUES)
            ]
        n = capped(n)
        parts.append(
            n[["text"]].assign(
                label="neutral", source="news", w_pol=0.0, w_subj=config.news_weight
            )
        )
    if "sarcasm" in config.sources:
        s = sarcasm_tweets(corpora)
        s = s[_not_held(SARCASM_FILE, s["key"], held)]
        if config.sarcasm_neutral_weight > 0:
            # the corpus's non-sarcastic tweets as (noisy) neutral for the subjectivity head, so
            # its tweet format (spaced punctuation, @user, URL) is not learned as "negative"
            plain = s[~s["sarcasm"].to_numpy()]
            if config.sarcasm_neutral_drop_affect:
                plain = plain[~plain["text"].str.contains(_AFFECT_CUES)]
            plain = capped(plain)
            parts.append(
                plain[["text"]].assign(
                    label="neutral",
                    source="sarcasm_plain",
                    w_pol=0.0,
                    w_subj=config.sarcasm_neutral_weight,
                )
            )
        if config.sarcasm_weight > 0:
            s = capped(s[s["sarcasm"].to_numpy()])
            parts.append(
                s[["text"]].assign(
                    label="negative",
                    source="sarcasm",
                    w_pol=config.sarcasm_weight,
                    w_subj=config.sarcasm_weight,
                )
            )
    if "moon" in config.sources:
        m = moon_tweets(corpora)
        m = m[_not_held(MOON_FILE, m["key"], held)]
        m = capped(moon_weak_labels(m[m["text"].str.contains("[가-힣]", regex=True)]))
        parts.append(
            m[["text", "label"]].assign(
                source="moon", w_pol=config.moon_weight, w_subj=config.moon_weight
            )
        )
    if "templates" in config.sources:
        t = capped(civic_templates(seed, extended=config.templates_extended))
        parts.append(
            t.assign(
                source="templates", w_pol=config.template_weight, w_subj=config.template_weight
            )
        )
    if "handwritten" in config.sources:
        h = capped(civic_handwritten())
        parts.append(
            h.assign(
                source="handwritten",
                w_pol=config.handwritten_weight,
                w_subj=config.handwritten_weight,
            )
        )
    if feedback is not None and len(feedback):
        fb = feedback_rows(feedback)
        parts.append(
            fb.assign(
                source="feedback", w_pol=config.feedback_weight, w_subj=config.feedback_weight
            )
        )
    rows = pd.concat(parts, ignore_index=True)
    rows = rows[rows["text"].str.strip().astype(bool)]
    if config.labelled_weight > 0:
        # ... and of the same text under another key (retweets, reposted comments)
        weak = rows["source"].isin(("moon", "news", "sarcasm_plain", "sarcasm", "kote"))
        rows = rows[~(weak & rows["text"].isin(set(lab["text"])))]
    rows.loc[rows["label"] == "neutral", "w_pol"] = 0.0
    return rows.reset_index(drop=True)


def feedback_rows(feedback: pd.DataFrame) -> pd.DataFrame:
    """Analyst corrections (columns text, sentiment) as text/label rows; invalid labels dropped."""
    fb = feedback.rename(columns={"sentiment": "label"})[["text", "label"]].copy()
    fb["text"] = fb["text"].fillna("").astype(str)
    fb["label"] = fb["label"].astype(str).str.strip().str.lower()
    bad = ~fb["label"].isin(LABELS)
    if bad.any():
        log.warning("ignoring %d feedback rows with labels outside %s", int(bad.sum()), LABELS)
    return fb[~bad]


def code_version() -> str:
    """`git describe` of the repository, or 'unknown' outside a checkout."""
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        sha = out.stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "pipeline"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout
        return (sha or "uncommitted") + ("+dirty" if dirty.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def tokenize_all(tokenizer, texts: Sequence[str], batch_size: int = 4000) -> list:
    out = []
    for i in range(0, len(texts), batch_size):
        out.extend(tokenizer.analyze(list(texts[i : i + batch_size])))
    return out


def fit_sentiment_model(
    rows: pd.DataFrame,
    tokens: Sequence,
    *,
    version: str,
    seed: int,
    config: SentimentTrainConfig,
) -> SentimentModel:
    model = SentimentModel(
        version=version,
        n_bits=config.n_bits,
        char_ngram=config.char_ngram,
        alpha_polarity=config.alpha_polarity,
        alpha_subjectivity=config.alpha_subjectivity,
        nb_alpha=config.nb_alpha,
        epochs=config.epochs,
        random_state=seed,
        polarity_mix=config.polarity_mix,
        morph_ngram=config.morph_ngram,
        subjectivity_bits=config.subjectivity_bits,
        weight_mantissa_bits=config.weight_mantissa_bits,
        rating_mix=config.rating_mix,
        rating_thresholds=config.rating_thresholds,
        alpha_rating=config.alpha_rating,
    )
    return model.fit(
        rows["text"].tolist(),
        tokens,
        rows["label"].to_numpy(),
        sample_weight=rows["w_pol"].to_numpy(),
        subjectivity_weight=rows["w_subj"].to_numpy(),
        rating=rows["rating"].to_numpy(dtype=float) if "rating" in rows else None,
    )


def default_version(today: date | None = None, out_dir: Path | None = None) -> str:
    """`sentiment-YYYY.MM.N`, N one more than the largest already in `out_dir` this month."""
    today = today or date.today()
    prefix = f"sentiment-{today:%Y.%m}."
    taken = [0]
    if out_dir is not None and Path(out_dir).is_dir():
        for p in Path(out_dir).iterdir():
            if p.is_dir() and p.name.startswith(prefix) and p.name[len(prefix) :].isdigit():
                taken.append(int(p.name[len(prefix) :]))
    return f"{prefix}{max(taken) + 1}"


def train_sentiment(
    corpora: Path,
    out_dir: Path,
    *,
    seed: int = 13,
    feedback: pd.DataFrame | None = None,
    sample: int | None = None,
    tokenizer=None,
    version: str | None = None,
    config: SentimentTrainConfig = SentimentTrainConfig(),
    evaluate: bool = True,
    set_default: bool = True,
) -> dict:
    """Train from `corpora` and write `out_dir/<version>/` (weights, meta.json, MODEL_CARD.md).

    With `set_default` (the default) `out_dir/DEFAULT` names the new version, so `out_dir` is
    loadable with `load_sentiment_model(out_dir)`; the retrain DAG trains into a temporary folder
    and promotes with `promote_if_not_worse`.
    """
    if tokenizer is None:
        from pipeline.nlp.tokenizer import get_tokenizer

        tokenizer = get_tokenizer()
    version = version or default_version(out_dir=Path(out_dir))
    t0 = time.perf_counter()
    rows = training_rows(corpora, seed=seed, sample=sample, config=config, feedback=feedback)
    log.info("sentiment: %d training rows; tokenising", len(rows))
    tokens = tokenize_all(tokenizer, rows["text"].tolist())
    model = fit_sentiment_model(rows, tokens, version=version, seed=seed, config=config)
    calibration = None
    if config.tune_class_bias and CIVIC_DEV.exists():
        try:
            dev = civic_eval_items(corpora, CIVIC_DEV)
        except (CorporaMissing, ValueError) as exc:
            log.warning("civic dev set unavailable (%s): class biases left at 0", exc)
        else:
            dev_tokens = tokenize_all(tokenizer, dev["text"].tolist())
            calibration = tune_class_bias(
                model, dev["text"].tolist(), dev_tokens, dev["label"].tolist()
            )
            log.info("sentiment: class biases %s (civic dev)", calibration["class_bias"])
    train_s = time.perf_counter() - t0
    data = (
        rows.groupby(["source", "label"])
        .size()
        .unstack(fill_value=0)
        .astype(int)
        .to_dict(orient="index")
    )
    meta = {
        "version": version,
        "created": date.today().isoformat(),
        "code_version": code_version(),
        "tokenizer": getattr(tokenizer, "version", "unknown"),
        "seed": seed,
        "sample": sample,
        "config": {k: getattr(config, k) for k in config.__dataclass_fields__},
        "training_rows": data,
        "training_seconds": round(train_s, 1),
        "licenses": LICENSES,
        "calibration": calibration,
    }
    if evaluate:
        meta["metrics"] = evaluate_sentiment(model, corpora, tokenizer, feedback=feedback)
    vdir = Path(out_dir) / version
    model.save(vdir, meta)
    saved = json.loads((vdir / "meta.json").read_text("utf-8"))  # meta + params, as stored
    (vdir / "MODEL_CARD.md").write_text(model_card(saved), "utf-8")
    if set_default:
        (Path(out_dir) / DEFAULT_FILE).write_text(version + "\n", "utf-8")
    return json.loads((vdir / "meta.json").read_text("utf-8"))


LICENSES = {
    "nsmc_raw": "CC0 1.0 (e9t/nsmc) — training and NSMC-protocol test",
    "kote": "MIT (searle-j/KOTE) — training (80%: emotion-mapped labels, 392 comments hand-labelled since 2026.11.5) and 3-class test (20%)",
    "korean_newspapers_twitter": "MIT (scdenney/nlp_corpora) — hand-labelled tweets (training, since 2026.11.4); civic test/dev items",
    "moon_twitter": "MIT (scdenney/nlp_corpora; Kaggle origin states none) — hand-labelled tweets (nearly all since 2026.11.5; cue-word weak labels before); civic test/dev items",
    "korean_sarcasm": "MIT (SpellOnYou/korean-sarcasm) — hand-labelled tweets (training, since 2026.11.4); civic test/dev items",
    "hand-labelled texts": "references to the corpora above and below (pipeline/nlp/data/sentiment_labelled.jsonl; labels Apache-2.0, this repository) — training",
    "civic templates": "Apache-2.0 (this repository, hand-written) — training",
    "handwritten civic posts": "Apache-2.0 (this repository, pipeline/nlp/data/sentiment_civic.txt) — training",
    "korean_hate_speech": "CC BY-SA 4.0 (kocohub/korean-hate-speech, BEEP!; Moon, Cho & Lee 2020) — hand-labelled comments (training, since 2026.11.8: the weights are shared under CC BY-SA 4.0); civic TEST and DEV items (references, no text copied)",
    "petitions": "no license stated (청와대 국민청원; the policy-area model trains on them too) — hand-labelled titles (training, since 2026.11.8); civic TEST and DEV items (references, no text copied)",
    "knu_sentilex": "no license — not used",
    "kosac_lexicon": "not used (KOSAC's own terms not stated)",
    "civic dev set": "references only (eval/civic_sentiment_dev.jsonl) — model choices and class-bias tuning; never training",
}


# -- evaluation ------------------------------------------------------------------------------


def three_class_report(y_true: Sequence[str], y_pred: Sequence[str]) -> dict:
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix (rows = truth)."""
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        f1_score,
        precision_recall_fscore_support,
    )

    labels = list(LABELS)
    p, r, f, n = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return {
        "n": len(y_true),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(
            float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)), 4
        ),
        "precision": {c: round(float(v), 4) for c, v in zip(labels, p, strict=True)},
        "recall": {c: round(float(v), 4) for c, v in zip(labels, r, strict=True)},
        "f1": {c: round(float(v), 4) for c, v in zip(labels, f, strict=True)},
        "support": {c: int(v) for c, v in zip(labels, n, strict=True)},
        "confusion": {
            "labels": labels,
            "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        },
    }


def second_annotator_report(items: pd.DataFrame, predicted: Sequence[str]) -> dict | None:
    """How far the civic labels hold: the second annotator's agreement with the first (observed
    and Cohen's kappa), and the model's macro-F1 against the second annotator and on the items
    both annotators labelled alike. None when the set has no `label_2` column."""
    from sklearn.metrics import cohen_kappa_score

    if "label_2" not in items or items["label_2"].isna().any():
        return None
    first, second = items["label"].to_numpy(), items["label_2"].to_numpy()
    pred = np.asarray(predicted)
    agreed = first == second
    return {
        "n": len(items),
        "agreement": round(float(agreed.mean()), 4),
        "kappa": round(float(cohen_kappa_score(first, second, labels=list(LABELS))), 4),
        "second_vs_first_macro_f1": three_class_report(first.tolist(), second.tolist())[
            "macro_f1"
        ],
        "model_macro_f1_vs_second": three_class_report(second.tolist(), pred.tolist())["macro_f1"],
        "n_agreed": int(agreed.sum()),
        "model_macro_f1_where_agreed": three_class_report(
            first[agreed].tolist(), pred[agreed].tolist()
        )["macro_f1"],
    }


def nsmc_test_set(corpora: Path, seed: int = 13) -> pd.DataFrame:
    nsmc = nsmc_reviews(corpora)
    return balanced(nsmc[nsmc["split"] == "test"], seed).reset_index(drop=True)


def evaluate_sentiment(
    model: SentimentModel,
    corpora: Path,
    tokenizer,
    *,
    feedback: pd.DataFrame | None = None,
    nsmc_limit: int | None = None,
    seed: int = 13,
) -> dict:
    """All evaluation figures: NSMC-protocol binary, KOTE 3-class, civic 3-class, feedback."""
    from sklearn.metrics import accuracy_score, f1_score

    out: dict = {}
    test = nsmc_test_set(corpora, seed)
    if nsmc_limit is not None and len(test) > nsmc_limit:
        test = balanced(test, seed, nsmc_limit // 2)
    toks = tokenize_all(tokenizer, test["text"].tolist())
    p = model.polarity_proba(test["text"].tolist(), toks)
    pred = np.where(p >= 0.5, "positive", "negative")
    labels3, _ = model.predict(test["text"].tolist(), toks)
    out["nsmc"] = {
        "n": len(test),
        "split": "movie_id crc32 % 20 in {0, 1}; ratings 1-4 vs 9-10; < 140 chars; balanced",
        "accuracy": round(float(accuracy_score(test["label"], pred)), 4),
        "macro_f1": round(float(f1_score(test["label"], pred, average="macro")), 4),
        "three_class_neutral_rate": round(float(np.mean(np.asarray(labels3) == "neutral")), 4),
    }
    k = kote_comments(corpora)
    k = k[(k["split"] == "test") & (k["label"] != "mixed")].reset_index(drop=True)
    kl, _ = model.predict(k["text"].tolist(), tokenize_all(tokenizer, k["text"].tolist()))
    out["kote"] = three_class_report(k["label"].tolist(), kl)
    if CIVIC_EVAL.exists():
        c = civic_eval_items(corpora)
        cl, _ = model.predict(c["text"].tolist(), tokenize_all(tokenizer, c["text"].tolist()))
        rep = three_class_report(c["label"].tolist(), cl)
        rep["by_source"] = {
            src.split("/")[0]: round(float(np.mean(np.asarray(cl)[m] == c["label"][m])), 4)
            for src in sorted({s.split("/")[0] for s in c["source"]})
            for m in [c["source"].str.split("/").str[0].eq(src).to_numpy()]
        }
        rep["second_annotator"] = second_annotator_report(c, cl)
        out["civic"] = rep
    if CIVIC_DEV.exists():
        d = civic_eval_items(corpora, CIVIC_DEV)
        dl, _ = model.predict(d["text"].tolist(), tokenize_all(tokenizer, d["text"].tolist()))
        out["civic_dev"] = three_class_report(d["label"].tolist(), dl)
        out["civic_dev"]["second_annotator"] = second_annotator_report(d, dl)
    out["nsmc_accuracy"] = out["nsmc"]["accuracy"]
    out["kote_macro_f1"] = out["kote"]["macro_f1"]
    if "civic" in out:
        out["civic_macro_f1"] = out["civic"]["macro_f1"]
    if feedback is not None and len(feedback):
        fb = feedback_rows(feedback)
        fl, _ = model.predict(fb["text"].tolist(), tokenize_all(tokenizer, fb["text"].tolist()))
        out["feedback"] = {
            "n": len(fb),
            "accuracy": round(float(np.mean(np.asarray(fl) == fb["label"])), 4),
        }
    return out


_CARD_MODEL = """\
## What it does
Labels a post `negative` / `neutral` / `positive` by the attitude its author expresses (not the
topic; `policy_taxonomy.md`), with `sentiment_score` = P(positive) − P(negative) in [-1, 1].

## Model
- Features: character {c0}–{c1}-grams of the lower-cased, whitespace-normalised text (first 1,000
  characters, so a 100 KB post costs no more than a long one) and Kiwi `Tokens.terms` unigrams +
  bigrams{morph} (the pipeline's tokens; `predict` never re-tokenises), hashed into 2^{n_bits}
  columns with a vectorised multiplicative hash; each row divided by sqrt(its number of n-grams).{subj}
- Two logistic-regression heads (averaged SGD, log loss, seeded; classes balanced by weight):
  subjectivity (neutral vs. opinionated, NB-weighted features) and polarity (positive vs.
  negative): {mix} × an NB log-count-ratio weighted head (NBSVM-style; the ratio is folded into
  the stored weights) + {mix_plain} × a plain head — still one linear model.
- P(neutral) = 1 − s, P(positive) = s·p, P(negative) = s·(1 − p); label =
  argmax_c(log P(c) + b_c). The class biases b = (b_neg, 0, b_pos) can be tuned on the separate
  civic DEV set (`eval/civic_sentiment_dev.jsonl`; `tune_class_bias`: best mean macro-F1 over 200
  bootstrap resamples, adopted only if it beats b = 0 in ≥ 90% of them); see Parameters and
  Metrics for whether this version uses them. The score is P(pos) − P(neg) of the
  probabilities after the class biases (P(c)·exp(b_c), renormalised; since 2026-11-30), so a
  `negative` label never comes with a positive score.
- Files: `weights.npz` (float16 arrays{files}, loaded with `allow_pickle=False`) and
  `meta.json`; nothing executable is loaded.

## Training data (weak and hand labels; the civic test and dev items are excluded by key)
| source | license | use |
|---|---|---|
"""

_CARD_DATA = """
- NSMC protocol from `nsmc_raw`: ratings 1–4 negative, 9–10 positive, < 140 characters, split by
  movie (crc32(movie_id) % 20: 0–1 test, 2 validation, else train); all training reviews
  (classes balanced by weight). Hash size, regularisation and the NB/plain mix were chosen on
  the validation movies, never on the test. Since 2026.11.6 the training movies' reviews rated 5
  (as negative) and 8 (as positive) also teach the polarity head, with weight {mid_w}, and since
  2026.11.7 those rated 6 (as negative) and 7 (as positive), with weight {center_w} (both chosen
  on the validation movies and a 2-fold check over the training movies).
- KOTE: 44 emotions → polarity (≥ 2 positive emotions and at least twice the negative ones →
  positive, and vice versa; `없음` with ≤ 1 emotion → neutral; otherwise *mixed*, left out of
  training and test). Split by crc32(id) % 5 (0 = test).
- Hand-labelled texts (`pipeline/nlp/data/sentiment_labelled.jsonl`, {n_lab} texts, weight
  {lab_w}): since 2026.11.4, 1,891 tweets of the three MIT tweet corpora (a politician's,
  newspaper headlines, the sarcasm corpus) drawn at random (seed 2027); since 2026.11.5, 2,961
  more (seed 2028): every other tweet of the politician's with Korean text, 600 more of the
  sarcasm corpus and 392 KOTE training comments. Every civic TEST and DEV key and every KOTE test
  comment is excluded; each text was labelled by reading it with the rules of `eval/README.md`
  (the file holds references and labels, no text). They replace the weak labels of the same
  texts.
- Weak `neutral` register: newspaper tweets minus those with editorialising words (weight
  {news_w}), the sarcasm corpus's non-sarcastic tweets without affect markers (weight {sarc_w}; a
  weight 0 means off: since 2026.11.4 the hand labels teach that register, editorial and warm
  headlines included), a politician's announcements without cue words (weight {moon_w}; off
  since 2026.11.5), and hand-written civic request/notice templates. The sarcastic tweets are not used as such.
- Hand-written civic posts (since 2026.11.3, `pipeline/nlp/data/sentiment_civic.txt`, {n_hw}
  posts, weight {hw_w}): complaints about Seoul services, sarcasm, grief, editorial and
  quoted-criticism headlines, petition-style grievances and mocking comments (negative); requests,
  questions, notices, schedules, news-style reports (some with a placeholder link) and small talk
  (neutral); thanks, praise, congratulations, warm-news headlines and encouragement (positive).
  Written for this repository from the taxonomy and from error *types* seen on the civic DEV set
  (never from TEST items); lines that came out close to a DEV item were deleted before training.
- Template civic posts (2026.11.1/2026.11.2): complaint, request and thanks templates about Seoul
  services, petition-style requests and news-style reports.
- A politician's tweets labelled by cue words (thanks/congratulations → positive,
  criticism/grief → negative, both → dropped, neither → neutral; weight {moon_w}: off since
  2026.11.5, when nearly all of them carry hand labels).
- Only a seeded {n_subj:,} of the reviews teach the subjectivity head, so "opinionated" is not
  learned as "about a movie".
- Analyst feedback (`label_feedback` joined with post text) is added with weight {fb} in both
  heads.
- Hand-labelled petition titles and BEEP! comments (since 2026.11.8, 1,995 of 2,000 drawn with
  seed 2030: 1,199 petition titles of both petition corpora, 796 comments of BEEP!'s labelled
  train file, labelled by eight annotators with one written guide, one per item; BEEP!'s own
  hate/offensive labels are not used). These are the registers of a third of the civic sets,
  which had no training data before. BEEP! is CC BY-SA 4.0, so **these weights are shared under
  CC BY-SA 4.0** (attribution: kocohub/korean-hate-speech, Moon, Cho & Lee 2020); the code stays
  Apache-2.0. The petitions state no license; the policy-area model trains on them as issue 4
  directs, and only references and derived weights are committed.
- Not used for training: KNU SentiLex (no license), KOSAC (its own terms are not stated).

Rows per source and label:

| source | negative | neutral | positive |
|---|---|---|---|
"""

_CARD_LIMITS = """
## How this version was chosen (read before trusting the civic figures)
- 2026.11.8 differs from 2026.11.7 only in 1,995 more hand labels: petition titles (1,199) and
  BEEP! entertainment-news comments (796), the registers of a third of the civic sets, which no
  training data covered before (licences above). 2,000 texts were drawn with seed 2030 (1,200
  petition titles of both corpora, 800 BEEP! train comments; every civic TEST and DEV key skipped,
  no exact or near duplicate of a TEST or DEV text: 0 pairs at 4-gram Jaccard ≥ 0.5) and read by
  eight annotator sessions with one written guide (`eval/README.md`), one per item; 5 were
  skipped as unreadable or tied. Labels: petitions 533 / 658 / 8, comments 509 / 116 / 171
  (negative / neutral / positive). Whole models trained on all data, before TEST (class bias by
  the bootstrap rule on DEV):

  | variant | civic DEV | DEV recall | KOTE | NSMC validation movies |
  |---|---|---|---|---|
  | 2026.11.7 | 0.8061 | 0.72 / 0.86 / 0.85 | 0.5915 | 0.8881 |
  | + petition titles only | 0.8026 (bias not adopted) | 0.69 / 0.87 / 0.88 | 0.5871 | 0.8872 |
  | **+ petition titles and BEEP! comments (this version)** | **0.8040** | 0.73 / 0.84 / 0.88 | **0.5968** | 0.8868 |

  On DEV (254 items, ±0.03) neither differs from 2026.11.7; the version with both label sets was
  taken because it covers both new registers and was not worse on DEV, KOTE or the validation
  movies, and TEST was scored once, for it alone: civic TEST macro-F1 **0.7271** (2026.11.7:
  0.6613), recall 0.72 / 0.88 / 0.54 (0.62 / 0.85 / 0.48); NSMC 0.8859 (0.8867, −0.0008, within
  the 0.005 tolerance); KOTE 0.5968 (0.5915). By the promotion rule it is not worse on any set.
  Paired bootstrap over TEST items (2,000 resamples): +0.066 [+0.026, +0.110] against 2026.11.7.
  TEST accuracy by source, 2026.11.7 → this version: petition titles 0.56 → 0.72 (2019, 54
  items) and 0.78 → 0.89 (2020, 45), comments 0.60 → 0.64 (47), tweets and headlines 0.80 → 0.83
  (163), sarcasm-corpus tweets 0.79 → 0.73 (33). The gain is where the new labels are: the
  petition titles and comments of TEST are the same sources (other items), as TEST's tweets
  have been since 2026.11.4, so the civic figure now
  measures generalisation to new items of known sources, not to an unseen register; real Seoul
  posts are such a register.
- 2026.11.7 differs from 2026.11.6 only in its NSMC data: the training movies' reviews under
  140 characters rated 6 (32,426, as negative) and 7 (45,875, as positive) join the polarity head
  with weight 0.3, as those rated 5 and 8 do since 2026.11.6. Variants of 2026.11.6's polarity
  head, compared as for 2026.11.6 (below), points against it [95% bootstrap; movie clusters for
  the 2-fold check]:

  | polarity-head variant | validation movies | 2-fold check |
  |---|---|---|
  | 2026.11.6's head (ratings 1–4 / 9–10, and 5 / 8 at 0.3) | 0.8869 | 0.8770 |
  | + ratings 6 / 7, weight 0.1 / 0.2 | +0.08 [−0.10, +0.25] / +0.05 [−0.17, +0.25] | +0.11 [+0.06, +0.16] / +0.15 [+0.10, +0.21] |
  | **+ ratings 6 / 7, weight 0.3 (this version)** | **+0.19 [−0.04, +0.41]** | **+0.12 [+0.06, +0.18]** |
  | + ratings 6 / 7, weight 0.5 | +0.18 [−0.08, +0.45] | +0.07 [+0.00, +0.13] |
  | NB share 0.3 / 0.7 (not 0.5) | −0.05 / −0.06 | −0.11 / +0.05 |
  | α 3e-7 / 8e-7 (not 5e-7) | −0.06 / −0.07 | −0.13 / +0.07 |
  | 25 epochs; NB smoothing 0.5 | −0.07; −0.09 | −0.04; −0.06 |

  Weights 0.2 and 0.3 are within each other's 2-fold intervals; 0.3 was taken for the better
  validation figure (the rule 2026.11.6 used), which also gives ratings 5–8 one weight. The whole
  model, trained on all data, was checked before TEST: civic DEV 0.8061 vs 0.7939, KOTE 0.5915
  vs 0.5958 (within the 0.005 tolerance), NSMC validation movies 0.8881 vs 0.8848. Then TEST was
  scored once: NSMC 0.8867 (2026.11.6: 0.8845), civic TEST 0.6613 (0.6594; recall 0.62 / 0.85 /
  0.48, unchanged), KOTE 0.5915 (0.5958). By the promotion rule it is not worse on any set.
  The NSMC test movies had been scored for every earlier candidate too (sequential use of one
  test set), so 0.8867 is slightly optimistic; the 2-fold check and the validation movies, which
  chose it, agree on the direction.
- 2026.11.6 differs from 2026.11.5 only in its NSMC data: the training movies' reviews under
  140 characters rated 5 (23,394, as negative) and 8 (59,784, as positive) join the polarity head
  with weight 0.3 (not the subjectivity head). Polarity-head variants were compared on the NSMC
  validation movies (11,388 balanced reviews) and on a 2-fold check over the training movies
  (train on the movies of one crc32 parity, balanced accuracy on the other), paired against the
  2026.11.5 head, points [95% bootstrap]:

  | polarity-head variant | validation movies | 2-fold check |
  |---|---|---|
  | 2026.11.5's head (NSMC rows only) | 0.8842 | 0.8745 |
  | + ratings 5 / 8, weight 0.3 (this version) | 0.8869, +0.27 [+0.05, +0.50] | 0.8770, +0.25 [+0.20, +0.31] |
  | + ratings 5 / 8, weight 0.5 / 1.0 | +0.24 / +0.21 (intervals include 0) | +0.27 / +0.19 |
  | + training reviews of 140 characters or more (2,766) | +0.15 [−0.03, +0.32] | +0.03 [−0.02, +0.08] |
  | plain half by hinge / modified-Huber loss | +0.11 / +0.06 | −0.03 / −0.31 |
  | NB half by modified-Huber loss | −0.24 | −0.23 |
  | 40 epochs, α 2e-7 | −0.18 | −0.43 |
  | + whitespace-word unigrams and bigrams | +0.02 | −0.07 |
  | logits averaged over seeds 13, 14, 15 | +0.09 | +0.01 |

  The whole model with weight 0.3, trained on all data, was then checked where the earlier rating
  head had hurt (2026.11.3's card, third round): civic DEV 0.7939 vs 0.7945, KOTE 0.5958 vs
  0.5915, NSMC validation movies (3-class probabilities) 0.8848 vs 0.8830. Not worse, so it was
  scored once on TEST.
- Promotion rule (`promote_if_not_worse`, tolerance 0.005): against 2026.11.5, NSMC accuracy
  0.8845 vs 0.8829, KOTE macro-F1 0.5958 vs 0.5915, civic TEST macro-F1 0.6594 vs 0.6564 (recall
  0.62 / 0.85 / 0.48 vs 0.61 / 0.85 / 0.48): not worse on any, better on all three by a little.
- 2026.11.5 (the data this version keeps) differs from 2026.11.4 in 2,961 more hand-labelled
  texts (2,034 of the politician's tweets, i.e. nearly all the rest of them, 535 of the sarcasm
  corpus, 392 KOTE training comments; 3,050 drawn with seed 2028, 89 unreadable or tied ones
  skipped; six annotators with one written guide, one per item) and the politician's cue-word weak
  labels off. Those variants were compared on the civic DEV set (254 items; class bias by the
  bootstrap rule) with a 60,000-review NSMC subsample; DEV macro-F1 tuned [no bias], recall
  negative / neutral / positive, KOTE 3-class test of the same models:

  | variant | civic DEV | recall (tuned) | KOTE |
  |---|---|---|---|
  | 2026.11.4's recipe (1,891 labels) | 0.7858 [0.7712] | 0.68 / 0.87 / 0.82 | 0.5855 |
  | + 2,961 labels (weight 3) | 0.7880 [0.7659] | 0.70 / 0.86 / 0.82 | 0.6198 |
  | + 2,961 labels, weight 2 | 0.7763 [0.7763] (bias not adopted) | 0.67 / 0.86 / 0.85 | 0.6317 |
  | **+ 2,961 labels (3), cue-word weak labels off (2026.11.5)** | **0.7918 [0.7707]** | 0.75 / 0.81 / 0.85 | 0.6358 |
  | + 2,961 labels, cue-word weak labels off, weight 2 / 4 | 0.7927 / 0.7948 [0.7742 / 0.7732] | 0.75 / 0.81 / 0.88; 0.75 / 0.82 / 0.85 | 0.6135 / 0.6051 |

  On 254 items (±0.03) these DEV differences are noise; the labels were kept at weight 3 (the
  2026.11.4 setting) rather than picking the DEV-best weight, and the cue-word weak labels went
  off because hand labels now cover those tweets. A third round of labels lost on DEV and KOTE
  (2026.11.5's card, "Attempts after 2026.11.5").
- The class bias (0, 0, −0.25) that the bootstrap rule adopts on DEV (win rate 0.995) lowers
  P(positive); civic positive recall is 24 of 50 (2026.11.4: 25). It was not changed after TEST
  was seen.
- TEST had been scored for earlier candidates (model cards of 2026.11.3 to 2026.11.5); TEST items
  were never looked at, and each choice was made on DEV, the NSMC validation movies and the 2-fold
  check before its TEST figure was seen.
- KOTE's polarity mapping yields few neutral comments (15 in the test split), so the KOTE 3-class
  macro-F1 swings with one or two items; hand labels call a quarter of the KOTE comments they
  cover `neutral` (96 of 392), where the emotion mapping calls 1% so.
- Earlier versions on the same sets: 2026.11.6 — NSMC 0.8845, KOTE 0.5958, civic TEST 0.6594
  (recall 0.62 / 0.85 / 0.48), DEV 0.7939; 2026.11.5 — NSMC 0.8829, KOTE 0.5915, civic TEST 0.6564
  (recall 0.61 / 0.85 / 0.48), DEV 0.7945; 2026.11.4 — NSMC 0.8828, KOTE 0.5562, civic TEST
  0.6295 (recall 0.52 / 0.84 / 0.50), DEV 0.7548; 2026.11.3 — NSMC 0.8829, KOTE 0.5593, civic
  TEST 0.6048, DEV 0.7582; 2026.11.2 — NSMC 0.8815, KOTE 0.5622, civic TEST 0.5775. Their cards
  list every variant tried.

## Limits
- Civic TEST macro-F1 0.727 meets the issue's 0.70 with every recall ≥ 0.5 (positive 0.54, 27 of
  50) since 2026.11.8, and NSMC accuracy (0.886) its 0.885, both by a small margin: on 342
  items the civic figure's 95% bootstrap interval is [0.668, 0.779]. Editorial and
  quoted-criticism headlines and short chatty comments whose attitude is only in context are
  still often read as neutral, and sarcasm and reported speech remain hard.
- Every civic TEST source now also has hand-labelled training texts (other items of the same
  corpora), so TEST measures new items of known registers. Posts about Seoul from platforms not
  in these corpora are a register the model has not seen; check it with analyst feedback.
- The labelled training texts and the DEV-driven choices rest on single annotators' readings (a
  written guide, `eval/README.md`'s rules). Both civic sets were read a second time, blind
  (`label_2`): 94.2% agreement on TEST (kappa 0.90), 88.2% on DEV (kappa 0.80), so the labels are
  far more consistent than the model. DEV guided the data design, so its figure is optimistic;
  the TEST figure is the one to trust.
- The weights are CC BY-SA 4.0 (trained on BEEP! labels): anyone who shares a model derived from
  them shares it under the same licence; labelling posts with the model is not affected.
- Trained on 2003–2020 text; slang drifts. Retrain (`minsim train sentiment`) with analyst
  feedback, and promote a model only when it is not worse on these evaluation sets.
"""


def _target_lines(m: dict) -> list[str]:
    """Whether the issue's accuracy targets are met, stated from the metrics themselves."""
    out = []
    if "nsmc" in m:
        acc = m["nsmc"]["accuracy"]
        out.append(
            f"- NSMC-protocol accuracy ≥ 0.885: {'met' if acc >= 0.885 else 'NOT met'} ({acc:.4f})."
        )
    if "civic" in m:
        f1, rec = m["civic"]["macro_f1"], m["civic"]["recall"]
        low = [f"{c} {v:.2f}" for c, v in rec.items() if v < 0.5]
        out.append(
            f"- Civic TEST macro-F1 ≥ 0.70: {'met' if f1 >= 0.70 else 'NOT met'} ({f1:.4f}); "
            f"every class recall ≥ 0.5: {'met' if not low else 'NOT met (' + ', '.join(low) + ')'}."
        )
    return out


def _card_morph(morph_ngram: Sequence[int] | None) -> str:
    if morph_ngram is None:
        return ""
    lo, hi = morph_ngram
    return (
        f", and {lo}–{hi}-grams of *all* morphemes as `form/TAG` (endings and particles too, "
        "e.g. `요/EF`, `주/VX`)"
    )


def _card_subj(n_bits: int, subjectivity_bits: int | None) -> str:
    if subjectivity_bits is None or subjectivity_bits == n_bits:
        return ""
    return (
        f"\n- The subjectivity head uses the top {subjectivity_bits} bits of the same hash "
        f"(2^{subjectivity_bits} columns: column c of the polarity head falls into c >> "
        f"{n_bits - subjectivity_bits}); it learns from far fewer rows, and the smaller array "
        "keeps `weights.npz` under 20 MB."
    )


def _card_rating(params: dict) -> str:
    m = float(params.get("rating_mix", 0.0))
    if m <= 0:
        return ""
    ks = ", ".join(str(k) for k in params.get("rating_thresholds", (5, 7, 9)))
    return (
        f"\n- A rating head is folded into the polarity head (share {m}): the mean of logistic\n"
        f'  heads "rating >= k" (k = {ks}; α = {params.get("alpha_rating")}) over the training\n'
        "  movies' reviews of every rating 1–10 (the 5–8 ones the binary labels leave out too),\n"
        "  scaled to the polarity head's logit spread on its training rows; one linear model."
    )


def model_card(meta: dict) -> str:
    """MODEL_CARD.md text from meta.json."""
    m = meta.get("metrics", {})
    params_ = {"char_ngram": (1, 5), "n_bits": 21, **meta.get("params", {})}
    lines = [
        f"# Sentiment model `{meta['version']}`",
        "",
        (
            f"Created {meta['created']} from code `{meta['code_version']}` with seed {meta['seed']} "
            f"(tokeniser `{meta['tokenizer']}`). Reproduce with `minsim train sentiment` "
            "(= `train_sentiment(corpora, models/sentiment, seed=13)`)."
        ),
        "",
        _CARD_MODEL.format(
            c0=params_["char_ngram"][0],
            c1=params_["char_ngram"][1],
            n_bits=params_["n_bits"],
            mix=params_.get("polarity_mix", 0.5),
            mix_plain=round(1 - params_.get("polarity_mix", 0.5), 2),
            morph=_card_morph(params_.get("morph_ngram")),
            subj=_card_subj(params_["n_bits"], params_.get("subjectivity_bits"))
            + _card_rating(params_),
            files=(
                ": `coef_subjectivity`, `coef_polarity`, `intercept`"
                if params_.get("subjectivity_bits") not in (None, params_["n_bits"])
                else ": `coef` (2 × 2^n_bits), `intercept`"
            )
            + (
                f"; weights rounded to {params_['weight_mantissa_bits']} of float16's 10 mantissa "
                "bits, which compresses better and is exactly the model that was evaluated"
                if params_.get("weight_mantissa_bits", 10) < 10
                else ""
            ),
        ).rstrip("\n"),
    ]
    for k, v in meta.get("licenses", LICENSES).items():
        lic, _, use = v.partition(" — ")
        lines.append(f"| {k} | {lic} | {use or '—'} |")
    cfg = meta.get("config", {})
    rows = meta.get("training_rows", {})
    lines.append(
        _CARD_DATA.format(
            fb=cfg.get("feedback_weight", 5.0),
            n_hw=sum(rows.get("handwritten", {}).values()),
            hw_w=cfg.get("handwritten_weight", 1.5),
            n_subj=cfg.get("nsmc_subjectivity_rows", 20_000),
            n_lab=sum(rows.get("labelled", {}).values()),
            lab_w=cfg.get("labelled_weight", 0.0),
            news_w=cfg.get("news_weight", 2.0),
            sarc_w=cfg.get("sarcasm_neutral_weight", 1.0),
            moon_w=cfg.get("moon_weight", 3.0),
            mid_w=cfg.get("nsmc_mid_weight", 0.0),
            center_w=cfg.get("nsmc_center_weight", 0.0),
        ).rstrip("\n")
    )
    for src, counts in meta.get("training_rows", {}).items():
        lines.append(f"| {src} | " + " | ".join(str(counts.get(c, 0)) for c in LABELS) + " |")
    params = json.dumps(
        {"params": meta.get("params", {}), "config": meta.get("config", {})},
        ensure_ascii=False,
        indent=1,
        default=str,
    )
    lines += ["", "## Parameters", "```json", params, "```", "", "## Metrics"]
    if "nsmc" in m:
        n = m["nsmc"]
        lines.append(
            f"- NSMC-protocol binary test (n={n['n']}, movie split): accuracy "
            f"{n['accuracy']:.4f}, macro-F1 {n['macro_f1']:.4f} (polarity head)."
        )
    for key, name in (
        ("kote", "KOTE-derived 3-class"),
        ("civic", "Civic hand-labelled 3-class TEST"),
        ("civic_dev", "Civic DEV (tuning set, optimistic)"),
    ):
        if key in m:
            r = m[key]
            rec = ", ".join(f"{c} {v:.2f}" for c, v in r["recall"].items())
            lines.append(
                f"- {name} (n={r['n']}): macro-F1 {r['macro_f1']:.4f}, accuracy "
                f"{r['accuracy']:.4f}; recall {rec}; confusion (rows truth, columns "
                f"{'/'.join(LABELS)}) {r['confusion']['matrix']}."
            )
    if meta.get("calibration"):
        lines.append(
            f"- Class-bias calibration on the civic DEV set: {json.dumps(meta['calibration'])}"
        )
    if "runtime" in m:
        lines.append(f"- Runtime: {json.dumps(m['runtime'])}")
    lines += ["", "## Targets (issue 3)", *_target_lines(m)]
    lines.append(_CARD_LIMITS)
    return "\n".join(lines)


def tune_class_bias(
    model: SentimentModel,
    texts: Sequence[str],
    tokens: Sequence,
    labels: Sequence[str],
    *,
    grid: Sequence[float] = tuple(np.round(np.arange(-1.5, 1.51, 0.25), 2)),
    n_boot: int = 200,
    min_win_rate: float = 0.9,
    seed: int = 13,
) -> dict:
    """Set `model.class_bias` (negative, 0, positive) from the civic DEV set, conservatively.

    The bias maximising the mean macro-F1 over `n_boot` bootstrap resamples of the dev set is
    adopted only when it beats no bias in at least `min_win_rate` of them; otherwise the biases
    stay 0 (a small dev set with few positives must not move the decision by chance).
    Returns dev figures before/after.
    """
    proba = model.predict_proba(list(texts), list(tokens))
    y = np.searchsorted(np.asarray(LABELS), np.asarray(labels))
    logp = np.log(np.maximum(proba, 1e-12))
    g = np.asarray(grid, dtype=float)
    cands = [(float(bn), float(bp)) for bn in g for bp in g]
    preds = np.stack([(logp + np.array([bn, 0.0, bp])).argmax(axis=1) for bn, bp in cands])
    base = logp.argmax(axis=1)
    rng = np.random.default_rng(seed)
    # row 0: the dev set itself; rows 1..n_boot: bootstrap resamples (as per-item counts)
    counts = np.vstack(
        [np.ones(y.size)]
        + [np.bincount(rng.integers(0, y.size, y.size), minlength=y.size) for _ in range(n_boot)]
    )

    def f1(pred: np.ndarray) -> np.ndarray:
        """Macro-F1 of `pred` on every resample (vectorised confusion counts)."""
        onehot = np.zeros((y.size, 9))
        onehot[np.arange(y.size), y * 3 + pred] = 1.0
        cm = (counts @ onehot).reshape(-1, 3, 3)
        tp = cm[:, [0, 1, 2], [0, 1, 2]]
        denom = cm.sum(axis=1) + cm.sum(axis=2)
        return np.where(denom > 0, 2 * tp / np.maximum(denom, 1e-12), 0.0).mean(axis=1)

    f_base = f1(base)
    f_c = np.stack([f1(p) for p in preds])
    cost = np.array([abs(bn) + abs(bp) for bn, bp in cands])
    best = int(np.lexsort((cost, -np.round(f_c[:, 1:].mean(axis=1), 4)))[0])
    win = float(np.mean(f_c[best, 1:] > f_base[1:]))
    adopted = win >= min_win_rate
    model.class_bias = (cands[best][0], 0.0, cands[best][1]) if adopted else (0.0, 0.0, 0.0)
    return {
        "n": int(y.size),
        "grid": [float(g[0]), float(g[-1]), float(g[1] - g[0])],
        "best_bias": [cands[best][0], 0.0, cands[best][1]],
        "bootstrap_win_rate": round(win, 3),
        "adopted": bool(adopted),
        "class_bias": list(model.class_bias),
        "dev_macro_f1_before": round(float(f_base[0]), 4),
        "dev_macro_f1_best": round(float(f_c[best, 0]), 4),
    }


PROMOTION_METRICS = (("nsmc", "accuracy"), ("kote", "macro_f1"), ("civic", "macro_f1"))


def not_worse(new: dict, old: dict, tolerance: float = 0.005) -> bool:
    """True when every evaluation figure of `new` metrics is at least `old` minus `tolerance`."""
    for set_name, figure in PROMOTION_METRICS:
        before = old.get(set_name, {}).get(figure)
        after = new.get(set_name, {}).get(figure)
        if before is not None and (after is None or after < before - tolerance):
            return False
    return True


def promote_if_not_worse(models_dir: Path, version: str, tolerance: float = 0.005) -> bool:
    """Point `models_dir/DEFAULT` at `version` when its metrics are not worse than the current one.

    For the retrain DAG: train with `set_default=False`, then call this.
    """
    models_dir = Path(models_dir)
    new = json.loads((models_dir / version / "meta.json").read_text("utf-8")).get("metrics", {})
    default = models_dir / DEFAULT_FILE
    if default.is_file():
        current = default.read_text("utf-8").strip()
        meta_path = models_dir / current / "meta.json"
        if meta_path.is_file():
            old = json.loads(meta_path.read_text("utf-8")).get("metrics", {})
            if not not_worse(new, old, tolerance):
                log.warning("sentiment %s is worse than %s: not promoted", version, current)
                return False
    default.write_text(version + "\n", "utf-8")
    return True
