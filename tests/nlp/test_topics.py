"""Topics of a day: shape, graceful degradation, determinism and tracking across days."""

from __future__ import annotations

import random
from datetime import date

import pandas as pd
import pytest

from pipeline.nlp.topics import (
    METHODS,
    POST_TOPIC_COLUMNS,
    TOPIC_COLUMNS,
    TopicParams,
    day_topics,
)

THEMES = {
    "bike": ["따릉이", "자전거", "대여소", "#따릉이", "고장", "반납"],
    "dust": ["미세먼지", "마스크", "공기", "#미세먼지", "외출", "황사"],
    "subway": ["지하철", "2호선", "출근", "지연", "#지하철", "혼잡"],
    "flowers": ["벚꽃", "축제", "여의도", "#벚꽃", "나들이", "윤중로"],
}
TEXT = {
    "bike": "따릉이 또 고장났네 ㅋㅋ 🚲",
    "dust": "미세먼지 최악😷 마스크 필수",
    "subway": "2호선 지연 ㅠㅠ 출근길 지옥",
    "flowers": "여의도 벚꽃축제 🌸 사람 많아요",
}
DAY1 = date(2025, 3, 1)
DAY2 = date(2025, 3, 2)
PARAMS = TopicParams(n_topics=3, min_posts=10, min_df=2, max_df=0.9, top_words=5)


def posts(day: date, themes: list[str], per_theme: int = 20, seed: int = 0):
    """(post_ids, keywords, texts): random subsets of each theme's words, plus noise and oddities."""
    rng = random.Random(seed)
    ids, kws, texts = [], [], []
    for theme in themes:
        for i in range(per_theme):
            words = rng.sample(THEMES[theme], 4) + (["ㅋㅋ"] if i % 5 == 0 else [])
            ids.append(f"x:{day:%m%d}{theme}{i:02d}")
            kws.append(words)
            texts.append(TEXT[theme] if i % 2 else f"{TEXT[theme]} #{i}")
    # a copy-paste duplicate, an empty post and an emoji-only post
    ids += [f"x:{day:%m%d}dup", f"x:{day:%m%d}empty", f"x:{day:%m%d}emoji"]
    kws += [list(kws[1]), [], ["😷😷"]]
    texts += [texts[1], "", "😷😷"]
    return ids, kws, texts


def theme_of(keywords: list[str]) -> str:
    return max(THEMES, key=lambda t: len(set(keywords) & set(THEMES[t])))


@pytest.mark.parametrize("method", METHODS)
def test_topics_found_labelled_and_assigned(method: str) -> None:
    ids, kws, texts = posts(DAY1, ["bike", "dust", "subway"])
    topics, post_topics = day_topics(
        DAY1, ids, kws, texts, None, TopicParams(**{**PARAMS.__dict__, "method": method})
    )
    assert list(topics.columns) == list(TOPIC_COLUMNS)
    assert list(post_topics.columns) == list(POST_TOPIC_COLUMNS)
    assert len(topics) == 3
    assert {theme_of(k) for k in topics["keywords"]} == {"bike", "dust", "subway"}
    assert topics["emerging"].all() and (topics["first_seen"] == DAY1).all()
    assert topics["topic_id"].tolist() == [f"T20250301-{k:02d}" for k in range(3)]
    for label, kw, weights in zip(
        topics["label"], topics["keywords"], topics["weights"], strict=True
    ):
        assert len(label.split(" · ")) == 3 and set(label.split(" · ")) <= set(kw)
        assert weights == sorted(weights, reverse=True)
    # every post with vocabulary words is assigned once; the empty and emoji posts are not
    assert post_topics["post_id"].is_unique
    assert set(post_topics["post_id"]) == set(ids[:-2])
    assert post_topics["weight"].between(0, 1).all()
    assert topics["n_posts"].sum() == len(post_topics)
    by_id = dict(zip(ids, kws, strict=True))
    for tid, kw in zip(topics["topic_id"], topics["keywords"], strict=True):
        members = post_topics.loc[post_topics["topic_id"] == tid, "post_id"]
        assert sum(theme_of(by_id[p]) == theme_of(kw) for p in members) >= 0.9 * len(members)
    for reps in topics["representative_post_ids"]:
        assert 1 <= len(reps) <= PARAMS.n_representative
        assert len({texts[ids.index(r)] for r in reps}) == len(reps)  # duplicates shown once


def test_tracking_keeps_ids_and_flags_new_topics() -> None:
    topics1, _ = day_topics(DAY1, *posts(DAY1, ["bike", "dust", "subway"]), None, PARAMS)
    topics2, post_topics2 = day_topics(
        DAY2, *posts(DAY2, ["bike", "dust", "flowers"], seed=1), topics1, PARAMS
    )
    ids1 = {theme_of(k): t for k, t in zip(topics1["keywords"], topics1["topic_id"], strict=True)}
    by_theme = {
        theme_of(k): row
        for k, (_, row) in zip(topics2["keywords"], topics2.iterrows(), strict=True)
    }
    assert set(by_theme) == {"bike", "dust", "flowers"}
    for theme in ("bike", "dust"):
        assert by_theme[theme]["topic_id"] == ids1[theme]
        assert not by_theme[theme]["emerging"]
        assert by_theme[theme]["first_seen"] == DAY1
    assert by_theme["flowers"]["topic_id"] == "T20250302-00"
    assert by_theme["flowers"]["emerging"] and by_theme["flowers"]["first_seen"] == DAY2
    assert set(post_topics2["topic_id"]) == set(topics2["topic_id"])

    # Re-running day 2 with day 2 already in `previous` gives the same answer (idempotent).
    again, _ = day_topics(
        DAY2,
        *posts(DAY2, ["bike", "dust", "flowers"], seed=1),
        pd.concat([topics1, topics2], ignore_index=True),
        PARAMS,
    )
    pd.testing.assert_frame_equal(again, topics2)

    # Day 3 sees day 2's topics, so flowers is continuing; a topic older than one day still matches.
    topics3, _ = day_topics(
        date(2025, 3, 3),
        *posts(DAY2, ["flowers", "subway"], seed=2),
        pd.concat([topics1, topics2], ignore_index=True),
        TopicParams(**{**PARAMS.__dict__, "n_topics": 2}),
    )
    ids3 = dict(zip(map(theme_of, topics3["keywords"]), topics3["topic_id"], strict=True))
    assert ids3 == {"flowers": "T20250302-00", "subway": ids1["subway"]}
    assert not topics3["emerging"].any()


def test_previous_with_numpy_lists_and_timestamps() -> None:
    """`previous` as read back from the warehouse: arrays for lists, timestamps for dates."""
    topics1, _ = day_topics(DAY1, *posts(DAY1, ["bike", "dust", "subway"]), None, PARAMS)
    stored = topics1.assign(
        day=pd.to_datetime(topics1["day"]),
        first_seen=pd.to_datetime(topics1["first_seen"]),
        keywords=[pd.array(k).to_numpy() for k in topics1["keywords"]],
        weights=[pd.array(w).to_numpy() for w in topics1["weights"]],
    )
    topics2, _ = day_topics(DAY2, *posts(DAY2, ["bike", "dust", "subway"], seed=1), stored, PARAMS)
    assert set(topics2["topic_id"]) == set(topics1["topic_id"])
    assert (topics2["first_seen"] == DAY1).all()


def test_deterministic_and_independent_of_input_order() -> None:
    ids, kws, texts = posts(DAY1, ["bike", "dust", "subway"])
    a = day_topics(DAY1, ids, kws, texts, None, PARAMS)
    b = day_topics(DAY1, ids, kws, texts, None, PARAMS)
    rev = day_topics(DAY1, ids[::-1], kws[::-1], texts[::-1], None, PARAMS)
    for x, y, z in zip(a, b, rev, strict=True):
        pd.testing.assert_frame_equal(x, y)
        pd.testing.assert_frame_equal(x, z)


@pytest.mark.parametrize(
    "keywords",
    [
        [["따릉이", "고장"]] * 5,  # fewer posts than min_posts
        [[] for _ in range(40)],  # no keywords at all
        [["ㅋㅋ"]] + [[f"단어{i}"] for i in range(39)],  # nothing reaches min_df
        [],  # no posts
    ],
)
def test_few_posts_or_no_vocabulary_give_empty_frames(keywords: list[list[str]]) -> None:
    ids = [f"x:{i}" for i in range(len(keywords))]
    topics, post_topics = day_topics(
        DAY1, ids, keywords, ["ㅋㅋ 😷"] * len(ids), None, TopicParams(min_posts=10)
    )
    assert topics.empty and post_topics.empty
    assert list(topics.columns) == list(TOPIC_COLUMNS)
    assert list(post_topics.columns) == list(POST_TOPIC_COLUMNS)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="same length"):
        day_topics(DAY1, ["x:1"], [], [""], None)
    with pytest.raises(ValueError, match="unknown topic method"):
        TopicParams(method="bertopic")


def test_labels_prefer_words_a_topic_owns_over_words_every_post_uses() -> None:
    """A word every topic uses ('이번': 30% of all words) ranks first by weight in this topic but
    names it worse than the words the topic owns."""
    import numpy as np

    from pipeline.nlp.topics import _label_words

    vocab = np.array(["이번", "반려견", "놀이터", "강아지", "덕분"], dtype=object)
    row = np.array([0.30, 0.25, 0.20, 0.15, 0.10])  # p(word | topic)
    share = np.array([0.30, 0.02, 0.02, 0.03, 0.10])  # p(word) over the day
    assert _label_words(np.arange(5), row, share, vocab) == ["반려견", "놀이터", "강아지"]
    assert _label_words(np.arange(0), row, share, vocab) == []
