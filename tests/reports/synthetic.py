"""A small, seeded warehouse for report, notebook and SQL-doc tests (no NLP models needed).

Rows are inserted through DataFrames with `pipeline.storage.warehouse`, so the schema is the real one.
The last day carries a planted spike: transport negativity in 강남구 (a subway outage).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.schema import DISTRICTS, NO_DISTRICT, POLICY_AREAS
from pipeline.storage import warehouse

AREA_WORDS: dict[str, list[str]] = {
    "transport_urban": [
        "지하철",
        "버스",
        "따릉이",
        "주차",
        "재개발",
        "모아타운",
        "기후동행카드",
        "배차간격",
    ],
    "safety_environment": ["미세먼지", "쓰레기", "소음", "공원", "침수", "화재", "폭염", "재활용"],
    "health_welfare": ["병원", "어르신", "돌봄", "장애인", "복지관", "보건소", "저출산", "의료"],
    "education_childcare": [
        "어린이집",
        "서울런",
        "학교",
        "보육",
        "청소년",
        "방과후",
        "유치원",
        "학원",
    ],
    "economy_jobs": ["일자리", "소상공인", "전통시장", "물가", "창업", "청년", "임대료", "상권"],
    "culture_sports": ["축제", "공연", "한강", "도서관", "체육관", "관광", "전시", "불꽃축제"],
    "administration": ["민원", "공무원", "세금", "주민참여", "120다산콜", "행정", "예산", "시장"],
    "rights_equality": ["인권", "차별", "성평등", "이주민", "장애인권", "혐오", "평등", "노동권"],
    "animals": [
        "반려견",
        "유기견",
        "길고양이",
        "동물병원",
        "산책로",
        "입양",
        "반려동물",
        "동물등록",
    ],
    "other": ["외교", "국방", "농산물", "날씨", "연휴", "선거", "뉴스", "기타"],
}
SUB_ISSUES = {
    "transport_urban": ["subway", "bus", "ddareungi", "housing"],
    "safety_environment": ["fine_dust", "waste", "noise"],
}
NEG = [
    "너무 불편해요 ㅠㅠ",
    "언제 고쳐지나요?",
    "진짜 화나네요",
    "대책이 없네요",
    "민원 넣어도 답이 없음",
]
NEU = [
    "관련 소식 공유합니다",
    "오늘 발표가 있었네요",
    "자세한 내용은 링크 참고",
    "일정 안내입니다",
]
POS = [
    "정말 좋아졌어요 👍",
    "감사합니다!",
    "덕분에 편해졌네요 ㅋㅋ",
    "칭찬합니다",
    "잘하고 있네요",
]
CHANNELS = ["x", "news", "blog", "petition", "mvoting"]
HASHTAGS = ["서울시", "따릉이", "미세먼지", "기후동행카드", "한강", "서울런", "모아타운", "지하철"]


def _posts_for_day(rng: np.random.Generator, day: dt.date, n: int, spike: bool) -> pd.DataFrame:
    areas = list(POLICY_AREAS)
    area = rng.choice(areas, size=n, p=_area_p(len(areas)))
    sentiment = rng.choice(["negative", "neutral", "positive"], size=n, p=[0.3, 0.45, 0.25])
    district_idx = rng.integers(-8, len(DISTRICTS), size=n)  # negatives -> no district
    if spike:
        k = max(n // 6, 5)
        area[:k] = "transport_urban"
        sentiment[:k] = "negative"
        district_idx[:k] = DISTRICTS.index("강남구")
    channel = rng.choice(CHANNELS, size=n, p=[0.55, 0.15, 0.15, 0.1, 0.05])
    seconds = rng.integers(0, 86_400, size=n)
    midnight = pd.Timestamp(day, tz="Asia/Seoul")
    created = midnight + pd.to_timedelta(seconds, unit="s")
    rows = []
    for i in range(n):
        words = AREA_WORDS[area[i]]
        kw = [words[j] for j in rng.choice(len(words), size=3, replace=False)]
        if spike and i < max(n // 6, 5):
            kw = ["지하철", "운행중단", "강남역"]
        d = DISTRICTS[district_idx[i]] if district_idx[i] >= 0 else None
        tail = {"negative": NEG, "neutral": NEU, "positive": POS}[sentiment[i]]
        text = f"{d or '서울'} {kw[0]} {kw[1]} {tail[i % len(tail)]}"
        if i % 97 == 0:
            text += " 연락처 010-****-****"
        tags = [HASHTAGS[i % len(HASHTAGS)]]
        if spike and i < max(n // 6, 5):
            tags = ["지하철운행중단", "강남역"]
        if i % 2:  # ingest stores tags as written ("#서울시"); files may carry them without '#'
            tags = ["#" + t for t in tags]
        rows.append(
            (
                f"{channel[i]}:{day:%Y%m%d}{i:06d}",
                channel[i],
                f"{day:%Y%m%d}{i:06d}",
                created[i],
                text,
                tags,
                kw,
                d,
                area[i],
                sentiment[i],
            )
        )
    df = pd.DataFrame(
        rows,
        columns=[
            "post_id",
            "channel",
            "source_id",
            "created_at",
            "text",
            "hashtags",
            "keywords",
            "district",
            "policy_area",
            "sentiment",
        ],
    )
    df["day"] = day
    df["text_norm"] = df["text"]
    df["text_key"] = df["text"]
    df["author_hash"] = [f"a{j:04d}" for j in rng.integers(0, max(n // 4, 10), size=n)]
    df["author_followers"] = rng.integers(0, 50_000, size=n)
    df["likes"] = rng.integers(0, 300, size=n)
    df["shares"] = rng.integers(0, 80, size=n)
    df["replies"] = rng.integers(0, 40, size=n)
    df["views"] = rng.integers(0, 10_000, size=n)
    dup = rng.random(n) < 0.04
    dup[0] = False
    df["duplicate_of"] = np.where(dup, df["post_id"].iloc[0], None)
    df["duplicate_kind"] = np.where(dup, "exact", None)
    df["mentions"] = [[] for _ in range(n)]
    df["urls"] = [[] for _ in range(n)]
    score = {"negative": -0.7, "neutral": 0.0, "positive": 0.7}
    df["sentiment_score"] = [score[s] for s in df["sentiment"]] + rng.normal(0, 0.1, n)
    df["sentiment_score"] = df["sentiment_score"].clip(-1, 1)
    df["sub_issue"] = [
        SUB_ISSUES[a][i % len(SUB_ISSUES[a])] if a in SUB_ISSUES else None
        for i, a in enumerate(df["policy_area"])
    ]
    df["districts"] = [[d] if isinstance(d, str) else [] for d in df["district"]]
    df["model_version"] = "synthetic-1"
    df["policy_confidence"] = 0.8
    return df


def _area_p(k: int) -> list[float]:
    w = np.array([5, 4, 3, 2.5, 2.5, 2, 2, 1, 1, 1][:k], dtype=float)
    return list(w / w.sum())


def build_sample_warehouse(
    path: Path,
    *,
    days: int = 10,
    posts_per_day: int = 300,
    end: dt.date | None = None,
    seed: int = 7,
) -> dt.date:
    """Fill a fresh warehouse at `path`; returns the last day (the one with the planted spike)."""
    end = end or dt.date(2026, 3, 16)
    rng = np.random.default_rng(seed)
    con = warehouse.connect(path)
    try:
        for k in range(days):
            day = end - dt.timedelta(days=days - 1 - k)
            spike = day == end
            df = _posts_for_day(rng, day, posts_per_day, spike)
            _write_day(con, rng, day, df)
    finally:
        con.close()
    return end


def _write_day(con, rng: np.random.Generator, day: dt.date, df: pd.DataFrame) -> None:
    run_id = f"run-{day:%Y%m%d}"
    warehouse.insert_rows(con, "posts", df)
    warehouse.insert_rows(con, "post_nlp", df)
    start = pd.Timestamp(day, tz="Asia/Seoul")
    n_quar = 3
    warehouse.insert_rows(
        con,
        "pipeline_runs",
        pd.DataFrame(
            [
                {
                    "run_id": run_id,
                    "stage": "ingest",
                    "started_at": start + pd.Timedelta(hours=23),
                    "finished_at": start + pd.Timedelta(hours=23, minutes=1),
                    "status": "success",
                    "read": len(df) + n_quar,
                    "stored": int(df["duplicate_of"].isna().sum()),
                    "duplicates": int(df["duplicate_of"].notna().sum()),
                    "quarantined": n_quar,
                    "source": "simulator",
                    "window_start": start,
                    "window_end": start + pd.Timedelta(days=1),
                }
            ]
        ),
    )
    warehouse.insert_rows(
        con,
        "quarantine",
        pd.DataFrame(
            {
                "run_id": [run_id] * n_quar,
                "source": ["simulator"] * n_quar,
                "line_no": [1, 2, 3],
                "payload": ['{"id": "x"}', "{bad json", '{"id": "y", "text": ""}'],
                "reason": ["missing created_at", "malformed JSON", "empty text"],
                "quarantined_at": [start + pd.Timedelta(hours=23)] * n_quar,
            }
        ),
    )
    clean = df[df["duplicate_of"].isna()].copy()
    clean["district"] = clean["district"].fillna(NO_DISTRICT)
    od = (
        clean.assign(
            negative=clean["sentiment"].eq("negative").astype(int),
            neutral=clean["sentiment"].eq("neutral").astype(int),
            positive=clean["sentiment"].eq("positive").astype(int),
        )
        .groupby(["day", "policy_area", "district", "channel"], as_index=False)
        .agg(
            posts=("post_id", "size"),
            negative=("negative", "sum"),
            neutral=("neutral", "sum"),
            positive=("positive", "sum"),
            mean_score=("sentiment_score", "mean"),
        )
    )
    od["excluded"] = 0
    warehouse.insert_rows(con, "opinion_daily", od)
    _write_topics(con, day, clean)
    _write_keywords(con, day, clean)


def _write_topics(con, day: dt.date, clean: pd.DataFrame) -> None:
    rows, links = [], []
    for i, (area, g) in enumerate(clean.groupby("policy_area")):
        kws = pd.Series([k for ks in g["keywords"] for k in ks]).value_counts().head(5)
        tid = f"{day:%Y%m%d}-{i}"
        rows.append(
            {
                "day": day,
                "topic_id": tid,
                "label": " · ".join(kws.index[:3]),
                "keywords": list(kws.index),
                "weights": [float(v) for v in kws.values],
                "n_posts": len(g),
                "representative_post_ids": list(g["post_id"].head(2)),
                "emerging": "운행중단" in kws.index,
                "first_seen": day,
            }
        )
        links += [{"day": day, "post_id": p, "topic_id": tid, "weight": 1.0} for p in g["post_id"]]
    warehouse.insert_rows(con, "topics", pd.DataFrame(rows))
    warehouse.insert_rows(con, "post_topics", pd.DataFrame(links))


def _write_keywords(con, day: dt.date, clean: pd.DataFrame) -> None:
    ks, kl = [], []
    for area, g in clean.groupby("policy_area"):
        for pol in ("negative", "positive"):
            sub = g[g["sentiment"] == pol]
            counts = pd.Series([k for kw in sub["keywords"] for k in kw]).value_counts().head(8)
            for r, (k, c) in enumerate(counts.items(), 1):
                ks.append(
                    {
                        "day": day,
                        "policy_area": area,
                        "polarity": pol,
                        "keyword": k,
                        "count": int(c),
                        "score": float(c) / max(len(sub), 1),
                        "rank": r,
                    }
                )
        pairs: dict[tuple[str, str], int] = {}
        for kw in g["keywords"]:
            s = sorted(set(kw))
            for a in range(len(s)):
                for b in range(a + 1, len(s)):
                    pairs[(s[a], s[b])] = pairs.get((s[a], s[b]), 0) + 1
        for (a, b), w in sorted(pairs.items(), key=lambda x: -x[1])[:20]:
            kl.append(
                {
                    "day": day,
                    "policy_area": area,
                    "source": a,
                    "target": b,
                    "weight": w,
                    "npmi": 0.3,
                }
            )
    warehouse.insert_rows(con, "keyword_sentiment", pd.DataFrame(ks))
    warehouse.insert_rows(con, "keyword_links", pd.DataFrame(kl))
