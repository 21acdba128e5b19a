"""Times the hourly signal update on a 50,000-post day (`make bench`).

Simulates `--history-days` days of history plus one day at `--posts-per-day` (default 50,000),
builds the analysed-post frame directly from the simulator (a light mapping: hashtags, mentions and
references parsed, duplicates = reposts and exact text copies, NLP labels from the simulator's truth,
keywords = Hangul words): this script measures the signal stage, not cleaning or NLP. Then times

- the hourly update for the last hour: series of that hour + the baseline from the history series +
  detection (with sample posts), which is what `minsim_hourly` runs;
- the same for the whole day at once;
- coordination flags over the day, which the pipeline computes before the series.

Target (issue 7): the hourly update of a 50,000-post day under 30 s on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.analytics import coordination, trends
from pipeline.schema import SEOUL_TZ
from pipeline.sources.simulator import SimulationConfig, simulate

_TAG = re.compile(r"#([0-9A-Za-z가-힣_]+)")
_MENTION = re.compile(r"(?<![\w.])@([A-Za-z0-9_]{1,30})")
_WORD = re.compile(r"[가-힣]{2,}")
_KEY = re.compile(r"https?://\S+|@\w+|[^0-9A-Za-z가-힣]")


def light_frame(sim, *, dedup: bool = False) -> pd.DataFrame:
    """Analysed-post frame straight from the simulator (no cleaning, truth as NLP labels).

    `dedup`: link reposts, exact and near copies with `pipeline.transforms.dedup` (as the pipeline
    does); else reposts and exact text copies only (fast).
    """
    rows = []
    first_of: dict[str, str] = {}
    for p in sim.posts:
        t = sim.truth[p["id"]]
        ch = p.get("channel", "x")
        pid = f"{ch}:{p['id']}"
        text = p["text"]
        key = _KEY.sub("", text).lower()

        def ref(v: object, ch: str = ch) -> str | None:
            return f"{ch}:{v}" if v else None

        dup = ref(p.get("repost_of")) or (first_of.get(key) if len(key) >= 12 else None)
        first_of.setdefault(key, pid)
        rows.append(
            {
                "post_id": pid,
                "channel": ch,
                "created_at": p["created_at"],
                "text": text,
                "author_hash": p.get("author"),
                "author_followers": p.get("author_followers"),
                "likes": p.get("likes"),
                "shares": p.get("shares"),
                "replies": p.get("replies"),
                "views": p.get("views"),
                "reply_to": ref(p.get("reply_to")),
                "repost_of": ref(p.get("repost_of")),
                "quote_of": ref(p.get("quote_of")),
                "hashtags": sorted({"#" + h for h in _TAG.findall(text)}),
                "mentions": sorted({"@" + m.lower() for m in _MENTION.findall(text)}),
                "duplicate_of": dup,
                "text_key": key,
                "sentiment": t["sentiment"],
                "policy_area": t["policy_area"],
                "districts": list(t["districts"]),
                "keywords": sorted(set(_WORD.findall(text)))[:12],
            }
        )
    df = pd.DataFrame(rows)
    df["created_at"] = pd.to_datetime(df["created_at"], utc=True, format="ISO8601")
    if dedup:
        from pipeline.transforms.dedup import link_duplicates
        from pipeline.transforms.normalize import text_for_analysis, text_key

        df["text_norm"] = df["text"].map(text_for_analysis)
        df["text_key"] = df["text_norm"].map(text_key)
        df = link_duplicates(df)
    return df


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts-per-day", type=int, default=50_000)
    ap.add_argument("--history-days", type=int, default=14)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    days = args.history_days + 1
    start_day = dt.date(2025, 4, 1)
    t = time.perf_counter()
    sim = simulate(
        SimulationConfig(
            start_day=start_day, days=days, posts_per_day=args.posts_per_day, seed=args.seed
        )
    )
    posts = light_frame(sim)
    del sim
    setup = time.perf_counter() - t
    day = start_day + dt.timedelta(days=args.history_days)
    day0 = pd.Timestamp(day).tz_localize(SEOUL_TZ)
    created = posts["created_at"].dt.tz_convert(SEOUL_TZ)
    today = posts.loc[created >= day0]
    t = time.perf_counter()
    history = trends.series_hourly(posts.loc[created < day0])  # in production: read from the table
    hist_s = time.perf_counter() - t
    print(
        f"cpus: {os.cpu_count()} (affinity {len(os.sched_getaffinity(0))}); "
        f"day {day}: {len(today)} posts; history {args.history_days} days "
        f"({len(posts) - len(today)} posts -> {len(history)} series rows, built in "
        f"{hist_s:.1f} s); setup {setup:.1f} s"
    )

    last = day0 + pd.Timedelta(hours=23)
    params = trends.AlertParams()
    # hourly update for the last hour: a fresh process reads history, fits, scores one hour
    t = time.perf_counter()
    hour_posts = today.loc[created.loc[today.index] >= last]
    earlier = trends.series_hourly(
        today.loc[created.loc[today.index] < last].loc[
            lambda d: (
                d["created_at"]
                >= (last - pd.Timedelta(hours=max(params.windows))).tz_convert("UTC")
            )
        ]
    )
    t_series = time.perf_counter()
    cur = trends.series_hourly(hour_posts)
    t_series = time.perf_counter() - t_series
    t_fit = time.perf_counter()
    baseline = trends.fit_baseline(history, start=day0, params=params)
    t_fit = time.perf_counter() - t_fit
    t_det = time.perf_counter()
    alerts_h = trends.detect_alerts(
        pd.concat([history, earlier]), cur, params=params, posts=hour_posts, baseline=baseline
    )
    t_det = time.perf_counter() - t_det
    hourly = time.perf_counter() - t
    print(
        f"hourly update, last hour ({len(hour_posts)} posts): {hourly:.2f} s "
        f"(series {t_series:.2f} s, baseline {t_fit:.2f} s, detection {t_det:.2f} s; "
        f"{len(alerts_h)} alerts)  target < 30 s"
    )

    t = time.perf_counter()
    series_day = trends.series_hourly(today)
    t1 = time.perf_counter() - t
    alerts_d = trends.detect_alerts(history, series_day, params=params, posts=today)
    full = time.perf_counter() - t
    print(
        f"full day at once ({len(today)} posts): {full:.2f} s (series {t1:.2f} s, "
        f"{len(series_day)} rows; {len(alerts_d)} alerts)"
    )

    t = time.perf_counter()
    flagged = coordination.coordinated_accounts(today)
    mask = coordination.exclusion_mask(today, flagged)
    print(
        f"coordination over the day: {time.perf_counter() - t:.2f} s "
        f"({len(flagged)} flags, {int(mask.sum())} posts excluded)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MiB")
    print(
        json.dumps(
            {
                "posts_day": len(today),
                "hourly_update_s": round(hourly, 2),
                "full_day_s": round(full, 2),
                "target_s": 30,
                "peak_mb": round(peak),
            }
        )
    )


if __name__ == "__main__":
    main()
