"""Daily opinion aggregates (pure)."""

from __future__ import annotations

import pandas as pd

from pipeline.schema import NO_DISTRICT

OPINION_DAILY_COLUMNS = ("day", "policy_area", "district", "channel", "posts", "negative",
                         "neutral", "positive", "mean_score", "excluded")


def opinion_daily(posts: pd.DataFrame, excluded: pd.Series | None = None) -> pd.DataFrame:
    """Day x policy area x district x channel counts of analysed posts.

    `posts` columns: day, channel, policy_area, districts (list), sentiment, sentiment_score,
    duplicate_of. Duplicates (reposts, copies) are not counted; rows where `excluded` is True
    (coordinated or bot-like accounts) are counted in `excluded` only. A post naming several
    districts counts once in each; a post naming none counts under '미상'.
    """
    if posts.empty:
        return pd.DataFrame(columns=list(OPINION_DAILY_COLUMNS))
    df = posts[posts["duplicate_of"].isna()].copy()
    mask = excluded.reindex(df.index).fillna(False).astype(bool) if excluded is not None else (
        pd.Series(False, index=df.index))
    df["_excluded"] = mask
    df["district"] = [list(d) if d is not None and len(d) else [NO_DISTRICT]
                      for d in df["districts"]]
    df = df.explode("district")
    kept = df[~df["_excluded"]]
    keys = ["day", "policy_area", "district", "channel"]
    counts = (
        kept.assign(
            negative=(kept["sentiment"] == "negative").astype(int),
            neutral=(kept["sentiment"] == "neutral").astype(int),
            positive=(kept["sentiment"] == "positive").astype(int),
        )
        .groupby(keys, sort=True)
        .agg(posts=("sentiment", "size"), negative=("negative", "sum"),
             neutral=("neutral", "sum"), positive=("positive", "sum"),
             mean_score=("sentiment_score", "mean"))
    )
    excl = df[df["_excluded"]].groupby(keys).size().rename("excluded")
    out = counts.join(excl, how="outer").reset_index()
    for c in ("posts", "negative", "neutral", "positive", "excluded"):
        out[c] = out[c].fillna(0).astype("int64")
    out["mean_score"] = out["mean_score"].astype(float).round(6)
    return out[list(OPINION_DAILY_COLUMNS)].sort_values(keys, ignore_index=True)
