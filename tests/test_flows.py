"""The daily loop end to end on a real DuckDB file: tables, counts, masking, idempotency."""

from __future__ import annotations

import re
from datetime import UTC, date

import duckdb
import pandas as pd
import pytest

from pipeline import flows
from tests.conftest import DEMO_END, settings_for

CORE_TABLES = ("posts", "post_nlp", "opinion_daily", "quarantine", "pipeline_runs", "raw_posts",
               "topics", "post_topics", "keyword_sentiment", "keyword_links", "series_hourly",
               "opinion_leaders", "official_accounts", "official_responses", "mvoting_polls",
               "mvoting_comparison", "planted_events")
# Phone numbers, 주민등록번호, e-mail (hex hashes such as author_hash are not phone numbers).
PII = re.compile(r"(?<![0-9a-f])01[016789]-?\d{3,4}-?\d{4}(?!\d)|(?<!\d)\d{6}-[1-4]\d{6}(?!\d)"
                 r"|[\w.+-]+@[\w-]+\.[a-z]{2,}")


@pytest.fixture(scope="module")
def con(demo_warehouse):
    c = duckdb.connect(str(demo_warehouse), read_only=True)
    yield c
    c.close()


def test_demo_fills_every_table(con, demo_run) -> None:
    for table in CORE_TABLES:
        assert con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] > 0, table
    assert (demo_run["report"]["html"]).is_file()


def test_counts_add_up_per_run(con) -> None:
    runs = con.execute('SELECT stage, "read", stored, duplicates, quarantined FROM pipeline_runs '
                       "WHERE stage = 'ingest'").df()
    assert len(runs) == 4
    assert (runs["read"] == runs["stored"] + runs["duplicates"] + runs["quarantined"]).all()
    assert runs["quarantined"].sum() > 0 and runs["duplicates"].sum() > 0
    posts = con.execute("SELECT count(*) FROM posts").fetchall()[0][0]
    assert posts == runs["stored"].sum()


def test_quarantine_reasons(con) -> None:
    reasons = {r[0] for r in con.execute("SELECT reason FROM quarantine").fetchall()}
    assert any(r.startswith("malformed JSON") for r in reasons)
    assert "missing required field: text" in reasons and "empty text" in reasons
    assert any(r.startswith("created_at in the future") for r in reasons)
    assert any(r.startswith("text too long") for r in reasons)


def test_nothing_unmasked_is_stored(con) -> None:
    cols = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE data_type IN ('VARCHAR', 'JSON', 'VARCHAR[]') AND table_schema = 'main' "
        "AND table_name NOT LIKE 'v\\_%' ESCAPE '\\'").fetchall()
    for table, col in cols:
        rows = con.execute(f'SELECT CAST("{col}" AS VARCHAR) FROM {table} '
                           f'WHERE CAST("{col}" AS VARCHAR) IS NOT NULL').fetchall()
        leaks = [v for (v,) in rows if PII.search(v)]
        assert not leaks, f"{table}.{col}: {leaks[:2]}"
    masked = con.execute("SELECT count(*) FROM posts WHERE pii_masked > 0").fetchall()[0][0]
    assert masked > 0


def test_duplicates_are_linked_not_dropped(con) -> None:
    kinds = dict(con.execute("SELECT duplicate_kind, count(*) FROM posts "
                             "WHERE duplicate_of IS NOT NULL GROUP BY 1").fetchall())
    assert kinds.get("repost", 0) > 0 and kinds.get("exact", 0) + kinds.get("near", 0) > 0
    orphans = con.execute("SELECT count(*) FROM posts p WHERE duplicate_of IS NOT NULL AND "
                          "duplicate_kind <> 'repost' AND duplicate_of NOT IN "
                          "(SELECT post_id FROM posts)").fetchall()[0][0]
    assert orphans == 0


def test_nlp_rows_carry_codes_and_versions(con) -> None:
    df = con.execute("SELECT * FROM post_nlp").df()
    from pipeline.schema import DISTRICTS, POLICY_AREAS

    assert set(df["policy_area"]) <= set(POLICY_AREAS)
    assert df["sentiment_score"].between(-1, 1).all()
    assert {d for ds in df["districts"] for d in ds} <= set(DISTRICTS)
    assert df["model_version"].str.contains("sentiment").all()
    assert len(set(df["policy_area"])) == 10


def test_opinion_daily_matches_post_nlp(con) -> None:
    a = con.execute("SELECT sum(posts + excluded) FROM opinion_daily WHERE district = '미상'").fetchall()[0][0]
    b = con.execute("SELECT count(*) FROM post_nlp n JOIN posts p USING (post_id) "
                    "WHERE p.duplicate_of IS NULL AND len(n.districts) = 0").fetchall()[0][0]
    assert a == b


def test_same_seed_same_tables(tmp_path_factory) -> None:
    tables = {}
    for k in (1, 2):
        s = settings_for(tmp_path_factory.mktemp(f"det{k}"))
        flows.demo(settings=s, days=2, seed=11, end_day=date(2026, 10, 5), posts_per_day=250,
                   report=False)
        c = duckdb.connect(str(s.warehouse), read_only=True)
        tables[k] = {
            t: c.execute(f"SELECT {'* EXCLUDE (run_id)' if t in ('posts', 'post_nlp') else '*'} "
                         f"FROM {t}").df().sort_values(key_cols).reset_index(drop=True)
            for t, key_cols in (("posts", ["post_id"]), ("post_nlp", ["post_id"]),
                                ("opinion_daily", ["day", "policy_area", "district", "channel"]),
                                ("topics", ["day", "topic_id"]),
                                ("keyword_links", ["day", "policy_area", "source", "target"]))
        }
        tables[k]["quarantine"] = c.execute(
            "SELECT source, line_no, payload, reason FROM quarantine ORDER BY ALL").df()
        c.close()
    for t in tables[1]:
        pd.testing.assert_frame_equal(tables[1][t], tables[2][t], obj=t)


def test_run_day_is_idempotent(demo_run, tmp_path) -> None:
    import shutil

    s = settings_for(tmp_path)
    shutil.copy(demo_run["settings"].warehouse, s.warehouse)

    def snapshot():
        c = duckdb.connect(str(s.warehouse), read_only=True)
        out = {t: c.execute(f"SELECT * EXCLUDE (run_id) FROM {t} WHERE day = ? ORDER BY ALL",
                            [DEMO_END]).df() if t == "post_nlp" else
               c.execute(f"SELECT * FROM {t} WHERE day = ? ORDER BY ALL", [DEMO_END]).df()
               for t in ("post_nlp", "opinion_daily", "topics", "keyword_sentiment")}
        c.close()
        return out

    before = snapshot()
    flows.run_day(DEMO_END, settings=s)
    flows.run_day(DEMO_END, settings=s)
    after = snapshot()
    for t in before:
        pd.testing.assert_frame_equal(before[t], after[t], obj=t)


def test_demo_refuses_a_real_warehouse(tmp_path) -> None:
    s = settings_for(tmp_path)
    p = tmp_path / "real.jsonl"
    p.write_text('{"id": "1", "created_at": "2026-11-01T10:00:00+09:00", "text": "서울시 민원"}\n',
                 encoding="utf-8")
    flows.ingest_file(p, settings=s, channel="x")
    with pytest.raises(flows.DemoError):
        flows.demo(settings=s, days=1, posts_per_day=50, report=False)


def test_hourly_update(demo_run, tmp_path) -> None:
    import shutil
    from datetime import datetime

    s = settings_for(tmp_path)
    shutil.copy(demo_run["settings"].warehouse, s.warehouse)
    hour = datetime(2026, 11, 20, 9, tzinfo=UTC)  # 18:00 in Seoul
    first = flows.hourly_update(hour, settings=s)
    second = flows.hourly_update(hour, settings=s)
    assert first["series"] > 0 and second["series"] == first["series"]
    c = duckdb.connect(str(s.warehouse), read_only=True)
    n = c.execute("SELECT count(*) FROM series_hourly WHERE bucket = ?", [hour]).fetchall()[0][0]
    dup = c.execute("SELECT count(*) - count(DISTINCT alert_id) FROM alerts").fetchall()[0][0]
    c.close()
    assert n > 0 and dup == 0
    empty = flows.hourly_update(datetime(2030, 1, 1, tzinfo=UTC), settings=s)
    assert empty["series"] == 0 and empty["alerts"] == 0


def test_promotion_rule() -> None:
    keys = flows.PROMOTION_KEYS["sentiment"]
    current = {"nsmc_accuracy": 0.88, "civic_macro_f1": 0.57, "kote_macro_f1": 0.56}
    assert flows.worse_metrics({"nsmc_accuracy": 0.89, "civic_macro_f1": 0.57}, current, keys) == []
    assert flows.worse_metrics({"nsmc_accuracy": 0.89, "civic_macro_f1": 0.50}, current, keys) == [
        "civic_macro_f1"]
    assert flows.worse_metrics({"nsmc_accuracy": 0.89}, current, keys) == ["civic_macro_f1"]
    nested = {"accuracy": 0.6, "macro_f1": 0.58, "title_only": {"accuracy": 0.1}}
    assert flows.worse_metrics(nested, {"accuracy": 0.56, "macro_f1": 0.56},
                               flows.PROMOTION_KEYS["policy"]) == []


def _x_like_records(n: int, seed: int) -> list:
    """Canonical posts of the fake X corpus (templates, so many exact and near copies, reposts
    of posts in earlier batches) plus hand-made near copies of some of them."""
    import random

    from pipeline.sources.x import MappingError, map_post
    from pipeline.transforms.normalize import Record
    from tests.sources.fake_x_server import make_corpus

    entries, _ = make_corpus(n, seed=seed)
    rng = random.Random(seed)
    out = []
    for e in entries:
        try:
            post = map_post(e.payload)
        except MappingError:
            continue
        if rng.random() < 0.2:  # a near copy: one character changed or a word added
            t = post["text"]
            post["text"] = t[:-1] + "요" if rng.random() < 0.5 else t + " 진짜로"
        out.append(Record(len(out) + 1, post))
    return out


@pytest.mark.parametrize("legacy", [False, True])
def test_relevant_previous_posts_give_the_same_links_as_the_whole_window(tmp_path, legacy) -> None:
    from datetime import datetime

    from pipeline.storage import warehouse as wh
    from pipeline.transforms.dedup import link_duplicates

    records = _x_like_records(6000, seed=3)
    batches = [records[i:i + 1500] for i in range(0, len(records), 1500)]
    now = datetime(2030, 1, 1, tzinfo=UTC)
    with wh.open_warehouse(tmp_path / "w.duckdb") as con:
        for batch in batches[:-1]:
            prepared = flows.prepare_records(batch, source="x", channel="x", salt="s", now=now)
            flows.store_prepared(con, prepared, flows.RunSummary("r", "ingest", "x"), started=now)
        if legacy:  # posts stored before band keys existed: the whole window is read
            con.execute("UPDATE posts SET lsh_bands = NULL WHERE post_id IN "
                        "(SELECT post_id FROM posts ORDER BY post_id LIMIT 50)")
        last = flows.prepare_records(batches[-1], source="x", channel="x", salt="s", now=now)
        posts = last.posts[~last.posts["post_id"].isin(
            wh.existing_ids(con, last.posts["post_id"].tolist()))].reset_index(drop=True)
        whole = flows._previous_posts(con, posts, relevant_only=False)
        relevant = flows._previous_posts(con, posts)
        # a batch that comes without its band keys cannot pick buckets: the whole window is read
        bare = flows._previous_posts(con, posts.drop(columns=["lsh_bands"]))
    cols = ["post_id", "duplicate_of", "duplicate_kind", "lsh_bands"]
    a = link_duplicates(posts, whole)[cols]
    b = link_duplicates(posts, relevant)[cols]
    assert a.astype(str).equals(b.astype(str))
    assert a["duplicate_kind"].value_counts().to_dict().keys() >= {"exact", "near", "repost"}
    assert len(relevant) == len(whole) if legacy else len(relevant) < 0.8 * len(whole)
    assert len(bare) == len(whole)


def test_ingest_parquet_counts_beyond_int64_are_null_and_noted(tmp_path) -> None:
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "posts.parquet"
    pq.write_table(pa.table({
        "id": ["a", "b", "c"], "channel": ["x"] * 3,
        "created_at": pa.array(["2026-11-20T10:00:00", "2026-11-20T11:00:00", None]),
        "day": pa.array([dt.date(2026, 11, 20)] * 3, pa.date32()),
        "text": ["서울 버스", "마포구 축제", "날짜 없음"],
        "likes": pa.array([2**64 - 1, 3, 1], pa.uint64()),
        "views": pa.array([1e30, 2.0, None], pa.float64()),
    }), path)
    settings = settings_for(tmp_path)
    summary = flows.ingest_file(path, settings=settings)
    assert (summary.read, summary.stored, summary.quarantined) == (3, 2, 1)
    assert summary.extra["notes"] == {"likes: out of range": 1, "views: out of range": 1}
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.execute("SELECT source_id, likes, views FROM posts ORDER BY 1").fetchall()
        ((message,),) = con.execute("SELECT message FROM pipeline_runs").fetchall()
    assert rows == [("a", None, None), ("b", 3, 2)]
    assert message == "stored as NULL: likes: out of range (1), views: out of range (1)"
    # the same file again: nothing is stored, so nothing is noted as stored as NULL
    again = flows.ingest_file(path, settings=settings)
    assert (again.stored, again.duplicates) == (0, 2)
    assert "notes" not in again.extra and again.message == ""


def test_tokenizer_accepts_lone_surrogates() -> None:
    from pipeline.nlp.tokenizer import get_tokenizer

    (tokens,) = get_tokenizer("kiwi").analyze(["서울 \ud800 지하철"])
    assert "지하철" in tokens.nouns
