"""Keyword networks (연관어): sentiment-associated keywords and co-occurrence links."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from pipeline.analytics.keywords import (
    LINK_COLUMNS,
    SENTIMENT_COLUMNS,
    keyword_links,
    keyword_sentiment,
)

DAY = date(2025, 3, 1)


def frame(rows: list[tuple[str, str, list[str] | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"post_id": f"x:{i}", "policy_area": area, "sentiment": sent, "keywords": kw}
            for i, (area, sent, kw) in enumerate(rows)
        ]
    )


@pytest.fixture
def posts() -> pd.DataFrame:
    rows = (
        [("transport_urban", "negative", ["따릉이", "고장", "#따릉이", "대여소"])] * 6
        + [("transport_urban", "negative", ["지하철", "지연", "출근", "지연"])]
        * 4  # duplicate word
        + [("transport_urban", "positive", ["따릉이", "편리", "한강", "ㅋㅋ"])] * 5
        + [("transport_urban", "neutral", ["지하철", "출근", "노선"])] * 5
        + [("safety_environment", "negative", ["미세먼지", "마스크", "😷"])] * 4
        + [("safety_environment", "positive", ["공원", "산책", "마스크"])] * 3
        + [("safety_environment", "neutral", None), ("other", "neutral", [])]
    )
    return frame(rows)


def test_keyword_sentiment(posts: pd.DataFrame) -> None:
    out = keyword_sentiment(DAY, posts, top_n=4, min_count=3)
    assert list(out.columns) == list(SENTIMENT_COLUMNS)
    assert set(out["policy_area"]) == {"all", "transport_urban", "safety_environment"}
    assert set(out["polarity"]) == {"positive", "negative"}
    assert (out["day"] == DAY).all()
    assert (out["count"] >= 3).all() and (out["score"] > 0).all()
    for _, group in out.groupby(["policy_area", "polarity"]):
        assert group["rank"].tolist() == list(range(1, len(group) + 1))
        assert group["score"].is_monotonic_decreasing
        assert len(group) <= 4
    tr = out[out["policy_area"] == "transport_urban"]
    neg = tr.loc[tr["polarity"] == "negative", "keyword"].tolist()
    pos = tr.loc[tr["polarity"] == "positive", "keyword"].tolist()
    assert "고장" in neg and "지연" in neg and "편리" in pos
    assert not set(neg) & set(pos)
    assert "따릉이" not in neg  # used by positive posts too
    # a repeated keyword counts once per post
    assert tr.loc[tr["keyword"] == "지연", "count"].item() == 4
    env = out[(out["policy_area"] == "safety_environment") & (out["polarity"] == "negative")]
    assert env["keyword"].iloc[0] in {"미세먼지", "😷"}


def test_hashtags_are_keywords() -> None:
    posts = frame(
        [("transport_urban", "negative", ["#지하철고장", "출근"])] * 5
        + [("transport_urban", "positive", ["#한강", "출근"])] * 5
    )
    out = keyword_sentiment(DAY, posts, min_count=3)
    top = out[out["policy_area"] == "all"].set_index("polarity")["keyword"]
    assert top["negative"] == "#지하철고장" and top["positive"] == "#한강"


def test_keyword_links(posts: pd.DataFrame) -> None:
    out = keyword_links(DAY, posts, top_k=40, min_count=3)
    assert list(out.columns) == list(LINK_COLUMNS)
    assert (out["source"] < out["target"]).all()
    assert (out["weight"] >= 3).all() and out["npmi"].between(0, 1).all()
    tr = out[out["policy_area"] == "transport_urban"].set_index(["source", "target"])
    assert tr.loc[("고장", "따릉이"), "weight"] == 6
    assert tr.loc[("지하철", "출근"), "weight"] == 9
    assert ("#따릉이", "따릉이") not in tr.index  # hashtag and the word it contains: trivial
    assert ("#따릉이", "고장") in tr.index
    for _, group in out.groupby("policy_area", sort=False):
        keys = list(
            zip(-group["weight"], -group["npmi"], group["source"], group["target"], strict=True)
        )
        assert keys == sorted(keys)
    # top_k restricts the nodes, max_edges the edges
    small = keyword_links(DAY, posts, top_k=3, min_count=3)
    for _, group in small.groupby("policy_area"):
        assert len(set(group["source"]) | set(group["target"])) <= 3
    assert len(keyword_links(DAY, posts, max_edges=2).groupby("policy_area").size()) > 0
    assert keyword_links(DAY, posts, max_edges=2).groupby("policy_area").size().max() <= 2


def test_keywords_as_numpy_arrays_and_determinism(posts: pd.DataFrame) -> None:
    stored = posts.assign(
        keywords=[None if k is None else np.array(k, dtype=object) for k in posts["keywords"]]
    )
    shuffled = posts.sample(frac=1.0, random_state=1)
    for fn in (keyword_sentiment, keyword_links):
        expected = fn(DAY, posts)
        pd.testing.assert_frame_equal(fn(DAY, stored), expected)
        pd.testing.assert_frame_equal(fn(DAY, shuffled), expected)


@pytest.mark.parametrize(
    "posts",
    [
        frame([]).reindex(columns=["post_id", "policy_area", "sentiment", "keywords"]),
        frame([("other", "neutral", [])] * 3),
        frame([("other", "positive", ["ㅋㅋ"])] * 2),  # below min_count
    ],
)
def test_empty_inputs_give_empty_frames(posts: pd.DataFrame) -> None:
    sent = keyword_sentiment(DAY, posts)
    links = keyword_links(DAY, posts)
    assert sent.empty and list(sent.columns) == list(SENTIMENT_COLUMNS)
    assert links.empty and list(links.columns) == list(LINK_COLUMNS)
