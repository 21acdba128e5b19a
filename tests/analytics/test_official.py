"""Official accounts: responsiveness through reply chains, deleted parents, overlap, inventory."""

from __future__ import annotations

import pandas as pd

from pipeline.analytics.official import (
    ACTIVITY_COLUMNS,
    INVENTORY_COLUMNS,
    RESPONSE_COLUMNS,
    load_inventory,
    official_activity,
    official_overlap,
    official_responses,
    responsiveness_summary,
)

T0 = pd.Timestamp("2025-03-03 09:00", tz="UTC")
OFFICIAL = pd.DataFrame(
    {
        "handle": ["@SeoulCity", "seoul_transport", "seoul_ddareungi"],
        "author_hash": ["h_city", "h_tr", "h_bike"],
        "display_name": ["서울특별시", "서울시 교통", "따릉이"],
        "department": ["대변인", "교통실", "따릉이운영팀"],
        "policy_area": ["administration", "transport_urban", "transport_urban"],
        "platform": ["x", "x", "x"],
    }
)


def _post(pid, author, minutes, text="", **kw):
    return {
        "post_id": pid,
        "author_hash": author,
        "created_at": T0 + pd.Timedelta(minutes=minutes),
        "text": text,
        "reply_to": kw.get("reply_to"),
        "repost_of": kw.get("repost_of"),
        "quote_of": None,
        "mentions": kw.get("mentions", []),
        "policy_area": kw.get("area"),
        "likes": kw.get("likes", 1),
        "shares": 0,
        "replies": 0,
        "views": kw.get("views"),
        "author_followers": kw.get("followers"),
    }


def _posts() -> pd.DataFrame:
    return pd.DataFrame(
        [
            _post(
                "x:a1", "h_tr", 0, "[교통 안내] 2호선 지연 중입니다", followers=100_000, views=5000
            ),
            _post(
                "x:q1",
                "c1",
                10,
                "@seoul_transport 언제 복구돼요?",
                mentions=["@seoul_transport"],
                area="transport_urban",
            ),
            _post("x:f1", "c2", 20, "저도 궁금해요", reply_to="x:q1"),
            _post(
                "x:ans", "h_tr", 45, "@c1 곧 복구됩니다", reply_to="x:f1"
            ),  # answers via the chain
            _post(
                "x:q2", "c3", 30, "따릉이 고장 신고합니다", reply_to="x:a1"
            ),  # reply to an official post
            _post(
                "x:q3",
                "c4",
                50,
                "@seoulcity 쓰레기 좀 치워주세요",
                mentions=["@seoulcity"],
                area="safety_environment",
            ),
            _post(
                "x:orphan",
                "c5",
                60,
                "@seoulcity 이 글 뭐죠?",
                mentions=["@seoulcity"],
                reply_to="x:deleted",
            ),  # its parent was deleted
            _post(
                "x:oans", "h_city", 70, "확인하겠습니다", reply_to="x:gone"
            ),  # official reply, lost parent
            _post("x:b1", "h_bike", 80, "[따릉이] 대여소 점검 안내", followers=20_000),
            _post("x:r1", "c1", 90, "RT", repost_of="x:b1"),
        ]
    )


def test_responses_chain_and_unanswered():
    r = official_responses(_posts(), OFFICIAL)
    assert list(r.columns) == RESPONSE_COLUMNS
    by = r.set_index(["post_id", "official_handle"])
    q1 = by.loc[("x:q1", "seoul_transport")]
    assert q1["answered"] and q1["answer_post_id"] == "x:ans" and q1["response_minutes"] == 35
    assert q1["department"] == "교통실" and q1["policy_area"] == "transport_urban"
    q2 = by.loc[("x:q2", "seoul_transport")]
    assert not q2["answered"] and pd.isna(q2["response_minutes"])
    assert q2["policy_area"] == "transport_urban"  # the account's area when the post has none
    orphan = by.loc[("x:orphan", "seoulcity")]
    assert not orphan["answered"]
    assert ("x:q3", "seoulcity") in by.index


def test_summary_no_division_by_zero():
    r = official_responses(_posts(), OFFICIAL)
    s = responsiveness_summary(r)
    assert {"questions", "answered", "answer_rate", "median_response_minutes"} <= set(s.columns)
    city = s.loc[s["department"] == "대변인"]
    assert (city["answered"] == 0).all() and city["median_response_minutes"].isna().all()
    assert responsiveness_summary(r.iloc[0:0]).empty


def test_activity_and_overlap():
    posts = _posts()
    act = official_activity(posts, OFFICIAL)
    assert list(act.columns) == ACTIVITY_COLUMNS
    tr = act.set_index("handle").loc["seoul_transport"]
    assert tr["posts"] == 2 and tr["replies_sent"] == 1 and tr["questions"] == 2
    assert tr["answer_rate"] == 0.5 and tr["followers"] == 100_000
    bike = act.set_index("handle").loc["seoul_ddareungi"]
    assert bike["audience"] == 1  # c1 reposted it
    ov = official_overlap(posts, OFFICIAL)
    assert len(ov) == 3 and ov["audience_jaccard"].between(0, 1).all()
    assert not ov["merge_candidate"].any()


def test_overlap_flags_similar_accounts():
    rows = []
    for i in range(6):
        for h in ("h_tr", "h_bike"):
            rows.append(_post(f"x:{h}{i}", h, i, "[교통 안내] 따릉이 대여소 운영 시간 변경 안내"))
        for c in range(6):
            rows.append(
                _post(
                    f"x:c{i}{c}",
                    f"cit{c}",
                    100 + i,
                    "질문",
                    mentions=["@seoul_transport", "@seoul_ddareungi"],
                )
            )
    ov = official_overlap(pd.DataFrame(rows), OFFICIAL)
    pair = ov.loc[(ov["handle_a"] == "seoul_ddareungi") & (ov["handle_b"] == "seoul_transport")]
    assert pair["merge_candidate"].item() and pair["audience_jaccard"].item() == 1.0


def test_empty_inputs():
    assert official_responses(_posts().iloc[0:0], OFFICIAL).empty
    assert official_overlap(_posts(), OFFICIAL.iloc[:1]).empty
    act = official_activity(_posts().iloc[0:0], OFFICIAL)
    assert (act["posts"] == 0).all() and act["engagement_per_post"].isna().all()


def test_inventory_file():
    inv = load_inventory()
    assert list(inv.columns) == INVENTORY_COLUMNS
    assert "seoulcity" in set(inv["handle"]) and inv["handle"].is_unique
