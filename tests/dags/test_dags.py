"""The DAG folder imports cleanly, every DAG has tags and retries, and the daily DAG runs.

Airflow reads its settings at import, so each check runs in a fresh interpreter with a temporary
AIRFLOW_HOME (SQLite metadata DB) — the same way `airflow standalone` would see the folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.config import PROJECT_ROOT

pytest.importorskip("airflow", reason="Airflow is installed with `uv sync --extra airflow` (make test)")

DAGS = PROJECT_ROOT / "dags"


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("airflow")
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "MINSIM_WAREHOUSE": str(home / "warehouse.duckdb"),
        "MINSIM_DATA_DIR": str(home / "data"),
        "MINSIM_SOURCES": "simulator",
        "MINSIM_PSEUDONYM_SALT": "dag-test",
        "PYTHONPATH": str(PROJECT_ROOT),
    })
    out = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env,
                         capture_output=True, text=True, timeout=600, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return env


def run_py(code: str, env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=PROJECT_ROOT, check=False)


def test_dag_folder_imports_with_tags_and_retries(airflow_env: dict[str, str]) -> None:
    out = run_py(
        "import json\n"
        "from airflow.models import DagBag\n"
        f"bag = DagBag(dag_folder={str(DAGS)!r})\n"
        "print('RESULT', json.dumps({'errors': {k: str(v)[:500] for k, v in bag.import_errors.items()},"
        " 'dags': {d.dag_id: {'tags': sorted(d.tags), 'retries': [t.retries for t in d.tasks]}"
        " for d in bag.dags.values()}}))\n",
        airflow_env)
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    assert result["errors"] == {}
    assert "minsim_daily" in result["dags"]
    for dag_id, info in result["dags"].items():
        assert info["tags"], f"{dag_id} has no tags"
        assert all(r >= 2 for r in info["retries"]), f"{dag_id} has a task with retries < 2"


def test_daily_dag_runs_end_to_end(airflow_env: dict[str, str]) -> None:
    out = run_py(
        "import pendulum, duckdb\n"
        "from airflow.models import DagBag\n"
        f"bag = DagBag(dag_folder={str(DAGS)!r})\n"
        "dag = bag.get_dag('minsim_daily')\n"
        "run = dag.test(logical_date=pendulum.datetime(2026, 11, 10, tz='Asia/Seoul'))\n"
        "print('STATE', run.state)\n"
        "print('DAY', pendulum.instance(run.data_interval_start).in_timezone('Asia/Seoul').date())\n",
        airflow_env)
    assert "STATE success" in out.stdout, (out.stdout[-3000:], out.stderr[-5000:])
    day = next(ln.split()[1] for ln in out.stdout.splitlines() if ln.startswith("DAY "))
    import duckdb

    con = duckdb.connect(airflow_env["MINSIM_WAREHOUSE"], read_only=True)
    try:
        days = con.execute("SELECT DISTINCT day FROM posts").fetchall()
        posts = con.execute("SELECT count(*) FROM posts WHERE day = ?", [day]).fetchall()[0][0]
        nlp = con.execute("SELECT count(*) FROM post_nlp WHERE day = ?", [day]).fetchall()[0][0]
        daily = con.execute("SELECT sum(posts) FROM opinion_daily WHERE day = ?", [day]).fetchall()[0][0]
    finally:
        con.close()
    assert [str(d) for (d,) in days] == [day]  # the run's data interval, and only it
    assert posts > 1000 and nlp == posts and daily > 0
    assert (Path(airflow_env["MINSIM_DATA_DIR"]) / "reports" / day / "briefing.html").is_file()


def _daily_x_run(airflow_env: dict[str, str], api_base: str, tmp_path: Path,
                 **extra: str) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    """The daily DAG for logical date 2026-03-04 (the Seoul day 2026-03-03) with MINSIM_SOURCES=x
    against the fake X API at `api_base`, in a fresh interpreter; its output and environment."""
    from tests.sources.conftest import TEST_TOKEN

    env = dict(airflow_env, MINSIM_SOURCES="x", MINSIM_X_API_BASE=api_base,
               MINSIM_X_BEARER_TOKEN=TEST_TOKEN, MINSIM_X_QUERIES="#서울시",
               MINSIM_WAREHOUSE=str(tmp_path / "x.duckdb"), MINSIM_DATA_DIR=str(tmp_path / "d"),
               **extra)
    out = run_py(
        "import pendulum\n"
        "from airflow.models import DagBag\n"
        f"bag = DagBag(dag_folder={str(DAGS)!r})\n"
        "run = bag.get_dag('minsim_daily').test("
        "logical_date=pendulum.datetime(2026, 3, 4, tz='Asia/Seoul'))\n"
        "print('STATE', run.state)\n",
        env)
    return out, env


def test_daily_dag_collects_x_completely_through_server_errors(
    airflow_env: dict[str, str], tmp_path: Path
) -> None:
    """The daily DAG's ingest task with MINSIM_SOURCES=x, against the fake X API v2 server on
    127.0.0.1 answering 500/502/503 on some pages: the day's window is stored exactly once."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    import duckdb

    from tests.sources.conftest import TEST_TOKEN
    from tests.sources.fake_x_server import FakeXServer

    seoul = ZoneInfo("Asia/Seoul")
    since = datetime(2026, 3, 3, tzinfo=seoul)  # the data interval of logical date 2026-03-04
    until = since + timedelta(days=1)
    # posts from 6 hours before the day to 6 hours after: the run must take exactly its day
    with FakeXServer(n=2400, start=since - timedelta(hours=6), end=until + timedelta(hours=6),
                     token=TEST_TOKEN, slow_s=0.8) as server:
        server.set_scenario("server_errors")
        out, env = _daily_x_run(airflow_env, server.url, tmp_path)
        expected = server.expected_ids(since=since, until=until)
        faults = server.hits["p2"] + server.hits["p4"]
    assert "STATE success" in out.stdout, (out.stdout[-3000:], out.stderr[-5000:])
    con = duckdb.connect(env["MINSIM_WAREHOUSE"], read_only=True)
    try:
        ids = [r[0] for r in con.execute("SELECT source_id FROM posts WHERE channel = 'x'").fetchall()]
        runs = con.execute("SELECT status FROM pipeline_runs WHERE source = 'x:#서울시'").fetchall()
    finally:
        con.close()
    assert len(expected) > 500 and faults == 4  # every injected error was met
    assert len(ids) == len(set(ids)) and set(ids) == expected
    assert runs == [("complete",)]


def test_daily_dag_cleans_a_large_x_day_in_worker_processes(
    airflow_env: dict[str, str], tmp_path: Path
) -> None:
    """A day of more than one batch (10,000 posts): inside the Airflow task, the ingest starts its
    worker processes (fork server) at the first full batch, and the day is stored exactly once."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    import duckdb

    from tests.sources.conftest import TEST_TOKEN
    from tests.sources.fake_x_server import FakeXServer

    seoul = ZoneInfo("Asia/Seoul")
    since = datetime(2026, 3, 3, tzinfo=seoul)
    until = since + timedelta(days=1)
    with FakeXServer(n=13_000, start=since, end=until, token=TEST_TOKEN) as server:
        out, env = _daily_x_run(airflow_env, server.url, tmp_path, MINSIM_INGEST_WORKERS="2")
        expected = server.expected_ids(since=since, until=until)
    assert "STATE success" in out.stdout, (out.stdout[-3000:], out.stderr[-5000:])
    assert "ingest_x: 2 worker processes clean the batches" in out.stdout + out.stderr
    con = duckdb.connect(env["MINSIM_WAREHOUSE"], read_only=True)
    try:
        ids = [r[0] for r in con.execute("SELECT source_id FROM posts WHERE channel = 'x'").fetchall()]
        batches = con.execute(
            "SELECT count(*) FROM pipeline_runs WHERE stage = 'ingest_x_batch'").fetchall()[0][0]
    finally:
        con.close()
    assert len(expected) > 10_000 and batches >= 2
    assert len(ids) == len(set(ids)) and set(ids) == expected
