"""Coordinated and bot-like activity: copy-paste clusters and machine-like posting rhythm.

Two independent signals, one row per flagged account and reason:

- `copy_cluster`: at least `min_accounts` distinct accounts post the same normalised text (or near
  copies linked by `duplicate_of`, reposts excluded: sharing is not coordination) with gaps of at most
  `window_minutes` between consecutive copies. Very short texts ("좋아요", "ㅋㅋ") are ignored.
- `regular_rhythm` / `high_rate`: an account with at least `min_posts_rhythm` posts whose
  inter-post intervals are nearly constant (coefficient of variation below `max_cv`), or that posts
  `max_posts_per_hour` or more within one hour.

`exclusion_mask` / `exclusion_weights` turn the flags into a per-post mask or weight so aggregates
can exclude or down-weight them; which of the two the pipeline uses is the caller's choice.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

COORDINATION_COLUMNS = [
    "author_hash",
    "reason",
    "cluster_id",
    "posts",
    "first_seen",
    "last_seen",
    "score",
    "post_ids",
]
REASONS = ("copy_cluster", "regular_rhythm", "high_rate")
_KEY_DROP = re.compile(r"https?://\S+|@\w+|#|[^0-9A-Za-z가-힣]")


@dataclass(frozen=True)
class CoordinationParams:
    window_minutes: float = 10.0
    min_accounts: int = 3
    min_key_chars: int = 12
    min_key_chars_reply: int = 30  # stock replies ("어디서 확인할 수 있나요?") repeat naturally
    min_posts_rhythm: int = 12
    max_cv: float = 0.15
    max_posts_per_hour: int = 30
    ignore_authors: frozenset[str] = frozenset()


def _text_key(text: object) -> str:
    if not isinstance(text, str):
        return ""
    return _KEY_DROP.sub("", text).lower()


def _copy_clusters(posts: pd.DataFrame, p: CoordinationParams) -> list[dict]:
    p_ = posts
    if "repost_of" in p_.columns:
        p_ = p_.loc[p_["repost_of"].isna()]
    if "duplicate_kind" in p_.columns:
        p_ = p_.loc[
            p_["duplicate_kind"].astype(object).where(p_["duplicate_kind"].notna(), "") != "repost"
        ]
    if p_.empty:
        return []
    if "text_key" in p_.columns:
        key = p_["text_key"].astype(object).where(p_["text_key"].notna(), None)
        key = key.where(key.notna(), p_["text"].map(_text_key))
    else:
        key = p_["text"].map(_text_key) if "text" in p_.columns else pd.Series("", index=p_.index)
    key_of = dict(zip(p_["post_id"], key))
    if "duplicate_of" in p_.columns:
        # a near copy joins its original's group (the root's key, when the root is present)
        root = p_["duplicate_of"].map(lambda d: key_of.get(d) if isinstance(d, str) else None)
        key = root.where(root.notna(), key)
    f = pd.DataFrame(
        {
            "post_id": p_["post_id"].astype(str),
            "author": p_["author_hash"],
            "t": pd.to_datetime(p_["created_at"], utc=True),
            "key": key.astype(str),
            "reply": p_["reply_to"].notna() if "reply_to" in p_.columns else False,
        }
    ).dropna(subset=["author"])
    need = np.where(f["reply"], p.min_key_chars_reply, p.min_key_chars)
    f = f.loc[f["key"].str.len().to_numpy() >= need]
    f = f.loc[f["key"].duplicated(keep=False)]
    if f.empty:
        return []
    f = f.sort_values(["key", "t", "post_id"], ignore_index=True)
    gap = pd.Timedelta(minutes=p.window_minutes)
    new_burst = (f["key"] != f["key"].shift()) | (f["t"] - f["t"].shift() > gap)
    f["burst"] = new_burst.cumsum()
    n_auth = f.groupby("burst")["author"].transform("nunique")
    f = f.loc[n_auth >= p.min_accounts]
    rows = []
    for _, b in f.groupby("burst", sort=True):
        authors = b["author"].nunique()
        first = b["t"].min()
        cid = (
            "C" + hashlib.sha1(f"{b['key'].iloc[0]}|{first.isoformat()}".encode()).hexdigest()[:12]
        )
        span_min = max((b["t"].max() - first).total_seconds() / 60.0, 1.0)
        # more accounts, faster: closer to 1
        score = float(
            1.0
            - np.exp(-(authors - p.min_accounts + 1) / 3.0)
            * min(1.0, span_min / (p.window_minutes * authors)) ** 0.5
        )
        for a, ap in b.groupby("author", sort=True):
            rows.append(
                {
                    "author_hash": a,
                    "reason": "copy_cluster",
                    "cluster_id": cid,
                    "posts": len(ap),
                    "first_seen": ap["t"].min(),
                    "last_seen": ap["t"].max(),
                    "score": round(score, 4),
                    "post_ids": sorted(ap["post_id"]),
                }
            )
    return rows


def _rhythm(posts: pd.DataFrame, p: CoordinationParams) -> list[dict]:
    f = pd.DataFrame(
        {
            "post_id": posts["post_id"].astype(str),
            "author": posts["author_hash"],
            "t": pd.to_datetime(posts["created_at"], utc=True),
        }
    ).dropna(subset=["author"])
    if f.empty:
        return []
    f = f.sort_values(["author", "t", "post_id"], ignore_index=True)
    n = f.groupby("author", sort=True)["t"].transform("size")
    f = f.loc[n >= 3]
    if f.empty:
        return []
    f["gap"] = f.groupby("author", sort=True)["t"].diff().dt.total_seconds()
    f["hour"] = f["t"].dt.floor("h")
    g = f.groupby("author", sort=True)
    stats = pd.DataFrame(
        {
            "n": g.size(),
            "mean": g["gap"].mean(),
            "std": g["gap"].std(ddof=0),
            "first": g["t"].min(),
            "last": g["t"].max(),
        }
    )
    stats["per_hour"] = f.groupby(["author", "hour"]).size().groupby(level=0).max()
    stats["cv"] = np.where(
        stats["mean"] > 0, stats["std"] / stats["mean"].where(stats["mean"] > 0), 0.0
    )
    regular = (stats["n"] >= p.min_posts_rhythm) & (stats["cv"] <= p.max_cv)
    fast = ~regular & (stats["per_hour"] >= p.max_posts_per_hour)
    flagged = stats.loc[regular | fast]
    if flagged.empty:
        return []
    ids = f.loc[f["author"].isin(flagged.index)].groupby("author")["post_id"].agg(sorted)
    rows = []
    for a, r in flagged.iterrows():
        if regular.loc[a]:
            reason = "regular_rhythm"
            score = round(1.0 - float(r["cv"]) / max(p.max_cv, 1e-9) * 0.5, 4)
        else:
            reason = "high_rate"
            score = round(min(1.0, float(r["per_hour"]) / (2.0 * p.max_posts_per_hour)), 4)
        rows.append(
            {
                "author_hash": a,
                "reason": reason,
                "cluster_id": None,
                "posts": int(r["n"]),
                "first_seen": r["first"],
                "last_seen": r["last"],
                "score": score,
                "post_ids": ids.loc[a],
            }
        )
    return rows


def coordinated_accounts(
    posts: pd.DataFrame, *, params: CoordinationParams | None = None
) -> pd.DataFrame:
    """Flagged accounts, `COORDINATION_COLUMNS` (one row per account x reason x cluster).

    `score` in [0, 1] says how sure the flag is; `post_ids` lists the posts behind it.
    """
    p = params or CoordinationParams()
    if posts is None or posts.empty or "author_hash" not in posts.columns:
        return _empty()
    ps = posts
    if p.ignore_authors:
        ps = ps.loc[~ps["author_hash"].isin(set(p.ignore_authors))]
    rows = _copy_clusters(ps, p) + _rhythm(ps, p)
    if not rows:
        return _empty()
    out = pd.DataFrame(rows, columns=COORDINATION_COLUMNS)
    return out.sort_values(
        ["reason", "cluster_id", "author_hash"], na_position="last", ignore_index=True
    )


def _empty() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series([], dtype=object) for c in COORDINATION_COLUMNS})
    df["posts"] = df["posts"].astype("int64")
    df["score"] = df["score"].astype("float64")
    for c in ("first_seen", "last_seen"):
        df[c] = pd.Series([], dtype="datetime64[ns, UTC]")
    return df


def exclusion_mask(
    posts: pd.DataFrame,
    flagged: pd.DataFrame,
    *,
    mode: str = "posts",
    min_score: float = 0.0,
    reasons: tuple[str, ...] = REASONS,
) -> pd.Series:
    """True for posts to leave out of aggregates (index of `posts`).

    mode 'posts': only the posts behind a flag (the copies, the machine-like account's posts);
    mode 'authors': every post of a flagged account.
    """
    if mode not in ("posts", "authors"):
        raise ValueError("mode must be 'posts' or 'authors'")
    if posts is None or posts.empty or flagged is None or flagged.empty:
        return pd.Series(False, index=posts.index if posts is not None else None, dtype=bool)
    f = flagged.loc[flagged["reason"].isin(reasons) & (flagged["score"] >= min_score)]
    if mode == "authors" or "post_ids" not in f.columns:
        return posts["author_hash"].isin(set(f["author_hash"])).astype(bool)
    ids: set[str] = set()
    for v in f["post_ids"]:
        if isinstance(v, (list, tuple, np.ndarray)):
            ids.update(map(str, v))
    return posts["post_id"].astype(str).isin(ids).astype(bool)


def exclusion_weights(
    posts: pd.DataFrame,
    flagged: pd.DataFrame,
    *,
    weight: float = 0.0,
    mode: str = "posts",
    min_score: float = 0.0,
) -> pd.Series:
    """Per-post weight: `weight` (0 = exclude, e.g. 0.2 = down-weight) for flagged posts, else 1."""
    mask = exclusion_mask(posts, flagged, mode=mode, min_score=min_score)
    return pd.Series(np.where(mask.to_numpy(), float(weight), 1.0), index=posts.index)
