"""mVoting: the documented CSV/JSON format, quarantine, comparison with online opinion."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pipeline.analytics.mvoting import COMPARISON_COLUMNS, mvoting_comparison
from pipeline.sources.mvoting import MVotingFormatError, map_poll, read_mvoting

CSV = """poll_id,question,policy_area,opened,closed,option,votes,keywords,votes_20대,votes_여성
mv-1,따릉이 요금 인상에 찬성하십니까?,교통·도시,2025-03-01,2025-03-10,찬성,600,따릉이 요금,100,300
mv-1,따릉이 요금 인상에 찬성하십니까?,교통·도시,2025-03-01,2025-03-10,반대,400,따릉이 요금,50,200
mv-2,반려견 놀이터를 늘릴까요?,animals,2025-03-01,2025-03-10,찬성,0,,,
mv-2,반려견 놀이터를 늘릴까요?,animals,2025-03-01,2025-03-10,반대,0,,,
mv-3,잘못된 분야,우주개발,2025-03-01,2025-03-10,찬성,10,,,
mv-4,표가 글자,administration,2025-03-01,2025-03-10,찬성,많음,,,
"""


def _posts(n_neg: int, n_pos: int) -> pd.DataFrame:
    rows = []
    for i in range(n_neg + n_pos):
        neg = i < n_neg
        rows.append(
            {
                "post_id": f"x:{i}",
                "created_at": pd.Timestamp("2025-03-05 10:00", tz="UTC"),
                "text": ("따릉이 요금 오르면 부담돼요" if neg else "따릉이 요금 올라도 괜찮아요"),
                "sentiment": "negative" if neg else "positive",
                "duplicate_of": None,
                "keywords": ["따릉이", "요금", "부담" if neg else "괜찮"],
            }
        )
    rows.append(
        {
            "post_id": "x:other",
            "created_at": pd.Timestamp("2025-03-05", tz="UTC"),
            "text": "지하철 고장",
            "sentiment": "negative",
            "duplicate_of": None,
            "keywords": ["지하철"],
        }
    )
    return pd.DataFrame(rows)


def test_csv_reader_and_quarantine(tmp_path):
    path = tmp_path / "polls.csv"
    path.write_text(CSV, encoding="utf-8-sig")
    polls, options, bad = read_mvoting(path)
    assert list(polls["poll_id"]) == ["mv-1", "mv-2"]
    assert polls.set_index("poll_id").loc["mv-1", "policy_area"] == "transport_urban"
    assert polls.set_index("poll_id").loc["mv-1", "keywords"] == ["따릉이 요금"]
    assert polls["closed"].iloc[0] == pd.Timestamp("2025-03-10 15:00", tz="UTC")  # end of day KST
    o = options.set_index(["poll_id", "label"])
    assert o.loc[("mv-1", "찬성"), "share"] == 0.6
    assert json.loads(o.loc[("mv-1", "찬성"), "breakdown"]) == {"20대": 100, "여성": 300}
    assert o.loc[("mv-2", "찬성"), "votes"] == 0 and pd.isna(o.loc[("mv-2", "찬성"), "share"])
    reasons = " ".join(bad["reason"])
    assert len(bad) == 2 and "policy_area" in reasons and "votes" in reasons


def test_json_reader_and_bad_files(tmp_path):
    poll = {
        "poll_id": "p1",
        "question": "질문?",
        "policy_area": "animals",
        "opened": "2025-03-01T09:00:00",
        "closed": "2025-03-02",
        "options": [{"label": "찬성", "votes": 3}, {"label": "반대", "votes": 1}],
        "breakdown": {"age": {"20대": {"찬성": 2, "반대": 1}}},
        "keyword": "반려견",
    }
    path = tmp_path / "polls.json"
    path.write_text(json.dumps({"polls": [poll, {"poll_id": "p2"}]}), encoding="utf-8")
    polls, options, bad = read_mvoting(path)
    assert list(polls["poll_id"]) == ["p1"] and len(bad) == 1
    assert json.loads(options.iloc[0]["breakdown"]) == {"age:20대": 2}
    (tmp_path / "x.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(MVotingFormatError, match="invalid JSON"):
        read_mvoting(tmp_path / "x.json")
    (tmp_path / "x.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(MVotingFormatError, match="missing columns"):
        read_mvoting(tmp_path / "x.csv")
    with pytest.raises(MVotingFormatError):
        map_poll(
            {
                "poll_id": "p",
                "question": "q",
                "policy_area": "animals",
                "opened": "2025-03-02",
                "closed": "2025-03-01",
                "options": [{"label": "a"}],
            }
        )


def test_comparison_agree_disagree_and_zero_votes(tmp_path):
    path = tmp_path / "polls.csv"
    path.write_text(CSV, encoding="utf-8")
    polls, options, _ = read_mvoting(path)
    out = mvoting_comparison(polls, options, _posts(n_neg=30, n_pos=5))
    assert list(out.columns) == COMPARISON_COLUMNS
    r = out.set_index("poll_id")
    assert r.loc["mv-1", "vote_support"] == 0.6 and r.loc["mv-1", "online_posts"] == 35
    assert r.loc["mv-1", "agreement"] == "disagree"
    assert "부담" in r.loc["mv-1", "negative_keywords"]
    assert r.loc["mv-2", "agreement"] == "insufficient_data"  # zero votes
    assert pd.isna(r.loc["mv-2", "vote_support"])
    agree = mvoting_comparison(polls, options, _posts(n_neg=5, n_pos=30)).set_index("poll_id")
    assert agree.loc["mv-1", "agreement"] == "agree"
    few = mvoting_comparison(polls, options, _posts(n_neg=2, n_pos=1)).set_index("poll_id")
    assert few.loc["mv-1", "agreement"] == "insufficient_data"


def test_comparison_empty_inputs():
    assert mvoting_comparison(pd.DataFrame(), pd.DataFrame(), _posts(1, 1)).empty
