"""Opinion leaders: PageRank on the interaction graph, unknown followers, kinds, determinism."""

from __future__ import annotations

import pandas as pd

from pipeline.analytics.leaders import LEADER_COLUMNS, opinion_leaders


def _posts() -> pd.DataFrame:
    t0 = pd.Timestamp("2025-03-01 09:00", tz="UTC")
    rows = []

    def add(pid, author, area, followers=None, likes=0, **kw):
        rows.append(
            {
                "post_id": pid,
                "channel": kw.pop("channel", "x"),
                "created_at": t0 + pd.Timedelta(minutes=len(rows)),
                "author_hash": author,
                "author_followers": followers,
                "likes": likes,
                "shares": 0,
                "replies": 0,
                "policy_area": area,
                "reply_to": kw.get("reply_to"),
                "repost_of": kw.get("repost_of"),
                "quote_of": kw.get("quote_of"),
                "mentions": kw.get("mentions", []),
            }
        )

    add("x:1", "hub", "transport_urban", followers=5000, likes=50)
    add("n:1", "paper", "transport_urban", followers=None, channel="news")
    for i in range(8):
        add(f"x:r{i}", f"u{i}", "transport_urban", followers=10 + i, repost_of="x:1")
    add("x:m", "u1", "transport_urban", mentions=["@seoulcity"])
    add("x:q", "u2", "safety_environment", quote_of="x:1")
    add("x:d", "u3", "transport_urban", reply_to="x:deleted")  # parent not in the frame
    add("x:nofollow", "ghost", "animals")  # no followers field at all
    df = pd.DataFrame(rows)
    df["author_followers"] = df["author_followers"].astype("Int64")
    return df


def test_leaders_rank_hub_first_and_columns():
    out = opinion_leaders(_posts(), window_days=7)
    assert list(out.columns) == LEADER_COLUMNS
    top = out.loc[out["policy_area"] == "all"].iloc[0]
    assert top["author_hash"] == "hub" and top["rank"] == 1
    assert set(out["policy_area"]) >= {"all", "transport_urban", "animals"}
    assert (
        out.groupby("policy_area")["rank"]
        .apply(lambda r: list(r) == list(range(1, len(r) + 1)))
        .all()
    )


def test_missing_followers_is_unknown_not_a_crash():
    posts = _posts().drop(columns=["author_followers"])
    out = opinion_leaders(posts, window_days=None)
    assert out["followers"].isna().all()
    assert out["score"].between(0, 1).all()
    ghost = opinion_leaders(_posts(), window_days=7)
    g = ghost.loc[ghost["author_hash"] == "ghost"].iloc[0]
    assert pd.isna(g["followers"]) and 0 <= g["score"] <= 1


def test_kinds_from_accounts_and_channel():
    accounts = pd.DataFrame(
        {
            "author_hash": ["hub", "u1", "sc"],
            "kind": ["influencer", "citizen", "official"],
            "handle": ["hubby", "u_one", "seoulcity"],
        }
    )
    posts = pd.concat(
        [
            _posts(),
            pd.DataFrame(
                [
                    {
                        "post_id": "x:sc",
                        "channel": "x",
                        "created_at": pd.Timestamp("2025-03-01 12:00", tz="UTC"),
                        "author_hash": "sc",
                        "policy_area": "administration",
                        "likes": 1,
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    out = opinion_leaders(posts, window_days=7, accounts=accounts)
    kinds = dict(
        zip(
            out.loc[out["policy_area"] == "all", "author_hash"],
            out.loc[out["policy_area"] == "all", "kind"],
        )
    )
    assert kinds["hub"] == "individual" and kinds["sc"] == "official"
    assert kinds["paper"] == "media" and kinds["u3"] == "unknown"
    # the mention of @seoulcity became an edge: it has PageRank above a lone account's
    allr = out.loc[out["policy_area"] == "all"].set_index("author_hash")
    assert allr.loc["sc", "pagerank"] > allr.loc["ghost", "pagerank"]


def test_empty_and_deterministic():
    assert opinion_leaders(_posts().iloc[0:0], window_days=7).empty
    a = opinion_leaders(_posts(), window_days=7)
    b = opinion_leaders(_posts().sample(frac=1, random_state=1), window_days=7)
    pd.testing.assert_frame_equal(a, b)


def test_exclude_authors():
    out = opinion_leaders(_posts(), window_days=7, exclude_authors={"hub"})
    assert "hub" not in set(out["author_hash"])
