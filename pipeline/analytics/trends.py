"""Hourly series per hashtag, keyword, policy area and district, and burst alerts against each
series' own baseline.

Series (`series_hourly`): one row per hour bucket (hour start, Asia/Seoul) x kind x key with the
number of posts, of negative posts and of distinct authors, beside `total`, all posts of that hour.
Duplicates (reposts, copies: `duplicate_of` set) are left out unless asked for, so a copy-paste
campaign does not look like a burst.

Detection (`detect_alerts`) is a Gamma-Poisson model of a series' share of the hour's traffic:

- the share is estimated from the previous `baseline_days` of history, shrunk towards a prior (a
  district's negative share is seeded with area negativity x district share, so a sparse or brand-new
  series has a sensible baseline and nothing divides by zero);
- the expected count of hour t is ``total_t x share x f_hour x f_weekday``: using the hour's total
  carries the city-wide day and week rhythm, and the per-series hour-of-day and day-of-week factors
  (each shrunk towards 1 by a pseudo-count) carry the series' own rhythm;
- the observed count is scored with the negative-binomial predictive tail P(X >= observed), whose size
  is the posterior count (few past posts -> wide predictive, low counts handled properly) capped by
  a dispersion parameter for the overdispersion of real traffic; score = -log10 p.

An alert also needs a minimum count, excess and ratio over the expected count. A hashtag never
seen in the history is scored against a small prior rate (`new_hashtag`) and needs posts from several
distinct authors. Consecutive hours of the same series are merged into one alert (`merge_alerts`
does the same across hourly runs), and an area-wide negativity alert is dropped when a district of
that area already explains it in the same hour.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.schema import NO_DISTRICT, POLICY_AREAS, SEOUL_TZ

SERIES_KINDS = ("total", "hashtag", "keyword", "policy_area", "district", "area_district_negative")
SERIES_COLUMNS = ["bucket", "kind", "key", "count", "negative", "total", "authors"]
ALERT_KINDS = ("negativity_spike", "volume_burst", "hashtag_burst", "new_hashtag")
ALERT_COLUMNS = [
    "alert_id",
    "detected_at",
    "bucket",
    "last_bucket",
    "kind",
    "series_kind",
    "policy_area",
    "district",
    "key",
    "observed",
    "expected",
    "window_hours",
    "score",
    "severity",
    "sample_post_ids",
    "status",
    "message_ko",
]
EVAL_COLUMNS = [
    "precision",
    "recall",
    "median_delay",
    "alerts",
    "true_alerts",
    "events",
    "detected",
]
_SEP = "|"
_HOUR = pd.Timedelta(hours=1)


@dataclass(frozen=True)
class AlertParams:
    """Knobs of `detect_alerts`; defaults tuned by `scripts/eval_alerts.py`."""

    baseline_days: int = 14
    min_history_days: int = 3
    prior_weight: float = 200.0  # posts of pseudo-history behind a series' prior share
    hour_shrink: float = 20.0  # pseudo-count pulling a series' hour-of-day factor to 1
    weekday_shrink: float = 40.0  # pseudo-count pulling its day-of-week factor to 1
    dispersion: float = 30.0  # NB size cap: variance >= mu + mu^2 / dispersion
    min_score: float = 6.0  # -log10 p
    medium_score: float = 9.0
    high_score: float = 14.0
    min_count: int = 8
    min_negative: int = 6
    min_excess: float = 5.0
    min_ratio: float = 2.0
    min_authors: int = 3
    new_hashtag_share: float = 2e-4  # prior share of the hour's posts for an unseen hashtag
    new_hashtag_min_count: int = 8
    windows: tuple[int, ...] = (1, 3, 6)  # trailing hours summed: slow events show over hours
    window_penalty: float = 0.5  # extra -log10 p a multi-hour window needs (more tests)
    merge_gap_hours: int = 3  # a pause of up to 2 quiet hours continues the same alert
    samples: int = 5


# ---------------------------------------------------------------------------------------------
# series


def _seoul(ts: pd.Series) -> pd.Series:
    return pd.to_datetime(ts, utc=True).dt.tz_convert(SEOUL_TZ)


def _list_col(posts: pd.DataFrame, col: str) -> pd.Series:
    if col not in posts.columns:
        return pd.Series([[] for _ in range(len(posts))], index=posts.index, dtype=object)
    return posts[col].map(lambda v: list(v) if isinstance(v, (list, tuple, np.ndarray)) else [])


def _select(
    posts: pd.DataFrame, *, day: date | None, exclude: pd.Series | None, include_duplicates: bool
) -> pd.DataFrame:
    keep = pd.Series(True, index=posts.index)
    if not include_duplicates and "duplicate_of" in posts.columns:
        keep &= posts["duplicate_of"].isna()
    if exclude is not None:
        keep &= ~exclude.reindex(posts.index, fill_value=False).astype(bool)
    p = posts.loc[keep]
    out = pd.DataFrame(index=p.index)
    out["post_id"] = p["post_id"].astype(str)
    out["bucket"] = _seoul(p["created_at"]).dt.floor("h")
    if day is not None:
        sel = out["bucket"].dt.date == pd.Timestamp(day).date()
        p, out = p.loc[sel], out.loc[sel]
    sent = p["sentiment"] if "sentiment" in p.columns else pd.Series(None, index=p.index)
    out["neg"] = (sent == "negative").fillna(False).astype(bool)
    out["author"] = p["author_hash"].astype(object) if "author_hash" in p.columns else None
    area = p["policy_area"] if "policy_area" in p.columns else pd.Series(None, index=p.index)
    out["area"] = area.astype(object).where(area.notna(), "other")
    eng = pd.Series(0.0, index=p.index)
    for c in ("likes", "shares", "replies"):
        if c in p.columns:
            eng = eng + pd.to_numeric(p[c], errors="coerce").fillna(0).astype(float)
    out["eng"] = eng
    out["hashtags"] = _list_col(p, "hashtags")
    out["keywords"] = _list_col(p, "keywords")
    out["districts"] = _list_col(p, "districts").map(lambda d: sorted(set(d)) or [NO_DISTRICT])
    return out


def _long(sel: pd.DataFrame, *, keywords: bool = True) -> pd.DataFrame:
    """One row per (post, kind, key) a post counts in."""
    base = ["post_id", "bucket", "neg", "author", "eng", "area"]
    parts = []

    def add(kind: str, frame: pd.DataFrame, key: pd.Series) -> None:
        f = frame[base].copy()
        f["kind"] = kind
        f["key"] = key.astype(str).to_numpy()
        parts.append(f)

    add("total", sel, pd.Series("all", index=sel.index))
    add("policy_area", sel, sel["area"])
    dist = sel[base + ["districts"]].explode("districts")
    add("district", dist, dist["districts"])
    add("area_district_negative", dist, dist["area"] + _SEP + dist["districts"])
    for kind, col in (("hashtag", "hashtags"), ("keyword", "keywords")):
        if kind == "keyword" and not keywords:
            continue
        ex = sel[base + [col]].explode(col).dropna(subset=[col])
        ex = ex.loc[ex[col].astype(str) != ""]
        add(kind, ex, ex[col])
    long = pd.concat(parts, ignore_index=True)
    return long.drop_duplicates(["post_id", "kind", "key"])


def _aggregate(long: pd.DataFrame) -> pd.DataFrame:
    if long.empty:
        return _empty_series()
    g = long.groupby(["bucket", "kind", "key"], sort=True, observed=True)
    out = g.agg(count=("post_id", "size"), negative=("neg", "sum"), authors=("author", "nunique"))
    out = out.reset_index()
    totals = out.loc[out["kind"] == "total", ["bucket", "count"]].rename(
        columns={"count": "total"}
    )
    out = out.merge(totals, on="bucket", how="left")
    for c in ("count", "negative", "total", "authors"):
        out[c] = out[c].astype("int64")
    return out[SERIES_COLUMNS].sort_values(["bucket", "kind", "key"], ignore_index=True)


def _empty_series() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "bucket": pd.Series([], dtype=f"datetime64[ns, {SEOUL_TZ}]"),
            "kind": pd.Series([], dtype=object),
            "key": pd.Series([], dtype=object),
            "count": pd.Series([], dtype="int64"),
            "negative": pd.Series([], dtype="int64"),
            "total": pd.Series([], dtype="int64"),
            "authors": pd.Series([], dtype="int64"),
        }
    )


def series_hourly(
    posts: pd.DataFrame,
    *,
    day: date | None = None,
    exclude: pd.Series | None = None,
    include_duplicates: bool = False,
    keywords: bool = True,
) -> pd.DataFrame:
    """Hourly series rows [bucket, kind, key, count, negative, total, authors].

    `day` keeps the buckets of that Asia/Seoul day only; `exclude` (bool per post, e.g.
    `coordination.exclusion_mask`) leaves flagged posts out. Keys: hashtags as written ('#따릉이'),
    keywords, policy-area codes, district names ('미상' when none), 'area|district' for
    `area_district_negative`; kind 'total' (key 'all') counts every post of the hour.
    """
    if posts.empty:
        return _empty_series()
    sel = _select(posts, day=day, exclude=exclude, include_duplicates=include_duplicates)
    if sel.empty:
        return _empty_series()
    return _aggregate(_long(sel, keywords=keywords))


def series_daily(posts: pd.DataFrame, **kwargs: object) -> pd.DataFrame:
    """Daily series: the hourly rows summed per Asia/Seoul day (`authors` is the hourly maximum)."""
    hourly = series_hourly(posts, **kwargs)  # type: ignore[arg-type]
    if hourly.empty:
        return hourly.rename(columns={"bucket": "day"})
    h = hourly.assign(day=hourly["bucket"].dt.date)
    out = (
        h.groupby(["day", "kind", "key"], sort=True)
        .agg(count=("count", "sum"), negative=("negative", "sum"), authors=("authors", "max"))
        .reset_index()
    )
    tot = out.loc[out["kind"] == "total", ["day", "count"]].rename(columns={"count": "total"})
    out = out.merge(tot, on="day", how="left")
    return out[["day", "kind", "key", "count", "negative", "total", "authors"]]


# ---------------------------------------------------------------------------------------------
# detection


def _empty_alerts() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series([], dtype=object) for c in ALERT_COLUMNS})
    for c in ("detected_at", "bucket", "last_bucket"):
        df[c] = pd.Series([], dtype=f"datetime64[ns, {SEOUL_TZ}]")
    for c in ("observed", "window_hours"):
        df[c] = pd.Series([], dtype="int64")
    for c in ("expected", "score"):
        df[c] = pd.Series([], dtype="float64")
    return df


def _norm_series(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["bucket"] = _seoul(out["bucket"]).astype(f"datetime64[ns, {SEOUL_TZ}]")
    for c in ("count", "negative", "total"):
        out[c] = pd.to_numeric(out[c], errors="coerce").fillna(0).astype("int64")
    if "authors" not in out.columns:
        out["authors"] = out["count"]
    out["authors"] = pd.to_numeric(out["authors"], errors="coerce").fillna(0).astype("int64")
    return out


_TESTS = (
    ("volume_burst", "policy_area", "count"),
    ("volume_burst", "district", "count"),
    ("volume_burst", "area_district_negative", "count"),
    ("negativity_spike", "policy_area", "negative"),
    ("negativity_spike", "area_district_negative", "negative"),
    ("hashtag_burst", "hashtag", "count"),
)


@dataclass(frozen=True)
class _KindStats:
    c_all: pd.Series  # key -> history count
    c_hour: pd.Series  # (key, hour) -> count
    c_wd: pd.Series  # (key, weekday) -> count
    prior: pd.Series  # key -> prior share ('__default__' for unseen keys)


@dataclass(frozen=True)
class Baseline:
    """What `detect_alerts` learns from the history: fit once, reuse for every hour of a day."""

    start: pd.Timestamp  # first bucket it may score
    days: int  # Asia/Seoul days with history
    t_all: float
    t_hour: pd.Series
    t_wd: pd.Series
    stats: dict[tuple[str, str], _KindStats]


def fit_baseline(
    history: pd.DataFrame, *, start: pd.Timestamp, params: AlertParams | None = None
) -> Baseline:
    """Baseline for scoring buckets from `start` on: history rows of the `baseline_days` before."""
    p = params or AlertParams()
    start = pd.Timestamp(start).tz_convert(SEOUL_TZ)
    hist = _norm_series(history) if history is not None and not history.empty else None
    if hist is not None:
        hist = hist.loc[
            (hist["bucket"] < start)
            & (hist["bucket"] >= start - pd.Timedelta(days=p.baseline_days))
        ]
    if hist is None or hist.empty:
        empty = pd.Series(dtype=float)
        return Baseline(start, 0, 0.0, empty, empty, {})
    totals = hist.groupby("bucket")["total"].max()
    t_all = float(totals.sum())
    stats = {}
    for _, series_kind, value in _TESTS:
        hs = hist.loc[hist["kind"] == series_kind]
        stats[(series_kind, value)] = _KindStats(
            c_all=hs.groupby("key")[value].sum().astype(float),
            c_hour=hs.groupby(["key", hs["bucket"].dt.hour])[value].sum().astype(float),
            c_wd=hs.groupby(["key", hs["bucket"].dt.day_of_week])[value].sum().astype(float),
            prior=_prior_shares(hist, series_kind, value, t_all, p),
        )
    return Baseline(
        start=start,
        days=int(hist["bucket"].dt.date.nunique()),
        t_all=t_all,
        t_hour=totals.groupby(totals.index.hour).sum().astype(float),
        t_wd=totals.groupby(totals.index.day_of_week).sum().astype(float),
        stats=stats,
    )


def _expected(
    b: Baseline, st: _KindStats, cur: pd.DataFrame, p: AlertParams
) -> tuple[pd.Series, pd.Series]:
    """Expected count and NB size for each row of `cur` (indexed like cur).

    share = (history count + prior_weight x prior) / (history posts + prior_weight); the hour and
    weekday factors compare the series' count at that hour (weekday) with what its share predicts,
    each shrunk towards 1 by a pseudo-count.
    """
    keys = cur["key"]
    hour = cur["bucket"].dt.hour
    wd = cur["bucket"].dt.day_of_week
    n_hist = keys.map(st.c_all).fillna(0.0).astype(float)
    prior = keys.map(st.prior).astype(float).fillna(float(st.prior.get("__default__", 1e-4)))
    alpha = p.prior_weight * prior
    share = (n_hist + alpha) / (b.t_all + p.prior_weight)

    def factor(cnt: pd.Series, tot: pd.Series, idx: pd.Series, k: float) -> pd.Series:
        if cnt.empty:
            c = pd.Series(0.0, index=cur.index)
        else:
            mi = pd.MultiIndex.from_arrays([keys, idx])
            c = pd.Series(cnt.reindex(mi).to_numpy(), index=cur.index).fillna(0.0)
        base = share * idx.map(tot).fillna(0.0).astype(float)
        return (c + k) / (base + k)

    f_h = factor(st.c_hour, b.t_hour, hour, p.hour_shrink)
    f_w = factor(st.c_wd, b.t_wd, wd, p.weekday_shrink)
    mu = cur["total"].astype(float) * share * f_h * f_w
    size = 1.0 / (1.0 / (n_hist + alpha) + 1.0 / p.dispersion)
    return mu, size


def _nb_score(obs: pd.Series, mu: pd.Series, size: pd.Series) -> np.ndarray:
    mu_a = np.maximum(mu.to_numpy(dtype=float), 1e-9)
    r = np.maximum(size.to_numpy(dtype=float), 1e-6)
    pr = r / (r + mu_a)
    logp = stats.nbinom.logsf(obs.to_numpy(dtype=float) - 1, r, pr)
    return np.clip(-logp / np.log(10), 0.0, 300.0)


def _poisson_score(obs: pd.Series, mu: pd.Series) -> np.ndarray:
    logp = stats.poisson.logsf(obs.to_numpy(dtype=float) - 1, np.maximum(mu.to_numpy(float), 1e-9))
    return np.clip(-logp / np.log(10), 0.0, 300.0)


def _prior_shares(
    hist: pd.DataFrame, series_kind: str, value: str, t_all: float, p: AlertParams
) -> pd.Series:
    """Prior share of the hour's posts per key (for a key with little or no history)."""
    t_all = max(t_all, 1.0)
    sub = hist.loc[hist["kind"] == series_kind]
    if series_kind == "area_district_negative":
        area_neg = hist.loc[hist["kind"] == "policy_area"].groupby("key")["negative"].sum() / t_all
        dist = hist.loc[hist["kind"] == "district"].groupby("key")["count"].sum() / t_all
        keys = sub["key"].unique()
        vals = {}
        for k in keys:
            a, _, d = k.partition(_SEP)
            vals[k] = float(area_neg.get(a, 0.0)) * float(dist.get(d, 0.0))
        s = pd.Series(vals, dtype=float)
        default = float(area_neg.mean()) / 26.0 if len(area_neg) else 1e-4
    else:
        s = sub.groupby("key")[value].sum().astype(float) / t_all
        default = float(s.min()) if len(s) else 1e-4
        if series_kind == "hashtag":
            default = p.new_hashtag_share
    s = s.clip(lower=1e-6)
    s["__default__"] = max(default, 1e-6)
    return s


def _dominant(values: pd.Series, *, min_share: float = 0.5) -> str | None:
    values = values.dropna()
    if values.empty:
        return None
    vc = values.value_counts()
    top = vc.sort_index().sort_values(ascending=False, kind="stable")
    if top.iloc[0] / len(values) >= min_share:
        return str(top.index[0])
    return None


def _alert_id(kind: str, series_kind: str, key: str, bucket: pd.Timestamp) -> str:
    raw = f"{kind}|{series_kind}|{key}|{bucket.isoformat()}"
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


def _message(
    kind: str, area: str | None, district: str | None, key: str, obs: int, exp: float, hours: int
) -> str:
    """One Korean sentence: where, what, how many in the last `hours` against the usual."""
    area = area if isinstance(area, str) else None
    district = district if isinstance(district, str) else None
    where = " · ".join(x for x in (POLICY_AREAS.get(area or "", None), district) if x) or "서울"
    span = "1시간" if hours <= 1 else f"{hours}시간"
    if kind == "negativity_spike":
        return f"[{where}] 부정 여론 급증: 최근 {span} 부정 게시물 {obs}건 (평소 {exp:.1f}건)."
    if kind == "volume_burst":
        return f"[{where}] 게시물 급증: 최근 {span} {obs}건 (평소 {exp:.1f}건)."
    if kind == "new_hashtag":
        return f"새 해시태그 {key} 등장: 최근 {span} {obs}건 (이전 기록 없음)."
    return f"해시태그 {key} 급증: 최근 {span} {obs}건 (평소 {exp:.1f}건)."


def _severity(score: float, p: AlertParams) -> str:
    if score >= p.high_score:
        return "high"
    if score >= p.medium_score:
        return "medium"
    return "low"


def _windows(
    b: Baseline,
    st: _KindStats | None,
    recent: pd.DataFrame,
    cur: pd.DataFrame,
    series_kind: str,
    value: str,
    keys: list[str],
    totals: pd.Series,
    p: AlertParams,
) -> list[tuple]:
    """Scores of `keys` at each current bucket over the trailing windows; rows that pass.

    `st` None: keys never seen (new hashtags), scored with Poisson against the prior share.
    """
    if not keys:
        return []
    buckets = totals.index  # every hour from the first window start to the last current bucket
    nb = len(buckets)
    sub = recent.loc[recent["kind"] == series_kind]
    kpos = pd.Index(keys).get_indexer(sub["key"])
    bpos = buckets.get_indexer(sub["bucket"])
    keep = (kpos >= 0) & (bpos >= 0)
    obs = np.zeros((len(keys), nb))
    aut = np.zeros((len(keys), nb))
    np.add.at(obs, (kpos[keep], bpos[keep]), sub[value].to_numpy(dtype=float)[keep])
    np.add.at(aut, (kpos[keep], bpos[keep]), sub["authors"].to_numpy(dtype=float)[keep])
    grid = pd.DataFrame(
        {
            "key": np.repeat(np.asarray(keys, dtype=object), nb),
            "bucket": np.tile(buckets, len(keys)),
            "total": np.tile(totals.to_numpy(dtype=float), len(keys)),
        }
    )
    grid["bucket"] = (
        pd.DatetimeIndex(grid["bucket"]).tz_convert(SEOUL_TZ)
        if grid["bucket"].dt.tz is not None
        else grid["bucket"]
    )
    if st is None:
        mu = grid["total"] * p.new_hashtag_share
        size = None
    else:
        mu, size = _expected(b, st, grid, p)
    mus = mu.to_numpy(dtype=float).reshape(len(keys), nb)
    sz = size.to_numpy(dtype=float).reshape(len(keys), nb)[:, -1] if size is not None else None
    pad = np.zeros((len(keys), 1))
    cs_o = np.hstack([pad, np.cumsum(obs, axis=1)])
    cs_a = np.hstack([pad, np.cumsum(aut, axis=1)])
    cs_m = np.hstack([pad, np.cumsum(mus, axis=1)])
    cur_pos = np.flatnonzero(np.isin(buckets, cur["bucket"].unique()))
    present = set(
        zip(
            cur.loc[cur["kind"] == series_kind, "key"],
            cur.loc[cur["kind"] == series_kind, "bucket"],
        )
    )
    best: dict[tuple[int, int], tuple] = {}
    min_n = p.min_negative if value == "negative" else p.min_count
    for w in sorted(set(p.windows)):
        lo = np.maximum(cur_pos + 1 - w, 0)
        o = cs_o[:, cur_pos + 1] - cs_o[:, lo]
        m = cs_m[:, cur_pos + 1] - cs_m[:, lo]
        a = cs_a[:, cur_pos + 1] - cs_a[:, lo]
        flat_o, flat_m = pd.Series(o.ravel()), pd.Series(m.ravel())
        if st is None:
            sc = _poisson_score(flat_o, flat_m).reshape(o.shape)
            ok = (o >= p.new_hashtag_min_count) & (a >= p.min_authors)
        else:
            post = np.repeat(sz, o.shape[1])
            # share uncertainty is shared by the window's hours; hourly noise adds up
            inv_post = 1.0 / post - 1.0 / p.dispersion
            size_w = 1.0 / (np.maximum(inv_post, 0.0) + 1.0 / (p.dispersion * w))
            sc = _nb_score(flat_o, flat_m, pd.Series(size_w)).reshape(o.shape)
            ok = (o >= min_n) & (o - m >= p.min_excess) & (o >= p.min_ratio * m)
            if series_kind == "hashtag":
                ok &= a >= p.min_authors
        need = p.min_score + (p.window_penalty if w > 1 else 0.0)
        ok &= sc >= need
        if w > 1:
            # its recent half must be up on its own, or a window would echo a burst that ended
            h = (w + 1) // 2
            lo_h = np.maximum(cur_pos + 1 - h, 0)
            o_h = cs_o[:, cur_pos + 1] - cs_o[:, lo_h]
            m_h = cs_m[:, cur_pos + 1] - cs_m[:, lo_h]
            if st is None:
                sc_h = _poisson_score(pd.Series(o_h.ravel()), pd.Series(m_h.ravel()))
            else:
                size_h = 1.0 / (np.maximum(inv_post, 0.0) + 1.0 / (p.dispersion * h))
                sc_h = _nb_score(pd.Series(o_h.ravel()), pd.Series(m_h.ravel()), pd.Series(size_h))
            ok &= (
                (sc_h.reshape(o.shape) >= p.min_score / 2)
                & (o_h >= 2)
                & (o_h >= p.min_ratio * m_h)
            )
        for ki, ji in zip(*np.nonzero(ok)):
            bucket = buckets[cur_pos[ji]]
            if (keys[ki], bucket) not in present:
                continue  # nothing in this hour: the window is not rising now
            margin = sc[ki, ji] - need
            prev = best.get((ki, ji))
            if prev is None or margin > prev[0]:
                best[(ki, ji)] = (margin, int(o[ki, ji]), float(m[ki, ji]), float(sc[ki, ji]), w)
    kind = {
        "policy_area": "volume_burst",
        "district": "volume_burst",
        "hashtag": "hashtag_burst",
    }.get(series_kind, "volume_burst")
    if value == "negative":
        kind = "negativity_spike"
    if st is None:
        kind = "new_hashtag"
    return [
        (kind, series_kind, keys[ki], buckets[cur_pos[ji]], ob, mu_, sc_, w)
        for (ki, ji), (_, ob, mu_, sc_, w) in sorted(best.items())
    ]


def detect_alerts(
    history: pd.DataFrame,
    current: pd.DataFrame,
    *,
    params: AlertParams | None = None,
    posts: pd.DataFrame | None = None,
    baseline: Baseline | None = None,
) -> pd.DataFrame:
    """Alerts for the buckets of `current`, against the series rows of `history`.

    `history`: `series_hourly` rows before the first current bucket. The baseline uses the
    `params.baseline_days` complete Asia/Seoul days before the day of the first current bucket (so
    an hourly run and a whole-day run agree); the earlier hours of the same day only feed the
    trailing windows. `current`: rows of the hours to score. `posts` (optional, the posts of those
    hours with NLP columns) fills `sample_post_ids` and the area / district of hashtag alerts.
    `baseline`: a `fit_baseline` result to reuse for every hour of a day. Returns `ALERT_COLUMNS`,
    consecutive hours of one series merged, status 'open'. An empty hour gives no rows.
    """
    p = params or AlertParams()
    if current is None or current.empty:
        return _empty_alerts()
    cur = _norm_series(current)
    first = cur["bucket"].min()
    day_start = first.floor("D")
    b = baseline
    if b is None or b.start != day_start:
        b = fit_baseline(history, start=day_start, params=p)
    if b.days < p.min_history_days or b.t_all <= 0:
        return _empty_alerts()
    span = pd.Timedelta(hours=max(p.windows) - 1)
    if history is not None and not history.empty:
        hb = history["bucket"]
        if not isinstance(hb.dtype, pd.DatetimeTZDtype):
            hb = _seoul(hb)
        prev = _norm_series(history.loc[((hb >= first - span) & (hb < first)).to_numpy()])
        recent = pd.concat([prev, cur], ignore_index=True)
    else:
        recent = cur
    hours = pd.date_range(first - span, cur["bucket"].max(), freq="h")
    totals = recent.groupby("bucket")["total"].max().reindex(hours, fill_value=0).astype(float)

    rows: list[tuple] = []
    for _, series_kind, value in _TESTS:
        c = cur.loc[cur["kind"] == series_kind]
        if series_kind == "district":
            c = c.loc[c["key"] != NO_DISTRICT]
        if c.empty:
            continue
        st = b.stats[(series_kind, value)]
        keys = sorted(c["key"].unique())
        if series_kind == "hashtag":
            seen = [k for k in keys if k in st.c_all.index]
            new = [k for k in keys if k not in st.c_all.index]
            rows += _windows(b, None, recent, cur, series_kind, value, new, totals, p)
            keys = seen
        rows += _windows(b, st, recent, cur, series_kind, value, keys, totals, p)
    if not rows:
        return _empty_alerts()
    raw = pd.DataFrame(
        rows,
        columns=[
            "kind",
            "series_kind",
            "key",
            "bucket",
            "observed",
            "expected",
            "score",
            "window_hours",
        ],
    )
    raw = _suppress_overlaps(raw, p)
    alerts = _merge_runs(raw, p)
    return _describe(alerts, posts, p)


def _covered(
    series_kind: str,
    key: str,
    bucket: pd.Timestamp,
    specific: list[tuple[str, str, pd.Timestamp]],
    gap: pd.Timedelta,
) -> bool:
    """Whether an area x district alert (area, district, bucket) explains a broader alert."""
    for area, district, b in specific:
        if not (bucket - gap <= b <= bucket):
            continue
        if (series_kind == "policy_area" and key == area) or (
            series_kind == "district" and key == district
        ):
            return True
    return False


def _suppress_overlaps(raw: pd.DataFrame, p: AlertParams) -> pd.DataFrame:
    """Keep the most specific alert: an area x district alert in the same or the previous
    `merge_gap_hours` makes an area-wide or district-wide alert of that area / district redundant
    (a trailing window would otherwise echo it after the district burst has been reported)."""
    spec = raw.loc[raw["series_kind"] == "area_district_negative"]
    specific = [
        (k.partition(_SEP)[0], k.partition(_SEP)[2], b)
        for k, b in zip(spec["key"], spec["bucket"])
    ]
    gap = pd.Timedelta(hours=p.merge_gap_hours)
    drop = [
        sk in ("policy_area", "district") and _covered(sk, key, bk, specific, gap)
        for sk, key, bk in zip(raw["series_kind"], raw["key"], raw["bucket"])
    ]
    return raw.loc[~np.array(drop, dtype=bool)]


def _merge_runs(raw: pd.DataFrame, p: AlertParams) -> pd.DataFrame:
    """One alert per run of hours of a series; observed/expected/window of its peak hour."""
    raw = raw.sort_values(["kind", "series_kind", "key", "bucket"], ignore_index=True)
    gap = pd.Timedelta(hours=p.merge_gap_hours)
    same = (
        (raw["kind"] == raw["kind"].shift())
        & (raw["series_kind"] == raw["series_kind"].shift())
        & (raw["key"] == raw["key"].shift())
        & (raw["bucket"] - raw["bucket"].shift() <= gap)
    )
    raw["run"] = (~same).cumsum()
    peak = (
        raw.sort_values(["run", "score", "bucket"], ascending=[True, False, True])
        .drop_duplicates("run")
        .set_index("run")
    )
    g = raw.groupby("run", sort=True)
    out = pd.DataFrame(
        {
            "kind": g["kind"].first(),
            "series_kind": g["series_kind"].first(),
            "key": g["key"].first(),
            "bucket": g["bucket"].min(),
            "last_bucket": g["bucket"].max(),
            "observed": peak["observed"],
            "expected": peak["expected"],
            "score": peak["score"],
            "window_hours": peak["window_hours"],
        }
    )
    return out.reset_index(drop=True)


def _describe(alerts: pd.DataFrame, posts: pd.DataFrame | None, p: AlertParams) -> pd.DataFrame:
    a = alerts.copy()
    area = []
    district = []
    for r in a.itertuples():
        if r.series_kind == "policy_area":
            area.append(r.key)
            district.append(None)
        elif r.series_kind == "district":
            area.append(None)
            district.append(r.key)
        elif r.series_kind == "area_district_negative":
            ar, _, d = r.key.partition(_SEP)
            area.append(ar)
            district.append(None if d == NO_DISTRICT else d)
        else:
            area.append(None)
            district.append(None)
    a["policy_area"] = area
    a["district"] = district
    a["sample_post_ids"] = [[] for _ in range(len(a))]
    if posts is not None and not posts.empty:
        a = _attach_samples(a, posts, p)
    for c in ("policy_area", "district"):
        a[c] = a[c].astype(object).where(a[c].map(lambda v: isinstance(v, str)), None)
    a["alert_id"] = [_alert_id(r.kind, r.series_kind, r.key, r.bucket) for r in a.itertuples()]
    a["detected_at"] = a["bucket"] + _HOUR
    a["severity"] = [_severity(s, p) for s in a["score"]]
    a["status"] = "open"
    a["message_ko"] = [
        _message(
            r.kind,
            r.policy_area,
            r.district,
            r.key,
            int(r.observed),
            float(r.expected),
            int(r.window_hours),
        )
        for r in a.itertuples()
    ]
    a["expected"] = a["expected"].round(3)
    a["score"] = a["score"].round(3)
    a = a[ALERT_COLUMNS].sort_values(["bucket", "kind", "series_kind", "key"], ignore_index=True)
    return a


def _attach_samples(a: pd.DataFrame, posts: pd.DataFrame, p: AlertParams) -> pd.DataFrame:
    lo, hi = a["bucket"].min(), a["last_bucket"].max() + _HOUR
    created = _seoul(posts["created_at"])
    window = posts.loc[(created >= lo) & (created < hi)]
    if window.empty:
        return a
    sel = _select(window, day=None, exclude=None, include_duplicates=False)
    long = _long(sel, keywords=False)
    long = long.merge(
        sel[["districts"]],
        left_on=long["post_id"].map(dict(zip(sel["post_id"], sel.index))),
        right_index=True,
        how="left",
    )
    kind_map = {
        "policy_area": "policy_area",
        "district": "district",
        "hashtag": "hashtag",
        "area_district_negative": "area_district_negative",
    }
    keywords_of = dict(zip(sel["post_id"], sel["keywords"]))
    samples, areas, dists = [], [], []
    for r in a.itertuples():
        m = long.loc[
            (long["kind"] == kind_map.get(r.series_kind, r.series_kind))
            & (long["key"] == r.key)
            & (long["bucket"] >= r.bucket)
            & (long["bucket"] <= r.last_bucket)
        ]
        if r.kind == "negativity_spike":
            m = m.loc[m["neg"]]
        samples.append(_representative(m, keywords_of, p.samples))
        area = r.policy_area
        district = r.district
        if r.series_kind == "hashtag" and not m.empty:
            area = _dominant(m["area"])
            d = m["districts"].explode()
            district = (
                _dominant(d.loc[d != NO_DISTRICT]) if (d != NO_DISTRICT).mean() >= 0.5 else None
            )
        elif r.series_kind == "district" and not m.empty:
            area = _dominant(m["area"])
        areas.append(area)
        dists.append(district)
    a = a.copy()
    a["sample_post_ids"] = samples
    a["policy_area"] = areas
    a["district"] = dists
    return a


def _representative(m: pd.DataFrame, keywords_of: dict, n: int) -> list[str]:
    """The `n` posts that best show what an alert is about: most of the alert window's shared
    keywords (the 5 keywords most posts of the window use, each in at least 2 posts), then
    engagement. A burst is mostly posts about one thing, so its shared words name it; ranking by
    engagement alone showed the window's most-liked post, often one about something else."""
    if m.empty:
        return []
    ids = m.drop_duplicates("post_id")
    kws = ids["post_id"].map(lambda i: set(keywords_of.get(i) or ()))
    df = pd.Series([k for ks in kws for k in ks], dtype=object).value_counts().sort_index()
    df = df.sort_values(ascending=False, kind="stable")
    top = set(df[df >= 2].head(5).index)
    ranked = ids.assign(_rel=kws.map(lambda ks: len(ks & top)).to_numpy())
    ranked = ranked.sort_values(["_rel", "eng", "post_id"], ascending=[False, False, True])
    return ranked["post_id"].head(n).tolist()


def merge_alerts(
    previous: pd.DataFrame | None, new: pd.DataFrame, *, params: AlertParams | None = None
) -> pd.DataFrame:
    """Alerts after an hourly run: a new alert continuing an open alert of the same series (its
    first bucket within `merge_gap_hours` of that alert's last bucket) extends it, keeping its id.

    Returns the rows to upsert by `alert_id` (the extended and the new ones).
    """
    p = params or AlertParams()
    if previous is None or previous.empty or new.empty:
        return new.copy()
    prev = previous.copy()
    prev["bucket"] = _seoul(prev["bucket"])
    prev["last_bucket"] = _seoul(prev["last_bucket"])
    gap = pd.Timedelta(hours=p.merge_gap_hours)
    spec = prev.loc[prev["series_kind"] == "area_district_negative"]
    specific = [
        (k.partition(_SEP)[0], k.partition(_SEP)[2], lb)
        for k, lb in zip(spec["key"], spec["last_bucket"])
    ]
    new = new.loc[
        [
            not (
                sk in ("policy_area", "district")
                and _covered(sk, key, _seoul(pd.Series([bk])).iloc[0], specific, gap)
            )
            for sk, key, bk in zip(new["series_kind"], new["key"], new["bucket"])
        ]
    ]
    out = []
    prev_by = {}
    for r in prev.sort_values("last_bucket").itertuples(index=False):
        prev_by[(r.kind, r.series_kind, r.key)] = r._asdict()
    for r in new.itertuples(index=False):
        d = r._asdict()
        old = prev_by.get((r.kind, r.series_kind, r.key))
        if (
            old is not None
            and old.get("status", "open") == "open"
            and pd.Timedelta(0) < d["bucket"] - old["last_bucket"] <= gap
        ):
            merged = dict(old)
            merged["last_bucket"] = max(old["last_bucket"], d["last_bucket"])
            if float(d["score"]) > float(old["score"]):  # the peak hour describes the alert
                for c in (
                    "observed",
                    "expected",
                    "score",
                    "window_hours",
                    "severity",
                    "message_ko",
                ):
                    merged[c] = d[c]
            ids = list(old["sample_post_ids"] or []) + list(d["sample_post_ids"] or [])
            merged["sample_post_ids"] = list(dict.fromkeys(ids))[: p.samples]
            prev_by[(r.kind, r.series_kind, r.key)] = merged
            out.append(merged)
        else:
            out.append(d)
    df = pd.DataFrame(out, columns=ALERT_COLUMNS)
    df = df.drop_duplicates("alert_id", keep="last")
    return df.sort_values(["bucket", "kind", "key"], ignore_index=True)


# ---------------------------------------------------------------------------------------------
# scoring against planted events


def _event_frame(events: pd.DataFrame) -> pd.DataFrame:
    e = events.copy()
    for c in ("policy_area", "district", "hashtag"):
        if c not in e.columns:
            e[c] = None
    if "hashtags" in e.columns:
        e["hashtag_set"] = e["hashtags"].map(
            lambda v: set(v) if isinstance(v, (list, tuple, np.ndarray)) else set()
        )
    else:
        e["hashtag_set"] = [set() for _ in range(len(e))]
    e["hashtag_set"] = [
        s | ({h} if isinstance(h, str) and h else set())
        for s, h in zip(e["hashtag_set"], e["hashtag"])
    ]
    e["start"] = _seoul(e["start"]).dt.floor("h")
    e["end"] = _seoul(e["end"])
    if "event_id" not in e.columns:
        e["event_id"] = [f"E{i}" for i in range(len(e))]
    return e.reset_index(drop=True)


def alert_matches(alert: pd.Series | dict, event: pd.Series | dict) -> bool:
    """Whether an alert is compatible with a planted event (time, area, district, hashtag)."""
    b = pd.Timestamp(alert["bucket"]).tz_convert(SEOUL_TZ)
    if not (event["start"] <= b <= event["end"] + _HOUR):
        return False
    tags = event["hashtag_set"]
    if alert["kind"] in ("hashtag_burst", "new_hashtag") and alert["key"] in tags:
        return True
    ea, ed = event["policy_area"], event["district"]
    aa = alert["policy_area"] if isinstance(alert["policy_area"], str) else None
    ad = alert["district"] if isinstance(alert["district"], str) else None
    if aa is None and ad is None:
        return False
    if aa is not None and isinstance(ea, str) and aa != ea:
        return False
    if ad is not None and isinstance(ed, str) and ad != ed:
        return False
    if ad is not None and not isinstance(ed, str):
        return aa is not None  # a district alert fits a city-wide event of its area
    return True


def score_alerts(alerts: pd.DataFrame, events: pd.DataFrame) -> dict[str, float | int]:
    """Precision (alerts matching some event), recall (events matched by an alert) and the median
    delay in hour buckets from an event's start to its first matching alert's bucket."""
    n_alerts = len(alerts)
    if events is None or events.empty:
        return {
            "precision": float("nan") if n_alerts == 0 else 0.0,
            "recall": float("nan"),
            "median_delay": float("nan"),
            "alerts": n_alerts,
            "true_alerts": 0,
            "events": 0,
            "detected": 0,
        }
    ev = _event_frame(events)
    matched_alert = np.zeros(n_alerts, dtype=bool)
    first_hit: dict[int, pd.Timestamp] = {}
    a = alerts.reset_index(drop=True)
    for i, ar in a.iterrows():
        for j, er in ev.iterrows():
            if alert_matches(ar, er):
                matched_alert[i] = True
                b = pd.Timestamp(ar["bucket"]).tz_convert(SEOUL_TZ)
                if j not in first_hit or b < first_hit[j]:
                    first_hit[j] = b
    delays = [max(0.0, (first_hit[j] - ev.loc[j, "start"]) / _HOUR) for j in first_hit]
    return {
        "precision": float(matched_alert.mean()) if n_alerts else float("nan"),
        "recall": len(first_hit) / len(ev),
        "median_delay": float(np.median(delays)) if delays else float("nan"),
        "alerts": n_alerts,
        "true_alerts": int(matched_alert.sum()),
        "events": len(ev),
        "detected": len(first_hit),
    }


def hours_of(day: date) -> list[pd.Timestamp]:
    """The 24 hour buckets of an Asia/Seoul day."""
    start = pd.Timestamp(day).tz_localize(SEOUL_TZ)
    return [start + timedelta(hours=h) for h in range(24)]
