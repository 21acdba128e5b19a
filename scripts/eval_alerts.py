"""Scores the alert detector against the simulator's planted events (`make eval`).

1. A seeded 28-day simulation with planted events: series for every day, then detection hour by
   hour (history: the previous days; alerts merged across hours as the hourly DAG does) over every
   day from day `--warmup` on; prints precision, recall and the median delay in hour buckets, and
   one line per planted event. `coordinated` events (bot campaigns) are scored against
   `coordination.coordinated_accounts`, whose posts are excluded from the series.
2. A simulated month without planted events: false alerts per policy area per week.

NLP labels: the simulator's ground truth (sentiment, policy area, districts) stands in for the
model output, so the figures measure the detector, not the classifiers; the script says which was
used. Targets (issue 7): recall >= 0.9, precision >= 0.8, median delay <= 1 bucket, <= 1 false
alert per policy area per week.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import re
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline.analytics import coordination, trends
from pipeline.schema import POLICY_AREAS, SEOUL_TZ
from pipeline.sources.simulator import SimulationConfig, simulate
from pipeline.transforms.dedup import link_duplicates
from pipeline.transforms.normalize import Record, posts_clean

SALT = "eval-salt"
_WORD = re.compile(r"[가-힣]{2,}")


def cheap_keywords(text: str) -> list[str]:
    """Stand-in keywords (Hangul words of 2+ characters) where no NLP stage ran."""
    return sorted(set(_WORD.findall(text or "")))[:12]


def analysed_posts(sim, *, salt: str = SALT, transforms: bool = False) -> tuple[pd.DataFrame, str]:
    """Simulated posts with NLP labels from the simulator's truth; returns (posts, description).

    `transforms`: through the pipeline's own `posts_clean` + `link_duplicates` (slow, ~2k
    posts/s); else the light mapping of `bench_hourly.light_frame` (reposts and exact copies as
    duplicates, near copies by `pipeline.transforms.dedup`).
    """
    label = "simulator truth (sentiment, policy area, districts) standing in for pipeline.nlp"
    if not transforms:
        from bench_hourly import light_frame

        return light_frame(sim, dedup=True), label + "; light post mapping + pipeline dedup"
    recs = [Record(i + 1, p) for i, p in enumerate(sim.posts)]
    last = max(pd.Timestamp(p["created_at"]) for p in sim.posts)
    posts, _, _ = posts_clean(
        recs,
        source="simulator",
        default_channel=None,
        salt=salt,
        now=(last + pd.Timedelta(hours=1)).to_pydatetime(),
    )
    posts = link_duplicates(posts)
    truth = sim.truth
    sid = posts["source_id"]
    posts["sentiment"] = [truth[s]["sentiment"] for s in sid]
    posts["policy_area"] = [truth[s]["policy_area"] for s in sid]
    posts["districts"] = [list(truth[s]["districts"]) for s in sid]
    posts["sentiment_score"] = posts["sentiment"].map(
        {"negative": -0.7, "neutral": 0.0, "positive": 0.7}
    )
    posts["keywords"] = posts["text_norm"].map(cheap_keywords)
    return posts.reset_index(drop=True), label + "; pipeline.transforms clean + dedup"


def _coord_params(sim, transforms: bool) -> coordination.CoordinationParams:
    """Official accounts are never flagged (the lead's flows pass their hashes the same way)."""
    from pipeline.transforms.normalize import author_hash

    handles = [a["author"] for a in sim.accounts if a["kind"] == "official"]
    ids = {author_hash(h, SALT) for h in handles} if transforms else set(handles)
    return coordination.CoordinationParams(ignore_authors=frozenset(ids))


def run_hourly(
    posts: pd.DataFrame, days: list[dt.date], params: trends.AlertParams, exclude: pd.Series | None
) -> pd.DataFrame:
    """Series per day, then detection hour by hour with alerts merged across hours."""
    series = trends.series_hourly(posts, exclude=exclude)
    alerts = pd.DataFrame(columns=trends.ALERT_COLUMNS)
    created = pd.to_datetime(posts["created_at"], utc=True).dt.tz_convert(SEOUL_TZ)
    span = pd.Timedelta(hours=max(params.windows))
    for day in days:
        start = pd.Timestamp(day).tz_localize(SEOUL_TZ)
        window = series.loc[
            (series["bucket"] < start + pd.Timedelta(days=1))
            & (series["bucket"] >= start - pd.Timedelta(days=params.baseline_days))
        ]
        baseline = trends.fit_baseline(window, start=start, params=params)  # once per day
        for hour in trends.hours_of(day):
            # with a fitted baseline only the trailing window hours of history are read
            history = window.loc[(window["bucket"] < hour) & (window["bucket"] >= hour - span)]
            current = window.loc[window["bucket"] == hour]
            hour_posts = posts.loc[(created >= hour) & (created < hour + pd.Timedelta(hours=1))]
            new = trends.detect_alerts(
                history, current, params=params, posts=hour_posts, baseline=baseline
            )
            if new.empty:
                continue
            upd = trends.merge_alerts(alerts, new, params=params)
            alerts = pd.concat(
                [alerts.loc[~alerts["alert_id"].isin(upd["alert_id"])], upd], ignore_index=True
            )
    return alerts.sort_values(["bucket", "kind", "key"], ignore_index=True)


def evaluate_events(
    seed: int,
    days: int,
    ppd: int,
    warmup: int,
    params: trends.AlertParams,
    verbose: bool,
    transforms: bool = False,
) -> dict:
    start_day = dt.date(2025, 3, 3)
    sim = simulate(
        SimulationConfig(
            start_day=start_day, days=days, posts_per_day=ppd, seed=seed, planted_events=True
        )
    )
    posts, label_source = analysed_posts(sim, transforms=transforms)
    t0 = time.perf_counter()
    flagged = coordination.coordinated_accounts(posts, params=_coord_params(sim, transforms))
    mask = coordination.exclusion_mask(posts, flagged)
    eval_days = [start_day + dt.timedelta(days=d) for d in range(warmup, days)]
    alerts = run_hourly(posts, eval_days, params, mask)
    elapsed = time.perf_counter() - t0
    events = pd.DataFrame(sim.events)
    first = pd.Timestamp(eval_days[0]).tz_localize(SEOUL_TZ)
    events = events.loc[pd.to_datetime(events["end"], utc=True) >= first]
    coord = events.loc[events["kind"] == "coordinated"]
    alert_events = events.loc[events["kind"] != "coordinated"]
    res = trends.score_alerts(alerts, alert_events)
    # a coordinated event counts as caught when a copy cluster starts inside it
    caught_coord = 0
    for ev in coord.itertuples():
        s, e = pd.Timestamp(ev.start), pd.Timestamp(ev.end) + pd.Timedelta(hours=1)
        fs = pd.to_datetime(
            flagged.loc[flagged["reason"] == "copy_cluster", "first_seen"], utc=True
        )
        caught_coord += int(((fs >= s) & (fs <= e)).any())
    detected = res["detected"] + caught_coord
    res["recall_all"] = detected / len(events) if len(events) else float("nan")
    res["coordinated_events"] = len(coord)
    res["coordinated_caught"] = caught_coord
    res["label_source"] = label_source
    res["seconds"] = elapsed
    res["posts"] = len(posts)
    res["excluded_posts"] = int(mask.sum())
    if verbose:
        ev = trends._event_frame(alert_events)
        for _, er in ev.iterrows():
            hits = [a for _, a in alerts.iterrows() if trends.alert_matches(a, er)]
            first_b = min((pd.Timestamp(a["bucket"]) for a in hits), default=None)
            delay = (
                (first_b - er["start"]) / pd.Timedelta(hours=1) if first_b is not None else None
            )
            print(
                f"  event {er['event_id']:<24} {er['kind']:<17} {er['policy_area']:<19} "
                f"{er['district']!s:<5} alerts={len(hits)} delay={delay}"
            )
        fp = [
            a
            for _, a in alerts.iterrows()
            if not any(trends.alert_matches(a, er) for _, er in ev.iterrows())
        ]
        for a in fp:
            print(
                f"  false alert {a['bucket']} {a['kind']:<17} {a['key']:<28} "
                f"obs={a['observed']} exp={a['expected']} score={a['score']}"
            )
    return res


def false_alerts_month(
    seed: int,
    days: int,
    ppd: int,
    warmup: int,
    params: trends.AlertParams,
    verbose: bool,
    transforms: bool = False,
) -> tuple[pd.DataFrame, float]:
    start_day = dt.date(2025, 5, 5)
    sim = simulate(
        SimulationConfig(
            start_day=start_day, days=days, posts_per_day=ppd, seed=seed, planted_events=False
        )
    )
    posts, _ = analysed_posts(sim, transforms=transforms)
    flagged = coordination.coordinated_accounts(posts, params=_coord_params(sim, transforms))
    mask = coordination.exclusion_mask(posts, flagged)
    eval_days = [start_day + dt.timedelta(days=d) for d in range(warmup, days)]
    alerts = run_hourly(posts, eval_days, params, mask)
    weeks = len(eval_days) / 7.0
    area = alerts["policy_area"].fillna("(none)") if not alerts.empty else pd.Series([], dtype=str)
    counts = area.value_counts()
    rows = [
        {
            "policy_area": a,
            "false_alerts": int(counts.get(a, 0)),
            "per_week": round(counts.get(a, 0) / weeks, 2),
        }
        for a in list(POLICY_AREAS) + (["(none)"] if "(none)" in counts else [])
    ]
    if verbose and not alerts.empty:
        for a in alerts.itertuples():
            print(
                f"  false alert {a.bucket} {a.kind:<17} {a.key:<28} obs={a.observed} "
                f"exp={a.expected} score={a.score}"
            )
    return pd.DataFrame(rows), weeks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--days", type=int, default=21)
    ap.add_argument("--posts-per-day", type=int, default=10_000)
    ap.add_argument("--warmup", type=int, default=3, help="days of history before scoring")
    ap.add_argument("--quiet-days", type=int, default=30, help="length of the no-event run")
    ap.add_argument(
        "--transforms",
        action="store_true",
        help="map posts through pipeline.transforms (clean + dedup); slower",
    )
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    params = trends.AlertParams()
    res = evaluate_events(
        args.seed,
        args.days,
        args.posts_per_day,
        args.warmup,
        params,
        args.verbose,
        args.transforms,
    )
    print(f"labels: {res['label_source']}")
    print(
        f"planted events ({args.days} days x {args.posts_per_day} posts/day, seed {args.seed}, "
        f"scored from day {args.warmup}; {res['posts']} posts, {res['excluded_posts']} excluded "
        f"as coordinated)"
    )
    print(
        f"  alert events: {res['events']}  detected: {res['detected']}  alerts: {res['alerts']}"
        f"  true alerts: {res['true_alerts']}"
    )
    print(
        f"  precision {res['precision']:.3f}  recall {res['recall']:.3f}  "
        f"median delay {res['median_delay']:.1f} buckets  (target >= 0.8, >= 0.9, <= 1)"
    )
    print(
        f"  coordinated events caught by coordination: {res['coordinated_caught']}/"
        f"{res['coordinated_events']}; recall over all planted events {res['recall_all']:.3f}"
    )
    print(f"  detection time {res['seconds']:.1f} s")
    fa, weeks = false_alerts_month(
        args.seed + 1,
        args.quiet_days,
        args.posts_per_day,
        args.warmup,
        params,
        args.verbose,
        args.transforms,
    )
    print(
        f"no planted events ({args.quiet_days} days, {weeks:.1f} weeks scored): false alerts per "
        f"policy area per week (target <= 1)"
    )
    for r in fa.itertuples():
        print(f"  {r.policy_area:<20} {r.false_alerts:>3}  {r.per_week:.2f}/week")
    print(f"  max {fa['per_week'].max():.2f}/week, total {int(fa['false_alerts'].sum())}")
    summary = {
        "eval": "alerts",
        "days": args.days,
        "posts_per_day": args.posts_per_day,
        "seed": args.seed,
        **{
            k: res[k]
            for k in (
                "posts", "events", "detected", "alerts", "true_alerts", "precision", "recall",
                "median_delay", "coordinated_caught", "coordinated_events", "recall_all", "seconds",
            )
        },
        "quiet_days": args.quiet_days,
        "quiet_weeks": round(float(weeks), 2),
        "false_alerts_total": int(fa["false_alerts"].sum()),
        "false_alerts_max_per_week": round(float(fa["per_week"].max()), 3),
    }
    print(json.dumps(summary, ensure_ascii=False, default=float))


if __name__ == "__main__":
    main()
