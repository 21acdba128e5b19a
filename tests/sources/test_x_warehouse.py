"""X ingest into a real warehouse through `flows.ingest_x`, the CLI and the DAG's ingest stage,
against the fake X API v2 server on 127.0.0.1: every fault, every post stored exactly once."""

from __future__ import annotations

import os
from datetime import timedelta

import duckdb
import pytest
from typer.testing import CliRunner

from pipeline import flows
from pipeline.cli import app
from pipeline.sources.x import XAuthError, make_x_client
from tests.conftest import settings_for
from tests.sources.conftest import CLIENT_TIMEOUT, TEST_TOKEN, fast_policy
from tests.sources.fake_x_server import EXPECTED_STATUSES, RUN_PLANS, WINDOW_END, WINDOW_START

QUERY = "#서울시"


def stored(settings) -> tuple[list[str], int]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        ids = [r[0] for r in con.execute("SELECT source_id FROM posts WHERE channel = 'x'").fetchall()]
        raw = con.execute("SELECT count(*) FROM raw_posts WHERE channel = 'x'").fetchall()[0][0]
    finally:
        con.close()
    return ids, raw


@pytest.mark.parametrize("scenario", sorted(RUN_PLANS))
def test_every_fault_stores_each_post_once(scenario: str, x_server, tmp_path) -> None:
    settings = settings_for(tmp_path)
    client = make_x_client(TEST_TOKEN, api_base=x_server.url, timeout=CLIENT_TIMEOUT)
    statuses = []
    for fault in RUN_PLANS[scenario]:
        x_server.set_scenario(fault)
        try:
            (summary,) = flows.ingest_x(settings=settings, since=WINDOW_START, until=WINDOW_END,
                                        queries=[QUERY], client=client, policy=fast_policy(),
                                        batch_size=60)
            statuses.append(summary.status)
        except XAuthError:
            statuses.append("auth_error")
    assert tuple(statuses) == EXPECTED_STATUSES[scenario]
    ids, raw = stored(settings)
    assert len(ids) == len(set(ids)), "a post was stored twice"
    assert set(ids) == x_server.expected_ids(), "a post was lost"
    x_server.set_scenario("ok")
    assert raw == len(ids)  # the raw payload of every stored post is kept


def test_cli_and_daily_ingest_use_the_configured_api_base(x_server, tmp_path) -> None:
    x_server.set_scenario("ok")
    env = {"MINSIM_WAREHOUSE": str(tmp_path / "w.duckdb"), "MINSIM_DATA_DIR": str(tmp_path / "d"),
           "MINSIM_X_API_BASE": x_server.url, "MINSIM_X_BEARER_TOKEN": TEST_TOKEN,
           "MINSIM_PSEUDONYM_SALT": "x"}
    out = CliRunner().invoke(app, ["ingest", "x", "--since", WINDOW_START.isoformat(),
                                   "--until", WINDOW_END.isoformat(), "--query", QUERY], env=env)
    assert out.exit_code == 0, out.output
    assert "status=complete" in out.output
    settings = settings_for(tmp_path, MINSIM_WAREHOUSE=env["MINSIM_WAREHOUSE"])
    ids, _ = stored(settings)
    assert set(ids) == x_server.expected_ids()
    again = CliRunner().invoke(app, ["ingest", "x", "--since", WINDOW_START.isoformat(),
                                     "--until", WINDOW_END.isoformat(), "--query", QUERY], env=env)
    assert "stored=0" in again.output


def test_expired_token_is_one_clear_line(x_server, tmp_path) -> None:
    env = {"MINSIM_WAREHOUSE": str(tmp_path / "w.duckdb"), "MINSIM_DATA_DIR": str(tmp_path / "d"),
           "MINSIM_X_API_BASE": x_server.url, "MINSIM_X_BEARER_TOKEN": "wrong"}
    out = CliRunner().invoke(app, ["ingest", "x", "--since", WINDOW_START.isoformat(),
                                   "--until", (WINDOW_START + timedelta(hours=1)).isoformat()], env=env)
    assert out.exit_code == 2 and "401" in out.output and out.output.count("\n") == 1


def _tables(settings) -> dict[str, list]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return {
            "posts": con.execute(
                "SELECT post_id, created_at, text, text_norm, text_key, author_hash, hashtags, "
                "mentions, pii_masked, duplicate_of, duplicate_kind, lsh_bands FROM posts "
                "ORDER BY post_id").fetchall(),
            "raw": con.execute("SELECT post_id, payload FROM raw_posts ORDER BY post_id").fetchall(),
            "quarantine": con.execute(
                "SELECT payload, reason FROM quarantine ORDER BY payload, reason").fetchall(),
            "cursor": con.execute(
                "SELECT since_id, complete, newest_id FROM x_cursors ORDER BY query").fetchall(),
        }
    finally:
        con.close()


@pytest.mark.parametrize("scenario", ["ok", "server_errors_persistent", "expired_token"])
def test_worker_processes_store_exactly_what_in_process_ingest_stores(
    scenario: str, x_server, tmp_path
) -> None:
    """Batches cleaned in worker processes while pages are fetched, stored in order: the warehouse
    is the same, row for row, as cleaning them in the fetching process (also after a stop)."""
    tables, counts = {}, {}
    for workers in (0, 2):
        settings = settings_for(tmp_path / f"workers{workers}")
        client = make_x_client(TEST_TOKEN, api_base=x_server.url, timeout=CLIENT_TIMEOUT)
        runs = []
        for fault in RUN_PLANS[scenario]:
            x_server.set_scenario(fault)
            try:
                runs += flows.ingest_x(settings=settings, since=WINDOW_START, until=WINDOW_END,
                                       queries=[QUERY], client=client, policy=fast_policy(),
                                       batch_size=60, workers=workers)
            except XAuthError:
                runs.append(None)
        tables[workers] = _tables(settings)
        counts[workers] = [(r.status, r.read, r.stored, r.duplicates, r.quarantined) if r else None
                           for r in runs]
    x_server.set_scenario("ok")
    assert counts[0] == counts[2]
    for name in tables[0]:
        assert tables[0][name] == tables[2][name], name
    assert {pid.split(":", 1)[1] for pid, *_ in tables[2]["posts"]} == x_server.expected_ids()


def test_ingest_workers_setting(tmp_path) -> None:
    auto = 2 if (os.cpu_count() or 1) >= 2 else 0
    assert settings_for(tmp_path).ingest_workers == auto  # unset: auto
    assert settings_for(tmp_path, MINSIM_INGEST_WORKERS="auto").ingest_workers == auto
    assert settings_for(tmp_path, MINSIM_INGEST_WORKERS="0").ingest_workers == 0
    assert settings_for(tmp_path, MINSIM_INGEST_WORKERS="3").ingest_workers == 3
    with pytest.raises(ValueError, match="MINSIM_INGEST_WORKERS"):
        settings_for(tmp_path, MINSIM_INGEST_WORKERS="many")


def test_worker_handoff_returns_at_once_keeps_order_and_reports_errors() -> None:
    """Batches go to the worker processes from a background thread: the fetching loop is not
    held while the first worker starts (the fork server imports for seconds), results come back
    in order, and a batch that fails in a worker raises where it is collected."""
    import time
    from concurrent.futures import CancelledError

    pool = flows._prepare_pool(2)
    if pool is None:
        pytest.skip("no forkserver start method on this platform")
    try:
        t = time.perf_counter()
        futures = [pool.submit(divmod, n, 7) for n in range(50)]
        failing = pool.submit(int, "not a number")
        assert time.perf_counter() - t < 0.5
        assert [f.result(timeout=120) for f in futures] == [divmod(n, 7) for n in range(50)]
        with pytest.raises(ValueError, match="not a number"):
            failing.result(timeout=60)
        # cancelled before it reached the pool: it is never run
        blocker = pool.feeder.submit(time.sleep, 0.5)
        late = pool.submit(divmod, 1, 1)
        assert late.cancel() and blocker.result() is None
        with pytest.raises(CancelledError):
            late.result()
        # shut down with work still queued: that work is cancelled, not left pending
        pool.feeder.submit(time.sleep, 0.5)
        queued = pool.submit(divmod, 2, 1)
        pool.shutdown(wait=True, cancel_futures=True)
        assert queued.cancelled()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
