"""Opinion leaders (오피니언 리더): accounts ranked by reach and influence per policy area.

Three signals, each turned into a percentile among the accounts of the same policy area, then
averaged with weights: followers (reach), engagement their posts received (likes, shares, replies)
and PageRank on the interaction graph (an edge from the author of a repost, quote, reply or mention
to the account it points at). A missing followers count is unknown, not zero: that signal is left
out of the account's average instead. A reply to a post that is not in the frame (deleted, outside
the window) simply adds no edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

ACCOUNT_KINDS = ("official", "media", "organisation", "individual", "unknown")
LEADER_COLUMNS = [
    "policy_area",
    "author_hash",
    "kind",
    "posts",
    "followers",
    "engagement",
    "pagerank",
    "score",
    "rank",
]
_KIND_SYNONYMS = {
    "official": "official",
    "city": "official",
    "government": "official",
    "gov": "official",
    "media": "media",
    "news": "media",
    "press": "media",
    "journalist": "media",
    "organisation": "organisation",
    "organization": "organisation",
    "org": "organisation",
    "ngo": "organisation",
    "group": "organisation",
    "business": "organisation",
    "individual": "individual",
    "citizen": "individual",
    "person": "individual",
    "influencer": "individual",
    "user": "individual",
}


@dataclass(frozen=True)
class LeaderParams:
    w_followers: float = 1.0
    w_engagement: float = 1.0
    w_pagerank: float = 1.5
    edge_repost: float = 1.0
    edge_quote: float = 1.0
    edge_reply: float = 0.5
    edge_mention: float = 0.5
    damping: float = 0.85
    top_n: int = 20
    min_posts: int = 1


def _kind(value: object) -> str:
    if not isinstance(value, str):
        return "unknown"
    return _KIND_SYNONYMS.get(value.strip().lower(), "unknown")


def _window(
    posts: pd.DataFrame, window_days: int | None, end: pd.Timestamp | None
) -> pd.DataFrame:
    if posts.empty or not window_days:
        return posts
    created = pd.to_datetime(posts["created_at"], utc=True)
    if end is None:
        stop = created.max()
    else:
        stop = pd.Timestamp(end)
        stop = stop.tz_localize("UTC") if stop.tzinfo is None else stop.tz_convert("UTC")
    keep = (created > stop - pd.Timedelta(days=window_days)) & (created <= stop)
    return posts.loc[keep]


def _edges(
    posts: pd.DataFrame, author_of: dict[str, str], handle_to_hash: dict[str, str], p: LeaderParams
) -> pd.DataFrame:
    """Weighted edges (source author, target author, policy area of the source post)."""
    area = posts["policy_area"] if "policy_area" in posts.columns else "other"
    base = pd.DataFrame({"src": posts["author_hash"], "area": area}, index=posts.index)
    parts = []
    for col, w in (
        ("repost_of", p.edge_repost),
        ("quote_of", p.edge_quote),
        ("reply_to", p.edge_reply),
    ):
        if col not in posts.columns:
            continue
        tgt = posts[col].map(lambda v: author_of.get(v) if isinstance(v, str) else None)
        parts.append(base.assign(dst=tgt, w=w))
    if "mentions" in posts.columns and handle_to_hash:
        m = base.assign(
            mention=posts["mentions"].map(
                lambda v: list(v) if isinstance(v, (list, tuple, np.ndarray)) else []
            )
        )
        m = m.explode("mention").dropna(subset=["mention"])
        m["dst"] = m["mention"].map(lambda h: handle_to_hash.get(str(h).lstrip("@").lower()))
        parts.append(m.drop(columns="mention").assign(w=p.edge_mention))
    if not parts:
        return pd.DataFrame(columns=["src", "dst", "area", "w"])
    e = pd.concat(parts, ignore_index=True).dropna(subset=["src", "dst"])
    e = e.loc[e["src"] != e["dst"]]
    return e.groupby(["src", "dst", "area"], as_index=False, sort=True)["w"].sum()


def _pagerank(edges: pd.DataFrame, nodes: list[str], damping: float) -> dict[str, float]:
    g = nx.DiGraph()
    g.add_nodes_from(sorted(nodes))
    agg = edges.groupby(["src", "dst"], sort=True)["w"].sum()
    g.add_weighted_edges_from((s, d, float(w)) for (s, d), w in agg.items())
    if g.number_of_nodes() == 0:
        return {}
    if g.number_of_edges() == 0:
        return {n: 1.0 / g.number_of_nodes() for n in g.nodes}
    return nx.pagerank(g, alpha=damping, weight="weight", max_iter=200, tol=1e-10)


def _pct(s: pd.Series) -> pd.Series:
    """Percentile rank in (0, 1]; NaN stays NaN (unknown)."""
    return s.rank(pct=True, method="average")


def opinion_leaders(
    posts: pd.DataFrame,
    *,
    window_days: int | None = 7,
    accounts: pd.DataFrame | None = None,
    end: pd.Timestamp | None = None,
    exclude_authors: set[str] | frozenset[str] | None = None,
    params: LeaderParams | None = None,
) -> pd.DataFrame:
    """The top `params.top_n` accounts per policy area and overall ('all'), `LEADER_COLUMNS`.

    `accounts` (optional): author_hash plus any of kind, followers, handle. `kind` labels
    official/media/organisation/individual (synonyms such as citizen, news, org are mapped);
    `handle` lets '@handle' mentions count as edges. Without it, an author whose posts all come
    from the `news` channel is 'media', others 'unknown'. `exclude_authors`: e.g. accounts flagged by
    `coordination.coordinated_accounts`.
    """
    p = params or LeaderParams()
    if posts is None or posts.empty:
        return pd.DataFrame(columns=LEADER_COLUMNS)
    w = _window(posts, window_days, end)
    w = w.loc[w["author_hash"].notna()]
    if exclude_authors:
        w = w.loc[~w["author_hash"].isin(set(exclude_authors))]
    if w.empty:
        return pd.DataFrame(columns=LEADER_COLUMNS)
    w = w.copy()
    if "policy_area" not in w.columns:
        w["policy_area"] = "other"
    w["policy_area"] = w["policy_area"].fillna("other")

    handle_to_hash: dict[str, str] = {}
    kinds: dict[str, str] = {}
    acc_followers: dict[str, float] = {}
    if accounts is not None and not accounts.empty and "author_hash" in accounts.columns:
        acc = accounts.dropna(subset=["author_hash"])
        if "handle" in acc.columns:
            handle_to_hash = {
                str(h).lstrip("@").lower(): a
                for h, a in zip(acc["handle"], acc["author_hash"])
                if isinstance(h, str)
            }
        if "kind" in acc.columns:
            kinds = {a: _kind(k) for a, k in zip(acc["author_hash"], acc["kind"])}
        if "followers" in acc.columns:
            f = pd.to_numeric(acc["followers"], errors="coerce")
            acc_followers = {a: v for a, v in zip(acc["author_hash"], f) if pd.notna(v)}

    eng = pd.Series(0.0, index=w.index)
    for c in ("likes", "shares", "replies"):
        if c in w.columns:
            eng = eng + pd.to_numeric(w[c], errors="coerce").fillna(0).astype(float)
    w["_eng"] = eng
    fol = (
        pd.to_numeric(w["author_followers"], errors="coerce")
        if "author_followers" in w.columns
        else pd.Series(np.nan, index=w.index)
    )
    w["_fol"] = fol.astype(float)
    news_only = None
    if "channel" in w.columns:
        news_only = w.groupby("author_hash")["channel"].agg(lambda c: bool((c == "news").all()))

    # targets are looked up among all posts given: a reply to an older post still counts
    author_of = dict(zip(posts["post_id"], posts["author_hash"]))
    edges = _edges(w, author_of, handle_to_hash, p)
    out = []
    for area in ["all"] + sorted(w["policy_area"].unique()):
        sub = w if area == "all" else w.loc[w["policy_area"] == area]
        e = edges if area == "all" else edges.loc[edges["area"] == area]
        g = sub.groupby("author_hash", sort=True).agg(
            posts=("post_id", "size"), engagement=("_eng", "sum"), followers=("_fol", "max")
        )
        g = g.loc[g["posts"] >= p.min_posts]
        if g.empty:
            continue
        known = g.index.to_series().map(acc_followers)
        g["followers"] = g["followers"].where(g["followers"].notna(), known)
        nodes = sorted(set(g.index) | set(e["src"]) | set(e["dst"]))
        pr = _pagerank(e, nodes, p.damping)
        g["pagerank"] = g.index.to_series().map(pr).fillna(0.0)
        comps = pd.DataFrame(
            {
                "f": _pct(np.log1p(g["followers"])) * p.w_followers,
                "e": _pct(np.log1p(g["engagement"])) * p.w_engagement,
                "p": _pct(g["pagerank"]) * p.w_pagerank,
            }
        )
        weights = pd.DataFrame(
            {
                "f": g["followers"].notna() * p.w_followers,
                "e": p.w_engagement,
                "p": p.w_pagerank,
            },
            index=g.index,
        )
        g["score"] = (comps.sum(axis=1, min_count=1) / weights.sum(axis=1)).round(6)
        g = g.reset_index()
        g["policy_area"] = area
        g["kind"] = [
            kinds.get(a)
            or ("media" if news_only is not None and news_only.get(a, False) else "unknown")
            for a in g["author_hash"]
        ]
        g = g.sort_values(["score", "pagerank", "author_hash"], ascending=[False, False, True])
        g = g.head(p.top_n)
        g["rank"] = np.arange(1, len(g) + 1)
        out.append(g)
    if not out:
        return pd.DataFrame(columns=LEADER_COLUMNS)
    res = pd.concat(out, ignore_index=True)
    res["followers"] = res["followers"].round().astype("Int64")
    res["posts"] = res["posts"].astype("int64")
    res["pagerank"] = res["pagerank"].round(8)
    return res[LEADER_COLUMNS]
