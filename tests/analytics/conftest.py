"""Small synthetic post frames for the signal analytics (independent of the simulator)."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from pipeline.schema import DISTRICTS, POLICY_AREAS

AREAS = list(POLICY_AREAS)
HOUR_PROFILE = np.array(
    [2, 1, 1, 1, 1, 2, 3, 5, 7, 7, 6, 6, 7, 6, 6, 6, 6, 7, 8, 8, 7, 6, 4, 3], dtype=float
)
TAGS = ["#서울시", "#따릉이", "#지하철", "#미세먼지", "#청년", "#복지", "#축제", "#반려견"]


def synth_posts(
    *,
    start: str = "2025-03-01",
    days: int = 10,
    per_day: int = 1500,
    seed: int = 0,
    events: list[dict] | None = None,
) -> pd.DataFrame:
    """Posts with NLP columns; `events`: dicts with start, hours, policy_area, district, n,
    hashtag (optional) adding extra mostly negative posts."""
    rng = np.random.default_rng(seed)
    rows = []
    day0 = pd.Timestamp(start, tz="Asia/Seoul")
    prof = HOUR_PROFILE / HOUR_PROFILE.sum()
    area_p = np.linspace(3, 1, len(AREAS))
    area_p /= area_p.sum()
    authors = [f"a{i:05d}" for i in range(3000)]
    k = 0
    for d in range(days):
        n = rng.poisson(per_day * (0.8 if (day0 + pd.Timedelta(days=d)).weekday() >= 5 else 1.0))
        hours = rng.choice(24, size=n, p=prof)
        for h in hours:
            ts = day0 + pd.Timedelta(days=d, hours=int(h), seconds=int(rng.integers(3600)))
            area = AREAS[rng.choice(len(AREAS), p=area_p)]
            dist = [DISTRICTS[rng.integers(25)]] if rng.random() < 0.6 else []
            sent = rng.choice(["negative", "neutral", "positive"], p=[0.3, 0.5, 0.2])
            tags = [TAGS[rng.integers(len(TAGS))]] if rng.random() < 0.3 else []
            rows.append(
                _row(k, ts, area, dist, sent, tags, authors[rng.integers(len(authors))], rng)
            )
            k += 1
    for ev in events or []:
        st = pd.Timestamp(ev["start"], tz="Asia/Seoul")
        for _ in range(ev["n"]):
            ts = st + pd.Timedelta(seconds=int(rng.integers(ev["hours"] * 3600)))
            sent = "negative" if rng.random() < 0.85 else "neutral"
            tags = [ev["hashtag"]] if ev.get("hashtag") and rng.random() < 0.7 else []
            dist = [ev["district"]] if ev.get("district") else []
            rows.append(
                _row(
                    k,
                    ts,
                    ev["policy_area"],
                    dist,
                    sent,
                    tags,
                    authors[rng.integers(len(authors))],
                    rng,
                )
            )
            k += 1
    df = pd.DataFrame(rows)
    df["created_at"] = pd.to_datetime(df["created_at"]).dt.tz_convert("UTC")
    return df.sort_values(["created_at", "post_id"], ignore_index=True)


def _row(k, ts, area, dist, sent, tags, author, rng) -> dict:
    return {
        "post_id": f"x:{k}",
        "channel": "x",
        "created_at": ts,
        "day": ts.date(),
        "text": f"게시물 {k} {' '.join(tags)}",
        "author_hash": author,
        "author_followers": int(rng.integers(0, 5000)),
        "likes": int(rng.integers(0, 20)),
        "shares": int(rng.integers(0, 5)),
        "replies": int(rng.integers(0, 5)),
        "views": None,
        "reply_to": None,
        "repost_of": None,
        "quote_of": None,
        "hashtags": tags,
        "mentions": [],
        "duplicate_of": None,
        "sentiment": sent,
        "sentiment_score": {"negative": -0.6, "neutral": 0.0, "positive": 0.6}[sent],
        "policy_area": area,
        "districts": dist,
        "keywords": ["서울", area[:4]],
    }


@pytest.fixture(scope="session")
def event_posts() -> tuple[pd.DataFrame, list[dict]]:
    events = [
        {
            "start": "2025-03-09 08:00",
            "hours": 3,
            "policy_area": "transport_urban",
            "district": "강남구",
            "n": 60,
            "hashtag": "#지하철고장",
        },
        {
            "start": "2025-03-10 14:00",
            "hours": 2,
            "policy_area": "safety_environment",
            "district": "마포구",
            "n": 35,
        },
    ]
    return synth_posts(days=11, per_day=700, events=events, seed=3), events


_TAG = re.compile(r"#([0-9A-Za-z가-힣_]+)")
_KEY = re.compile(r"https?://\S+|@\w+|[^0-9A-Za-z가-힣]")


@pytest.fixture(scope="session")
def small_simulation():
    """A small seeded simulation with planted events, as analysed posts (truth as NLP labels)."""
    from pipeline.sources.simulator import SimulationConfig, simulate

    sim = simulate(
        SimulationConfig(start_day=dt.date(2025, 3, 3), days=12, posts_per_day=3000, seed=5)
    )
    rows, first = [], {}
    for p in sim.posts:
        t = sim.truth[p["id"]]
        ch = p.get("channel", "x")
        pid = f"{ch}:{p['id']}"
        key = _KEY.sub("", p["text"]).lower()
        dup = (
            f"{ch}:{p['repost_of']}"
            if p.get("repost_of")
            else (first.get(key) if len(key) >= 12 else None)
        )
        first.setdefault(key, pid)
        rows.append(
            {
                "post_id": pid,
                "channel": ch,
                "created_at": p["created_at"],
                "text": p["text"],
                "author_hash": p.get("author"),
                "author_followers": p.get("author_followers"),
                "likes": p.get("likes"),
                "shares": p.get("shares"),
                "replies": p.get("replies"),
                "reply_to": f"{ch}:{p['reply_to']}" if p.get("reply_to") else None,
                "repost_of": f"{ch}:{p['repost_of']}" if p.get("repost_of") else None,
                "hashtags": sorted({"#" + h for h in _TAG.findall(p["text"])}),
                "duplicate_of": dup,
                "sentiment": t["sentiment"],
                "policy_area": t["policy_area"],
                "districts": list(t["districts"]),
                "keywords": [],
            }
        )
    posts = pd.DataFrame(rows)
    posts["created_at"] = pd.to_datetime(posts["created_at"], utc=True, format="ISO8601")
    return sim, posts
