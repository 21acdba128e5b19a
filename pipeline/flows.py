"""The stages of Minsim: read -> transform -> validate -> write. The one place I/O meets logic.

The CLI, the Airflow DAGs and the notebooks call these functions, so there is one code path.
"""

from __future__ import annotations

import logging
import math
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from pipeline.config import Settings
from pipeline.schema import SEOUL_TZ
from pipeline.storage import warehouse as wh
from pipeline.transforms.dedup import DedupParams, band_keys, link_duplicates
from pipeline.transforms.normalize import Record, posts_clean
from pipeline.validation.suites import validate_table

log = logging.getLogger(__name__)
SEOUL = ZoneInfo(SEOUL_TZ)
Progress = Callable[[str, int, int], None]
NLP_MAX_CHARS = 2000


def _noop(stage: str, done: int, total: int) -> None:
    return None


@dataclass
class RunSummary:
    """Counts of one stage run; for ingest `read = stored + duplicates + quarantined`."""

    run_id: str
    stage: str
    source: str
    read: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    status: str = "success"
    message: str = ""
    extra: dict = field(default_factory=dict)

    def line(self) -> str:
        return (f"read={self.read} stored={self.stored} duplicates={self.duplicates} "
                f"quarantined={self.quarantined}")


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def day_window(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=SEOUL)
    return start, start + timedelta(days=1)


def _now() -> datetime:
    return datetime.now(UTC)


def _record_run(con: duckdb.DuckDBPyConnection, s: RunSummary, started: datetime,
                window: tuple[datetime, datetime] | None = None) -> None:
    row = pd.DataFrame([{
        "run_id": s.run_id, "stage": s.stage, "started_at": started, "finished_at": _now(),
        "status": s.status, "read": s.read, "stored": s.stored, "duplicates": s.duplicates,
        "quarantined": s.quarantined, "source": s.source,
        "window_start": window[0] if window else None, "window_end": window[1] if window else None,
        "message": s.message[:2000],
    }])
    wh.upsert_rows(con, "pipeline_runs", row)


# --------------------------------------------------------------------------------------------
# Ingest
# --------------------------------------------------------------------------------------------

_PREVIOUS_COLUMNS = "post_id, created_at, text_norm, text_key, duplicate_of, lsh_bands"


def _bands_given(posts: pd.DataFrame, params: DedupParams) -> bool:
    """Whether every post long enough to compare carries its band keys (`prepare_records`
    computes them; `link_duplicates` would compute missing ones itself)."""
    if "lsh_bands" not in posts.columns:
        return False
    return all(isinstance(b, (list, tuple)) and len(b) > 0
               for t, b in zip(posts["text_norm"].tolist(), posts["lsh_bands"].tolist(), strict=True)
               if len(t or "") >= params.min_chars)


def _previous_posts(con: duckdb.DuckDBPyConnection, posts: pd.DataFrame, *,
                    relevant_only: bool = True) -> pd.DataFrame:
    """Stored posts a new batch may duplicate: the day before its first post up to its last.

    With `relevant_only`, only the stored posts `link_duplicates` can use for this batch: the
    earliest one per text key of the batch, the first `max_candidates` per LSH bucket the batch
    hits (in the order `link_duplicates` reads buckets, so it never looks further), and the
    posts the batch reposts. The links come out the same as with the whole window (a test
    checks), but a long backfill no longer re-reads every post of the day for each batch. A
    window holding posts stored without band keys (older warehouses), or a batch without its
    own, is read whole.
    """
    lo = posts["created_at"].min() - pd.Timedelta(days=1)
    hi = posts["created_at"].max()
    window = [lo.to_pydatetime(), hi.to_pydatetime()]
    params = DedupParams()
    if relevant_only and not _bands_given(posts, params):
        relevant_only = False  # the batch's own band keys pick the buckets to read
    if relevant_only:
        (legacy,) = con.execute(
            "SELECT count(*) FROM posts WHERE created_at BETWEEN ? AND ? "
            "AND (lsh_bands IS NULL OR len(lsh_bands) = 0) AND length(text_norm) >= ?",
            [*window, params.min_chars]).fetchone()
        relevant_only = legacy == 0
    if not relevant_only:
        return con.execute(f"SELECT {_PREVIOUS_COLUMNS} FROM posts "
                           "WHERE created_at BETWEEN ? AND ?", window).df()
    import pyarrow as pa

    bands = [(i, b) for row in posts["lsh_bands"] if isinstance(row, (list, tuple)) and row
             for i, b in enumerate(row)]
    # the three tables below are read by name in the SQL (DuckDB replacement scans)
    keys = posts["text_key"].dropna().unique().tolist()
    new_keys = pa.table({"k": pa.array(keys, pa.string())})  # noqa: F841
    new_bands = pa.table({"i": pa.array([i for i, _ in bands], pa.int64()),  # noqa: F841
                          "b": pa.array([b for _, b in bands], pa.uint64())})
    targets = posts["repost_of"].dropna() if "repost_of" in posts.columns else []
    new_targets = pa.table({"t": pa.array(list(targets), pa.string())})  # noqa: F841
    return con.execute(f"""
        WITH w AS (SELECT {_PREVIOUS_COLUMNS} FROM posts WHERE created_at BETWEEN ? AND ?),
        by_key AS (
            SELECT post_id FROM (
                SELECT post_id, row_number() OVER (PARTITION BY text_key
                                                   ORDER BY created_at, post_id) AS r
                FROM w WHERE text_key IN (SELECT k FROM new_keys)) WHERE r = 1),
        wb AS (
            SELECT post_id, created_at, unnest(lsh_bands) AS b,
                   unnest(range(len(lsh_bands))) AS i
            FROM w WHERE lsh_bands IS NOT NULL),
        by_band AS (
            SELECT post_id FROM (
                SELECT wb.post_id, row_number() OVER (PARTITION BY wb.i, wb.b
                                                      ORDER BY wb.created_at, wb.post_id) AS r
                FROM wb SEMI JOIN new_bands nb ON wb.i = nb.i AND wb.b = nb.b)
            WHERE r <= ?)
        SELECT * FROM w
        WHERE post_id IN (SELECT post_id FROM by_key)
           OR post_id IN (SELECT post_id FROM by_band)
           OR post_id IN (SELECT t FROM new_targets)
        """, [*window, params.max_candidates]).df()


@dataclass
class PreparedBatch:
    """Records cleaned, masked, checked against the posts contract and hashed for near-duplicate
    search, not yet stored (`prepare_records`; picklable, so a worker process can make it)."""

    read: int
    posts: pd.DataFrame  # one row per post id (repeats within the batch removed), lsh_bands set
    raw: pd.DataFrame
    bad: pd.DataFrame
    repeated: int  # rows repeated within the batch: counted as duplicates
    # values stored as NULL: post_id -> reasons (only the rows of `posts`; a post already in the
    # warehouse is not stored again, so its notes are not counted either)
    notes: dict[str, list[str]] = field(default_factory=dict)


def prepare_records(
    records: Iterable[Record],
    *,
    source: str,
    channel: str | None,
    salt: str,
    now: datetime,
    window: tuple[datetime, datetime] | None = None,
) -> PreparedBatch:
    """The part of ingest that needs no warehouse: normalise, mask, validate, band keys."""
    records = list(records)
    posts, raw, bad = posts_clean(records, source=source, default_channel=channel, salt=salt,
                                  now=now, window=window)
    repeated = posts["post_id"].duplicated(keep="first")
    notes: dict[str, list[str]] = {}
    for i, reason in posts.attrs.get("note_rows", []):
        if not repeated.iat[i]:
            notes.setdefault(posts["post_id"].iat[i], []).append(reason)
    posts = posts[~repeated].reset_index(drop=True)
    raw = raw[~raw["post_id"].duplicated(keep="first")]
    if not posts.empty:
        validate_table("posts", posts, window=window)
        posts["lsh_bands"] = band_keys(posts["text_norm"].tolist())
    return PreparedBatch(len(records), posts, raw, bad, int(repeated.sum()), notes)


def _prepare_packed(packed: bytes, **kwargs) -> PreparedBatch:
    """`prepare_records` of records sent to a worker as JSON (`_pack_records`)."""
    import orjson

    return prepare_records([Record(*r) for r in orjson.loads(packed)], **kwargs)


def _pack_records(records: list[Record]) -> bytes | None:
    """Records as compact JSON for a worker (several times cheaper than pickling nested dicts),
    or None when a value has no JSON form (65-bit integers, lone surrogates, non-string keys...).
    NaN becomes null, which `posts_clean` treats as missing either way."""
    import orjson

    def refuse(value: object) -> object:
        raise TypeError(type(value).__name__)

    try:
        return orjson.dumps([(r.line_no, r.data, r.raw, r.error) for r in records], default=refuse)
    except TypeError:
        return None


def store_prepared(
    con: duckdb.DuckDBPyConnection,
    batch: PreparedBatch,
    summary: RunSummary,
    *,
    started: datetime,
    window: tuple[datetime, datetime] | None = None,
) -> RunSummary:
    """Store a prepared batch in one transaction: posts already stored count as duplicates, the
    rest are linked to their originals (`link_duplicates`); the run is recorded."""
    posts, raw = batch.posts, batch.raw
    summary.read, summary.duplicates = batch.read, batch.repeated
    if not posts.empty:
        known = wh.existing_ids(con, posts["post_id"].tolist())
        stored_before = posts["post_id"].isin(known)
        posts = posts[~stored_before].reset_index(drop=True)
        raw = raw[~raw["post_id"].isin(known)]
        summary.duplicates += int(stored_before.sum())
    if not posts.empty:
        posts = link_duplicates(posts, _previous_posts(con, posts))
        posts["run_id"] = summary.run_id
    summary.stored = len(posts)
    summary.quarantined = len(batch.bad)
    stored_notes = [r for p in posts["post_id"] for r in batch.notes.get(p, ())] if batch.notes else []
    if stored_notes:
        notes = summary.extra.setdefault("notes", {})
        for reason in stored_notes:
            notes[reason] = notes.get(reason, 0) + 1
        summary.message = "stored as NULL: " + ", ".join(f"{r} ({n})" for r, n in sorted(notes.items()))
    assert summary.read == summary.stored + summary.duplicates + summary.quarantined, summary
    con.execute("BEGIN TRANSACTION")
    try:
        wh.insert_rows(con, "posts", posts)
        wh.insert_rows(con, "raw_posts", raw.assign(run_id=summary.run_id))
        wh.insert_rows(con, "quarantine", batch.bad.assign(run_id=summary.run_id,
                                                            quarantined_at=started))
        _record_run(con, summary, started, window)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    log.info("%s %s: %s", summary.stage, summary.source, summary.line())
    if stored_notes:
        log.info("%s %s: %s", summary.stage, summary.source, summary.message)
    return summary


def ingest_records(
    con: duckdb.DuckDBPyConnection,
    records: Iterable[Record],
    *,
    settings: Settings,
    source: str,
    channel: str | None = None,
    window: tuple[datetime, datetime] | None = None,
    now: datetime | None = None,
    run_id: str | None = None,
    stage: str = "ingest",
) -> RunSummary:
    """Normalise, mask, de-duplicate, validate and store records; quarantine bad rows."""
    started = _now()
    batch = prepare_records(records, source=source, channel=channel,
                            salt=settings.pseudonym_salt, now=now or started, window=window)
    summary = RunSummary(run_id or new_run_id(), stage, source)
    return store_prepared(con, batch, summary, started=started, window=window)


def ingest_file(
    path: Path,
    *,
    settings: Settings,
    channel: str | None = None,
    encoding: str = "auto",
    mapping: str = "canonical",
    con: duckdb.DuckDBPyConnection | None = None,
) -> RunSummary:
    """`minsim ingest file`: one file in the canonical format (or a named mapping)."""
    from pipeline.sources.files import FileSourceError, read_records
    from pipeline.transforms.normalize import channel_problem

    if channel is not None and (problem := channel_problem(channel)):
        raise FileSourceError(f"--channel: {problem}")
    records, facts = read_records(Path(path), encoding=encoding, mapping=mapping)
    own = con is None
    con = con or wh.connect(settings.warehouse)
    try:
        summary = ingest_records(con, records, settings=settings, source=f"file:{Path(path).name}",
                                 channel=channel)
    finally:
        if own:
            con.close()
    summary.extra.update(facts)
    return summary


# --------------------------------------------------------------------------------------------
# NLP
# --------------------------------------------------------------------------------------------

@dataclass
class NlpModels:
    tokenizer: object
    sentiment: object
    policy: object

    @property
    def version(self) -> str:
        return f"{self.sentiment.version}+{self.policy.version}+{self.tokenizer.version}"


_MODELS: dict[tuple, NlpModels] = {}
_MODELS_LOCK = threading.Lock()


def load_models(settings: Settings) -> NlpModels:
    """Tokeniser and models, loaded once per process."""
    from pipeline.nlp.policy import load_policy_model
    from pipeline.nlp.sentiment import load_sentiment_model
    from pipeline.nlp.tokenizer import get_tokenizer

    key = (settings.tokenizer, str(settings.models_dir))
    with _MODELS_LOCK:
        if key not in _MODELS:
            _MODELS[key] = NlpModels(
                tokenizer=get_tokenizer(settings.tokenizer),
                sentiment=load_sentiment_model(settings.models_dir / "sentiment"),
                policy=load_policy_model(settings.models_dir / "policy"),
            )
        return _MODELS[key]


def annotate_texts(texts: list[str], models: NlpModels) -> pd.DataFrame:
    """Sentiment, policy area, sub-issue, districts and keywords of texts (already masked)."""
    from pipeline.nlp.tokenizer import analyze_all
    from pipeline.transforms.districts import districts_for
    from pipeline.transforms.normalize import text_for_analysis

    # NLP reads the first NLP_MAX_CHARS of a post: a 20,000-character post costs Kiwi seconds and
    # its opening carries what it is about; the stored text stays whole.
    norm = [text_for_analysis(t or "")[:NLP_MAX_CHARS] for t in texts]
    tokens = analyze_all(models.tokenizer, norm)
    labels, scores = models.sentiment.predict(norm, tokens)
    areas, subs, conf = models.policy.predict(norm, tokens)
    return pd.DataFrame({
        "sentiment": labels,
        "sentiment_score": [round(float(s), 6) for s in scores],
        "policy_area": areas,
        "sub_issue": subs,
        "policy_confidence": [round(float(c), 6) for c in conf],
        "districts": districts_for(norm),
        "keywords": [t.keywords() for t in tokens],
    })


def analyse_day(day: date, *, settings: Settings, con: duckdb.DuckDBPyConnection) -> RunSummary:
    """NLP for every stored post of `day`; replaces that day's rows of post_nlp."""
    started = _now()
    summary = RunSummary(new_run_id(), "nlp", f"day:{day}")
    posts = con.execute(
        "SELECT post_id, day, text_norm FROM posts WHERE day = ? ORDER BY post_id", [day]
    ).df()
    summary.read = len(posts)
    models = load_models(settings)
    if posts.empty:
        nlp = pd.DataFrame(columns=["post_id"])
    else:
        nlp = annotate_texts(posts["text_norm"].tolist(), models)
        nlp.insert(0, "post_id", posts["post_id"].to_numpy())
        nlp.insert(1, "day", day)
        nlp["model_version"] = models.version
        nlp["tokenizer"] = models.tokenizer.version
        nlp["run_id"] = summary.run_id
        validate_table("post_nlp", nlp)
    summary.stored = wh.replace_partition(con, "post_nlp", nlp, {"day": day})
    _record_run(con, summary, started, day_window(day))
    return summary


# --------------------------------------------------------------------------------------------
# Aggregates and signals
# --------------------------------------------------------------------------------------------

def analysed_posts(con: duckdb.DuckDBPyConnection, first: date, last: date) -> pd.DataFrame:
    """Posts joined with their NLP results for days first..last (inclusive)."""
    return con.execute(
        "SELECT p.*, n.sentiment, n.sentiment_score, n.policy_area, n.sub_issue, n.districts, "
        "n.keywords FROM posts p JOIN post_nlp n USING (post_id) "
        "WHERE p.day BETWEEN ? AND ? ORDER BY p.created_at, p.post_id", [first, last]
    ).df()


def _official_inventory(settings: Settings) -> pd.DataFrame:
    from pipeline.analytics.official import load_inventory
    from pipeline.transforms.normalize import author_hash

    inv = load_inventory()
    return inv.assign(author_hash=[author_hash(h, settings.pseudonym_salt) for h in inv["handle"]])


def _coordination(posts: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, pd.Series]:
    """Coordinated/bot-like accounts of `posts` and the mask of posts left out of aggregates.

    The city's own accounts post stock replies at a steady pace by design: never flagged.
    """
    from pipeline.analytics.coordination import (
        CoordinationParams,
        coordinated_accounts,
        exclusion_mask,
    )

    official = frozenset(_official_inventory(settings)["author_hash"])
    flagged = coordinated_accounts(posts, params=CoordinationParams(ignore_authors=official))
    if not settings.exclude_coordinated or posts.empty:
        return flagged, pd.Series(False, index=posts.index)
    return flagged, exclusion_mask(posts, flagged, min_score=0.3)


def aggregate_day(day: date, *, settings: Settings, con: duckdb.DuckDBPyConnection) -> RunSummary:
    """opinion_daily, topics, keyword networks and signals for `day` (each replaces its partition)."""
    from pipeline.analytics.aggregates import opinion_daily
    from pipeline.analytics.keywords import keyword_links, keyword_sentiment
    from pipeline.nlp.topics import day_topics

    started = _now()
    summary = RunSummary(new_run_id(), "aggregate", f"day:{day}")
    posts = analysed_posts(con, day, day)
    summary.read = len(posts)
    flagged, excluded = _coordination(posts, settings)
    daily = opinion_daily(posts, excluded)
    validate_table("opinion_daily", daily)
    wh.replace_partition(con, "opinion_daily", daily, {"day": day})
    wh.replace_partition(con, "coordinated_accounts", flagged.assign(day=day), {"day": day})

    originals = posts[posts["duplicate_of"].isna() & ~excluded] if not posts.empty else posts
    previous = con.execute(
        "SELECT * FROM topics WHERE day BETWEEN ? AND ?", [day - timedelta(days=14), day - timedelta(days=1)]
    ).df()
    topics, post_topics = day_topics(
        day, originals.get("post_id", pd.Series(dtype=str)).tolist(),
        originals.get("keywords", pd.Series(dtype=object)).tolist(),
        originals.get("text", pd.Series(dtype=str)).tolist(), previous if not previous.empty else None,
    )
    wh.replace_partition(con, "topics", topics, {"day": day})
    wh.replace_partition(con, "post_topics", post_topics, {"day": day})
    wh.replace_partition(con, "keyword_sentiment", keyword_sentiment(day, originals), {"day": day})
    wh.replace_partition(con, "keyword_links", keyword_links(day, originals), {"day": day})
    signals_day(day, settings=settings, con=con, posts=posts)
    summary.stored = len(daily)
    summary.extra = {"topics": len(topics), "excluded": int(excluded.sum())}
    _record_run(con, summary, started, day_window(day))
    return summary


def signals_day(day: date, *, settings: Settings, con: duckdb.DuckDBPyConnection,
                posts: pd.DataFrame | None = None) -> dict:
    """Series, alerts, opinion leaders, official accounts and mVoting comparison for `day`."""
    from pipeline.analytics import leaders, mvoting, official, trends

    lo, hi = day_window(day)
    if posts is None:
        posts = analysed_posts(con, day, day)
    flagged, exclude = _coordination(posts, settings)
    series = trends.series_hourly(posts, day=day, exclude=exclude)
    wh.replace_range(con, "series_hourly", series, "bucket", lo, hi)
    history = con.execute("SELECT * FROM series_hourly WHERE bucket >= ? AND bucket < ?",
                          [lo - timedelta(days=28), lo]).df()
    alerts = trends.detect_alerts(history, series, posts=posts)
    wh.replace_range(con, "alerts", alerts, "bucket", lo, hi)

    window = analysed_posts(con, day - timedelta(days=6), day)
    inventory = _official_inventory(settings)
    accounts = inventory[["handle", "author_hash"]].assign(kind="official")
    excluded_authors = (set(flagged["author_hash"]) if not flagged.empty
                        and settings.exclude_coordinated else None)
    ranked = leaders.opinion_leaders(window, window_days=7, accounts=accounts,
                                     end=pd.Timestamp(hi), exclude_authors=excluded_authors)
    wh.replace_partition(con, "opinion_leaders", ranked.assign(day=day, window_days=7), {"day": day})
    responses = official.official_responses(window, inventory)
    if not responses.empty:
        responses = responses.assign(day=pd.to_datetime(responses["asked_at"], utc=True)
                                     .dt.tz_convert(SEOUL).dt.date)
        wh.upsert_rows(con, "official_responses", responses)
    activity = official.official_activity(window, inventory, responses=responses)
    wh.replace_partition(con, "official_accounts", activity.assign(day=day, window_days=7),
                         {"day": day})

    polls = con.execute("SELECT * FROM mvoting_polls WHERE opened < ?", [hi]).df()
    comparison = pd.DataFrame()
    if not polls.empty:
        options = con.execute("SELECT * FROM mvoting_options").df()
        month = analysed_posts(con, day - timedelta(days=30), day)
        comparison = mvoting.mvoting_comparison(polls, options, month)
    wh.replace_partition(con, "mvoting_comparison", comparison.assign(day=day)
                         if not comparison.empty else comparison, {"day": day})
    return {"series": len(series), "alerts": len(alerts), "leaders": len(ranked)}


def run_day(day: date, *, settings: Settings, progress: Progress = _noop) -> list[RunSummary]:
    """`minsim run --date`: NLP, aggregates and alerts for one day; idempotent."""
    with wh.open_warehouse(settings.warehouse) as con:
        progress("nlp", 0, 2)
        nlp = analyse_day(day, settings=settings, con=con)
        progress("aggregate", 1, 2)
        agg = aggregate_day(day, settings=settings, con=con)
        progress("aggregate", 2, 2)
    return [nlp, agg]


# --------------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------------

def report_day(day: date, *, settings: Settings, weekly: bool = False, pdf: bool = True) -> dict:
    """`minsim report --date`: the briefing under $MINSIM_DATA_DIR/reports/YYYY-MM-DD/."""
    from pipeline.reports.briefing import render_briefing

    out_dir = settings.reports_dir / day.isoformat()
    with wh.open_warehouse(settings.warehouse, read_only=True) as con:
        return render_briefing(con, day, out_dir, weekly=weekly, pdf=pdf)


def deliver_briefing(day: date, *, settings: Settings) -> dict:
    """The day's briefing, plus the weekly edition on Sundays (the DAG e-mails them)."""
    paths = dict(report_day(day, settings=settings))
    if day.weekday() == 6:
        weekly = report_day(day, settings=settings, weekly=True)
        paths.update({f"weekly_{k}": v for k, v in weekly.items()})
    return paths


# --------------------------------------------------------------------------------------------
# Demo (simulated source, the embedded default)
# --------------------------------------------------------------------------------------------

class DemoError(RuntimeError):
    pass


def _is_demo_warehouse(path: Path) -> bool:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "raw_posts" not in tables:
            return True
        other = con.execute("SELECT count(*) FROM raw_posts WHERE source <> 'simulator'").fetchall()
        return other[0][0] == 0
    finally:
        con.close()


def store_simulation_extras(con: duckdb.DuckDBPyConnection, sim) -> None:
    """Planted-event ground truth and mVoting polls of a simulation."""
    from pipeline.sources.mvoting import polls_frames

    events = pd.DataFrame(sim.events)
    if not events.empty:
        events = events.assign(start=pd.to_datetime(events["start"], utc=True),
                               end=pd.to_datetime(events["end"], utc=True))
    wh.replace_partition(con, "planted_events", events, {})
    polls, options, _ = polls_frames(enumerate(sim.polls, start=1), source="simulator")
    wh.replace_partition(con, "mvoting_polls", polls, {})
    wh.replace_partition(con, "mvoting_options", options, {})


def demo(
    *, settings: Settings, days: int = 14, seed: int = 42, end_day: date | None = None,
    posts_per_day: int = 2000, report: bool = True, progress: Progress = _noop,
) -> dict:
    """Simulate `days` of posts, run every stage into the warehouse and render the last briefing."""
    from pipeline.sources.files import jsonl_records
    from pipeline.sources.simulator import SimulationConfig, bad_rows, simulate, write_simulation

    if end_day is None:
        end_day = datetime.now(SEOUL).date() - timedelta(days=1)
    start_day = end_day - timedelta(days=days - 1)
    if settings.warehouse.exists():
        if not _is_demo_warehouse(settings.warehouse):
            raise DemoError(f"{settings.warehouse} holds non-simulated data; set MINSIM_WAREHOUSE "
                            "to another file for the demo")
        settings.warehouse.unlink()
        Path(str(settings.warehouse) + ".wal").unlink(missing_ok=True)
    t0 = time.perf_counter()
    sim = simulate(SimulationConfig(start_day=start_day, days=days, posts_per_day=posts_per_day,
                                    seed=seed))
    raw_dir = settings.raw_dir / "simulator" / f"seed-{seed}-{start_day}-{days}d"
    if raw_dir.exists():
        shutil.rmtree(raw_dir)
    write_simulation(sim, raw_dir)
    by_day: dict[date, list[dict]] = {}
    for post in sim.posts:
        by_day.setdefault(datetime.fromisoformat(post["created_at"]).astimezone(SEOUL).date(),
                          []).append(post)
    summaries: list[RunSummary] = []
    steps = days * 3 + 1
    with wh.open_warehouse(settings.warehouse) as con:
        store_simulation_extras(con, sim)
        for i, day in enumerate(start_day + timedelta(days=k) for k in range(days)):
            progress(f"{day} ingest", 3 * i, steps)
            records = [Record(n, p) for n, p in enumerate(by_day.get(day, []), start=1)]
            # A few broken rows a real feed also delivers, to show quarantine at work.
            lines = [re.sub(r"2025-03-\d\dT", f"{day}T", ln) for ln in bad_rows(seed + i)]
            records += list(jsonl_records(lines, lambda d: d))
            summaries.append(ingest_records(
                con, records, settings=settings, source="simulator", window=day_window(day),
                now=datetime.combine(end_day + timedelta(days=1), datetime.min.time(), SEOUL)))
            progress(f"{day} nlp", 3 * i + 1, steps)
            summaries.append(analyse_day(day, settings=settings, con=con))
            progress(f"{day} aggregate", 3 * i + 2, steps)
            summaries.append(aggregate_day(day, settings=settings, con=con))
        con.execute("CHECKPOINT")
    result = {"warehouse": settings.warehouse, "raw": raw_dir, "days": (start_day, end_day),
              "posts": len(sim.posts), "seconds": round(time.perf_counter() - t0, 1),
              "summaries": summaries}
    if report:
        progress("report", steps - 1, steps)
        result["report"] = report_day(end_day, settings=settings)
    progress("done", steps, steps)
    return result


# --------------------------------------------------------------------------------------------
# Live channels: X, feeds, inbox, mVoting
# --------------------------------------------------------------------------------------------

def _records_from(posts: list[dict], quarantined: list[dict]) -> list[Record]:
    import json as _json

    recs = [Record(i, p) for i, p in enumerate(posts, start=1)]
    recs += [Record(len(recs) + i, None, _json.dumps(q.get("payload"), ensure_ascii=False,
                                                     default=str), q.get("reason"))
             for i, q in enumerate(quarantined, start=1)]
    return recs


def _load_cursor(con: duckdb.DuckDBPyConnection, query: str, since: datetime, until: datetime):
    from pipeline.sources.x import XCursor

    rows = con.execute(
        "SELECT since_id, next_token, complete, newest_id FROM x_cursors "
        "WHERE query = ? AND window_start = ? AND window_end = ?", [query, since, until]
    ).fetchall()
    if not rows:
        return None
    since_id, next_token, complete, newest = rows[0]
    return XCursor(query=query, window_start=since, window_end=until, since_id=since_id,
                   next_token=next_token, complete=bool(complete), newest_id=newest)


def _save_cursor(con: duckdb.DuckDBPyConnection, cursor) -> None:
    wh.upsert_rows(con, "x_cursors", pd.DataFrame([{
        "query": cursor.query, "window_start": cursor.window_start,
        "window_end": cursor.window_end, "since_id": cursor.since_id,
        "next_token": cursor.next_token, "complete": cursor.complete,
        "newest_id": cursor.newest_id, "updated_at": _now(),
    }]))


_FORKSERVER_LOCK = threading.Lock()


def _prepare_pool(workers: int):
    """Worker processes for `prepare_records`, or None for in-process work.

    Started through a fork server: one clean, single-threaded process that imports Minsim's
    ingest modules once and forks workers from itself. A plain fork of the calling process would
    be faster but is unsafe when it has threads (Airflow's, a test's HTTP server): a lock held by
    another thread at the fork stays held in the child forever. The fork server lives as long as
    the calling process, so only its first pool pays the imports (a few seconds).
    """
    if workers <= 0:
        return None
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    ctx = multiprocessing.get_context("forkserver")
    with _FORKSERVER_LOCK:
        ctx.set_forkserver_preload(["pipeline.flows", "great_expectations"])
    return _Handoff(ProcessPoolExecutor(max_workers=workers, mp_context=ctx))


class _Handoff:
    """A process pool fed from a background thread: `submit` returns at once, even while the
    pool starts a worker (the first start waits for the fork server's imports, seconds), so the
    caller goes on fetching pages meanwhile. Work reaches the pool in submission order."""

    def __init__(self, pool) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.pool = pool
        self.feeder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="minsim-handoff")
        self.queued: set = set()  # futures not yet handed to the pool

    def submit(self, fn, /, *args, **kwargs):
        from concurrent.futures import CancelledError, Future

        out: Future = Future()

        def copy(inner: Future) -> None:
            if inner.cancelled():
                out.set_exception(CancelledError())
            elif (exc := inner.exception()) is not None:
                out.set_exception(exc)
            else:
                out.set_result(inner.result())

        def forward() -> None:
            self.queued.discard(out)
            if not out.set_running_or_notify_cancel():
                return  # cancelled before it reached the pool
            try:
                inner = self.pool.submit(fn, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - a broken or shut-down pool: the caller sees it
                out.set_exception(exc)
            else:
                inner.add_done_callback(copy)

        self.queued.add(out)
        self.feeder.submit(forward)
        return out

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.feeder.shutdown(wait=True, cancel_futures=cancel_futures)
        for out in list(self.queued):  # never handed over: cancelled, so no one waits forever
            out.cancel()
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


class _LazyPool:
    """`ingest_x`'s worker processes, started at the first full batch: a run smaller than one
    batch (an hourly update, a test) never pays for the fork server's imports."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool = None
        self.tried = workers <= 0

    def get(self):
        if not self.tried:
            self.tried = True
            self.pool = _prepare_pool(self.workers)
            if self.pool is not None:
                log.info("ingest_x: %d worker processes clean the batches", self.workers)
        return self.pool

    def shutdown(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def ingest_x(
    *, settings: Settings, since: datetime, until: datetime, queries: list[str] | None = None,
    bearer_token: str | None = None, client=None, policy=None, batch_size: int = 10_000,
    workers: int | None = None, backlog: int = 4,
) -> list[RunSummary]:
    """X API v2 recent search for each query over [since, until); incremental by cursor.

    Pages are gathered into batches of about `batch_size` posts. With `workers` > 0 (default
    `settings.ingest_workers`) a batch is cleaned, masked and validated in a worker process
    while the next pages are fetched; the workers start at the first full batch, so a smaller
    run is cleaned in this process. Batches are stored strictly in order, and a query's cursor
    is saved only after its batch is stored, so an interruption re-fetches at most the batches in
    flight (skipped by post id), never loses one. Up to `workers + backlog` batches may be in
    flight (a batch of 10,000 X posts holds about 30 MB): fetching goes on while the workers start
    or fall behind, and a finished batch is stored as soon as those before it are.
    """
    from collections import deque
    from concurrent.futures import Future

    from pipeline.sources.x import collect_x, make_x_client

    client = client or make_x_client(bearer_token or settings.x_bearer_token,
                                     api_base=settings.x_api_base)
    lazy = _LazyPool(settings.ingest_workers if workers is None else workers)
    out = []
    try:
        with wh.open_warehouse(settings.warehouse) as con:
            for query in queries or list(settings.x_queries):
                summary = RunSummary(new_run_id(), "ingest", f"x:{query}")
                started = _now()
                buffer: dict = {"posts": [], "bad": [], "cursor": None}
                pending: deque[tuple[Future, object]] = deque()

                def store_oldest(_s=summary, _p=pending) -> None:
                    future, cursor = _p.popleft()
                    page = store_prepared(con, future.result(),
                                          RunSummary(new_run_id(), "ingest_x_batch", "x"),
                                          started=_now())
                    _save_cursor(con, cursor)
                    for k in ("read", "stored", "duplicates", "quarantined"):
                        setattr(_s, k, getattr(_s, k) + getattr(page, k))

                def submit(full: bool = False, _b=buffer, _p=pending) -> None:
                    if _b["cursor"] is None:
                        return
                    pool = lazy.get() if full else lazy.pool
                    records = _records_from(_b["posts"], _b["bad"])
                    kwargs = {"source": "x", "channel": "x", "salt": settings.pseudonym_salt,
                              "now": _now()}
                    if pool is None:
                        future: Future = Future()
                        future.set_result(prepare_records(records, **kwargs))
                    elif (packed := _pack_records(records)) is not None:
                        future = pool.submit(_prepare_packed, packed, **kwargs)
                    else:
                        future = pool.submit(prepare_records, records, **kwargs)
                    _p.append((future, _b["cursor"]))
                    _b.update(posts=[], bad=[], cursor=None)
                    # store what is done, in order; wait only when the backlog is full (while
                    # the workers start, pages keep being fetched instead of waiting on them)
                    max_pending = lazy.workers + backlog if pool is not None else 0
                    while _p and (len(_p) > max_pending or _p[0][0].done()):
                        store_oldest()

                def on_page(posts: list[dict], quarantined: list[dict], cursor,
                            _b=buffer) -> None:
                    _b["posts"].extend(posts)
                    _b["bad"].extend(quarantined)
                    _b["cursor"] = cursor
                    if len(_b["posts"]) >= batch_size:
                        submit(full=True)

                try:
                    result = collect_x(client, query=query, since=since, until=until,
                                       cursor=_load_cursor(con, query, since, until),
                                       on_page=on_page, policy=policy)
                finally:
                    # what was fetched is stored, in order, even when the run stops early
                    submit()
                    try:
                        while pending:
                            store_oldest()
                    finally:
                        for future, _ in pending:
                            future.cancel()
                summary.status = result.status
                summary.message = result.reason or ""
                summary.extra = {"pages": result.pages, "resume_at": result.resume_at}
                _record_run(con, summary, started, (since, until))
                out.append(summary)
    finally:
        lazy.shutdown()
    return out


def ingest_feeds(*, settings: Settings, urls: list[str] | None = None, session=None) -> list[RunSummary]:
    """RSS/Atom feeds with conditional GET; exactly-once by entry id."""
    import requests

    from pipeline.sources.feeds import FeedError, fetch_feed, map_feed

    session = session or requests.Session()
    out = []
    with wh.open_warehouse(settings.warehouse) as con:
        for url in urls or list(settings.feeds):
            started = _now()
            state = con.execute("SELECT etag, last_modified FROM feed_state WHERE url = ?",
                                [url]).fetchall()
            etag, modified = state[0] if state else (None, None)
            try:
                result = fetch_feed(url, etag=etag, modified=modified, session=session)
            except FeedError as exc:
                s = RunSummary(new_run_id(), "ingest", f"feed:{url}", status="failed",
                               message=str(exc))
                _record_run(con, s, started)
                out.append(s)
                continue
            posts, bad = map_feed(result)
            s = ingest_records(con, _records_from(posts, bad), settings=settings,
                               source=f"feed:{url}", channel="news")
            s.status = result.status
            wh.upsert_rows(con, "feed_state", pd.DataFrame([{
                "url": url, "etag": result.etag, "last_modified": result.modified,
                "updated_at": _now()}]))
            out.append(s)
    return out


def sweep_inbox(*, settings: Settings) -> list[dict]:
    """Ingest each new file of data/inbox/<channel>/ once (by content hash)."""
    from pipeline.sources.inbox import sweep_inbox as sweep

    settings.inbox_dir.mkdir(parents=True, exist_ok=True)
    with wh.open_warehouse(settings.warehouse) as con:
        seen = {r[0] for r in con.execute("SELECT sha256 FROM ingested_files").fetchall()}
        before = set(seen)

        def one(path: Path, channel: str) -> dict:
            s = ingest_file(path, settings=settings, channel=channel, con=con)
            return {"read": s.read, "stored": s.stored, "duplicates": s.duplicates,
                    "quarantined": s.quarantined, "run_id": s.run_id}

        outcomes = sweep(settings.inbox_dir, one, seen_hashes=seen)
        new = [o for o in outcomes if o["sha256"] in seen - before]
        wh.upsert_rows(con, "ingested_files", pd.DataFrame([{
            "sha256": o["sha256"], "path": str(o.get("moved_to") or o["file"]),
            "channel": o["channel"], "run_id": (o.get("counts") or {}).get("run_id"),
            "ingested_at": _now()} for o in new]))
    return outcomes


def ingest_mvoting(path: Path, *, settings: Settings) -> RunSummary:
    """mVoting polls from a CSV/JSON export; bad polls are quarantined."""
    from pipeline.sources.files import FileSourceError
    from pipeline.sources.mvoting import MVotingFormatError, read_mvoting

    started = _now()
    try:
        polls, options, bad = read_mvoting(path)
    except MVotingFormatError as exc:
        raise FileSourceError(str(exc)) from None
    s = RunSummary(new_run_id(), "ingest", f"mvoting:{Path(path).name}",
                   read=len(polls) + len(bad), stored=len(polls), quarantined=len(bad))
    with wh.open_warehouse(settings.warehouse) as con:
        if not polls.empty:
            con.execute("DELETE FROM mvoting_options WHERE poll_id IN (SELECT poll_id FROM polls)")
            wh.upsert_rows(con, "mvoting_polls", polls)
            wh.insert_rows(con, "mvoting_options", options)
        if not bad.empty:
            wh.insert_rows(con, "quarantine", bad.assign(run_id=s.run_id, quarantined_at=started))
        _record_run(con, s, started)
    return s


# --------------------------------------------------------------------------------------------
# Annotate, SQL, export, training
# --------------------------------------------------------------------------------------------

def _finite_or_text(token: str) -> float | str:
    """A JSON number as a float, or its text when it has no finite float form (1e400)."""
    value = float(token)
    return value if math.isfinite(value) else token


def annotate_file(in_path: Path, out_path: Path, *, settings: Settings, batch: int = 2000) -> tuple[int, int]:
    """`minsim annotate`: one output line per input line, in order; bad lines get an error.

    Empty or invisible-only text is not a bad line: it is scored like any post (neutral, `other`),
    as the sentiment contract asks of empty, emoji-only and URL-only posts.

    Ids are written back as they came, except what JSON cannot hold: NaN/Infinity and numbers
    beyond a float (1e400) are written as strings, lone surrogates as U+FFFD.
    """
    import json as _json

    from pipeline.transforms.normalize import json_safe
    from pipeline.transforms.pii import mask_pii

    models = load_models(settings)
    n = errors = 0
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with open(in_path, "rb") as src, open(out_path, "w", encoding="utf-8") as dst:
        pending: list[tuple[object, str | None, str | None]] = []

        def write(row: dict) -> None:
            dst.write(_json.dumps(row, ensure_ascii=False) + "\n")

        def flush() -> None:
            nonlocal errors
            good = [(i, t) for i, t, e in pending if e is None]
            scored = annotate_texts([mask_pii(t)[0] for _, t in good], models) if good else None
            rows = iter(scored.to_dict("records")) if scored is not None else iter(())
            for pid, _text, err in pending:
                if err is not None:
                    errors += 1
                    write({"id": pid, "error": err})
                    continue
                r = next(rows)
                write({
                    "id": pid, "sentiment": r["sentiment"], "sentiment_score": r["sentiment_score"],
                    "policy_area": r["policy_area"], "districts": list(r["districts"]),
                    "keywords": list(r["keywords"])})
            pending.clear()

        for raw in src:
            n += 1
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                pending.append((None, None, "invalid UTF-8"))
                continue
            if not line.strip():
                pending.append((None, None, "empty line"))
                continue
            try:
                obj = _json.loads(line, parse_float=_finite_or_text, parse_constant=str)
            except _json.JSONDecodeError as exc:
                pending.append((None, None, f"malformed JSON ({exc.msg})"))
                continue
            except RecursionError:
                pending.append((None, None, "JSON nested too deeply"))
                continue
            if not isinstance(obj, dict):
                pending.append((None, None, "line is not a JSON object"))
                continue
            pid, text = obj.get("id"), obj.get("text")
            if pid is not None and not isinstance(pid, (int, float)):
                pid = json_safe(pid)  # lone surrogates cannot be written as UTF-8
            if not isinstance(text, str):
                pending.append((pid, None, "missing text" if text is None else "text is not a string"))
                continue
            pending.append((pid, text, None))
            if len(pending) >= batch:
                flush()
        flush()
    return n, errors


def _one_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def sql_query(query: str, *, settings: Settings, fmt: str = "table") -> str:
    """Run one read-only query; DuckDB's error in one line on failure."""
    from pipeline.storage.warehouse import WarehouseError

    with wh.open_warehouse(settings.warehouse, read_only=True) as con:
        try:
            df = con.execute(query).df()
        except duckdb.Error as exc:
            msg = _one_line(exc)
            if "read-only" in msg.lower() or "read only" in msg.lower():
                msg = f"the warehouse is opened read-only for SQL; writes are refused ({msg})"
            raise WarehouseError(msg) from None
    if fmt == "csv":
        return df.to_csv(index=False).rstrip("\n")
    with pd.option_context("display.max_rows", 200, "display.max_columns", 50,
                           "display.width", 200, "display.max_colwidth", 60):
        return df.to_string(index=False) if not df.empty else "(no rows)"


def sql_shell(*, settings: Settings) -> None:
    """A small read-only SQL shell (statements end with ';', `.quit` leaves)."""
    import readline  # noqa: F401 - line editing in input()

    print(f"minsim sql — {settings.warehouse} (read-only). End statements with ';', .quit to leave.")
    buf: list[str] = []
    while True:
        try:
            line = input("minsim> " if not buf else "   ...> ")
        except EOFError:
            print()
            return
        if not buf and line.strip() in (".quit", ".exit", "\\q"):
            return
        if not buf and line.strip() == ".tables":
            line = "SELECT table_name, table_type FROM information_schema.tables ORDER BY 1;"
        buf.append(line)
        if line.rstrip().endswith(";"):
            try:
                print(sql_query("\n".join(buf), settings=settings))
            except Exception as exc:  # noqa: BLE001 - the shell goes on after any error
                print(f"error: {_one_line(exc)}")
            buf.clear()


def export_parquet(out_dir: Path, *, settings: Settings) -> list[Path]:
    """Every table and staff view to out_dir/<name>.parquet, written to a temporary folder first
    and renamed into place, so readers never see a half-written export."""
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    with wh.open_warehouse(settings.warehouse, read_only=True) as con:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "ORDER BY 1").fetchall()]
        for name in names:
            if name not in wh.TABLES and not name.startswith("v_") and name != "policy_areas":
                continue
            con.execute(f"COPY (SELECT * FROM {name}) TO '{(tmp / name).as_posix()}.parquet' "
                        "(FORMAT parquet)")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.rename(out_dir)
    return sorted(out_dir.glob("*.parquet"))


def feedback_frame(settings: Settings) -> pd.DataFrame | None:
    """Analyst corrections joined with the post text (latest per post), for training."""
    if not settings.warehouse.exists():
        return None
    with wh.open_warehouse(settings.warehouse, read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "label_feedback" not in tables:
            return None
        df = con.execute(
            "SELECT p.text_norm AS text, f.sentiment FROM label_feedback f JOIN posts p USING (post_id) "
            "QUALIFY row_number() OVER (PARTITION BY f.post_id ORDER BY f.created_at DESC) = 1"
        ).df()
    return df if not df.empty else None


def train_model(name: str, *, settings: Settings, seed: int = 13, sample: int | None = None,
                out: Path | None = None) -> dict:
    """`minsim train sentiment|policy`: reproduce a model from the corpora."""
    from pipeline.storage.warehouse import WarehouseError

    if not settings.corpora.is_dir():
        raise WarehouseError(f"corpora not found at {settings.corpora}: set MINSIM_CORPORA")
    out = out or settings.models_dir / name
    if name == "sentiment":
        from pipeline.nlp.sentiment_train import train_sentiment

        meta = train_sentiment(settings.corpora, out, seed=seed, sample=sample,
                               feedback=feedback_frame(settings))
    elif name == "policy":
        from pipeline.nlp.policy_train import train_policy

        meta = train_policy(settings.corpora, out, seed=seed, sample=sample)
    else:
        raise ValueError(name)
    meta.setdefault("path", str(out))
    return meta


# --------------------------------------------------------------------------------------------
# Scheduled stages (the DAGs call these)
# --------------------------------------------------------------------------------------------

def ingest_day(day: date, *, settings: Settings, posts_per_day: int = 2000) -> list[RunSummary]:
    """Collect the day's posts from every configured source (MINSIM_SOURCES)."""
    out: list[RunSummary] = []
    start, end = day_window(day)
    for source in settings.sources:
        if source == "simulator":
            from pipeline.sources.simulator import SimulationConfig, simulate

            sim = simulate(SimulationConfig(start_day=day, days=1, posts_per_day=posts_per_day,
                                            seed=settings.simulator_seed + day.toordinal()))
            with wh.open_warehouse(settings.warehouse) as con:
                # Each day is its own simulation: prefix ids so days never collide.
                tag = f"{day:%Y%m%d}-"
                posts = [{**p, **{k: tag + p[k] for k in ("id", "reply_to", "repost_of", "quote_of")
                                  if p.get(k)}}
                         for p in sim.posts if start <= datetime.fromisoformat(p["created_at"]) < end]
                out.append(ingest_records(con, [Record(i, p) for i, p in enumerate(posts, 1)],
                                          settings=settings, source="simulator", window=(start, end),
                                          now=max(_now(), end)))
        elif source not in ("x", "feeds", "inbox"):
            raise ValueError(f"unknown source {source!r} in MINSIM_SOURCES")
    out.extend(collect_live(settings=settings, since=start, until=end))
    return out


def validate_day(day: date, *, settings: Settings) -> dict:
    """Stage boundary after ingest: the day's posts meet their contract and the counts add up."""
    from pipeline.validation.suites import ContractError

    with wh.open_warehouse(settings.warehouse) as con:
        posts = con.execute("SELECT * EXCLUDE (hashtags, mentions, urls) FROM posts WHERE day = ?",
                            [day]).df()
        result = validate_table("posts", posts, window=day_window(day))
        broken = con.execute(
            'SELECT run_id, stage, "read", stored, duplicates, quarantined FROM pipeline_runs '
            "WHERE stage LIKE 'ingest%' AND status <> 'failed' "
            'AND "read" <> stored + duplicates + quarantined').fetchall()
    if broken:
        raise ContractError(f"pipeline_runs: read != stored + duplicates + quarantined for {broken[:3]}")
    return result


PROMOTION_KEYS = {"sentiment": ("nsmc_accuracy", "civic_macro_f1"), "policy": ("accuracy", "macro_f1")}


def worse_metrics(candidate: dict, current: dict, keys: tuple[str, ...], tol: float = 1e-9) -> list[str]:
    """The evaluation figures on which `candidate` is worse than `current` (missing counts as worse)."""
    new, old = _flatten(candidate), _flatten(current)
    return [k for k in keys if k in old and (k not in new or new[k] + tol < old[k])]


def retrain_and_promote(name: str, *, settings: Settings, seed: int = 13,
                        sample: int | None = None) -> dict:
    """Train a candidate, evaluate it beside the current model, promote it only if not worse."""
    import json as _json
    import tempfile

    from pipeline.nlp.tokenizer import get_tokenizer

    if name == "sentiment":
        from pipeline.nlp.sentiment import load_sentiment_model as load
        from pipeline.nlp.sentiment_train import evaluate_sentiment as evaluate
    else:
        from pipeline.nlp.policy import load_policy_model as load
        from pipeline.nlp.policy_train import evaluate_policy as evaluate
    keys = PROMOTION_KEYS[name]
    tok = get_tokenizer(settings.tokenizer)
    current_dir = settings.models_dir / name
    with tempfile.TemporaryDirectory() as tmp:
        meta = train_model(name, settings=settings, seed=seed, sample=sample, out=Path(tmp))
        version = meta.get("version") or (Path(tmp) / "DEFAULT").read_text().strip()
        new = evaluate(load(Path(tmp) / version), settings.corpora, tok)
        old = evaluate(load(current_dir), settings.corpora, tok)
        worse = worse_metrics(new, old, keys)
        promoted = not worse
        if promoted:
            target_name = version
            if (current_dir / target_name).exists():  # version names restart in a fresh folder
                target_name = f"{version}-{datetime.now(SEOUL):%Y%m%d%H%M}"
            shutil.copytree(Path(tmp) / version, current_dir / target_name)
            (current_dir / "DEFAULT").write_text(target_name + "\n")
    flat_new, flat_old = _flatten(new), _flatten(old)
    report = {"model": name, "candidate": version, "promoted": promoted, "worse_on": worse,
              "candidate_metrics": {k: flat_new.get(k) for k in keys},
              "current_metrics": {k: flat_old.get(k) for k in keys}}
    log.info("retrain %s", _json.dumps(report, default=str))
    return report


def _flatten(metrics: dict, prefix: str = "") -> dict[str, float]:
    """Nested metric dicts -> {'a_b': value} for the comparison keys."""
    flat: dict[str, float] = {}
    for k, v in metrics.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            flat.update(_flatten(v, key + "_"))
        elif isinstance(v, (int, float)):
            flat[key] = float(v)
    return flat


def hourly_update(hour_start: datetime, *, settings: Settings) -> dict:
    """`minsim_hourly`: analyse the hour's new posts, update its series and alerts."""
    from pipeline.analytics import trends
    from pipeline.analytics.coordination import exclusion_mask

    hour = pd.Timestamp(hour_start).tz_convert(SEOUL).floor("h")
    lo, hi = hour.to_pydatetime(), (hour + pd.Timedelta(hours=1)).to_pydatetime()
    with wh.open_warehouse(settings.warehouse) as con:
        new = con.execute(
            "SELECT p.post_id, p.day, p.text_norm FROM posts p ANTI JOIN post_nlp n USING (post_id) "
            "WHERE p.created_at >= ? AND p.created_at < ? ORDER BY p.post_id", [lo, hi]).df()
        if not new.empty:
            models = load_models(settings)
            nlp = annotate_texts(new["text_norm"].tolist(), models)
            nlp.insert(0, "post_id", new["post_id"].to_numpy())
            nlp.insert(1, "day", new["day"].to_numpy())
            nlp["model_version"] = models.version
            nlp["tokenizer"] = models.tokenizer.version
            nlp["run_id"] = new_run_id()
            validate_table("post_nlp", nlp)
            wh.upsert_rows(con, "post_nlp", nlp)
        posts = con.execute(
            "SELECT p.*, n.sentiment, n.sentiment_score, n.policy_area, n.sub_issue, n.districts, "
            "n.keywords FROM posts p JOIN post_nlp n USING (post_id) "
            "WHERE p.created_at >= ? AND p.created_at < ?", [lo, hi]).df()
        flagged, _ = _coordination(analysed_posts(con, hour.date(), hour.date()), settings)
        exclude = (exclusion_mask(posts, flagged, min_score=0.3)
                   if settings.exclude_coordinated and not posts.empty else None)
        series = trends.series_hourly(posts, exclude=exclude)
        wh.replace_range(con, "series_hourly", series, "bucket", lo, hi)
        history = con.execute("SELECT * FROM series_hourly WHERE bucket >= ? AND bucket < ?",
                              [lo - timedelta(days=28), lo]).df()
        day_start = pd.Timestamp(day_window(hour.date())[0])
        new_alerts = trends.detect_alerts(
            history, series, posts=posts,
            baseline=trends.fit_baseline(history, start=day_start))
        open_alerts = con.execute("SELECT * FROM alerts WHERE status = 'open' AND last_bucket >= ?",
                                  [lo - timedelta(hours=6)]).df()
        changed = trends.merge_alerts(open_alerts if not open_alerts.empty else None, new_alerts)
        if not changed.empty:
            wh.upsert_rows(con, "alerts", changed)
    return {"hour": hour.isoformat(), "analysed": len(new), "series": len(series),
            "alerts": len(changed)}


def collect_live(*, settings: Settings, since: datetime, until: datetime) -> list[RunSummary]:
    """The polling sources of MINSIM_SOURCES (x, feeds, inbox) for one window."""
    out: list[RunSummary] = []
    for source in settings.sources:
        if source == "x":
            out.extend(ingest_x(settings=settings, since=since,
                                until=min(until, _now() - timedelta(seconds=30))))
        elif source == "feeds":
            out.extend(ingest_feeds(settings=settings))
        elif source == "inbox":
            for o in sweep_inbox(settings=settings):
                c = o.get("counts") or {}
                out.append(RunSummary(c.get("run_id") or "-", "ingest", f"inbox:{o['file']}",
                                      read=c.get("read", 0), stored=c.get("stored", 0),
                                      duplicates=c.get("duplicates", 0),
                                      quarantined=c.get("quarantined", 0), status=o["status"]))
    return out
