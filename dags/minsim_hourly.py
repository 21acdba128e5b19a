"""Minsim hourly signals: analyse the last hour's posts, update series and alerts."""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

DOC = """
### 민심 hourly signals
For the hour that just ended (its data interval): collects from `MINSIM_SOURCES` that poll
(x, feeds, inbox), analyses posts of the hour not analysed yet, rewrites the hour's rows of
`series_hourly` and updates `alerts` (a continuing burst extends its open alert). The daily DAG
later recomputes the whole day, so the hourly numbers are provisional.
"""


@dag(
    dag_id="minsim_hourly",
    schedule=CronDataIntervalTimetable("5 * * * *", timezone="Asia/Seoul"),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Seoul"),
    catchup=False,
    max_active_runs=1,  # one writer at a time on the DuckDB file
    default_args={"owner": "minsim", "retries": 2, "retry_delay": timedelta(minutes=2)},
    tags=["minsim", "hourly", "alerts"],
    doc_md=DOC,
)
def minsim_hourly():
    @task
    def collect() -> int:
        from airflow.sdk import get_current_context

        from pipeline import flows
        from pipeline.config import get_settings

        ctx = get_current_context()
        settings = get_settings()
        runs = flows.collect_live(settings=settings, since=ctx["data_interval_start"],
                                  until=ctx["data_interval_end"])
        return sum(r.stored for r in runs)

    @task
    def update(stored: int) -> dict:
        from airflow.sdk import get_current_context

        from pipeline import flows
        from pipeline.config import get_settings

        start = get_current_context()["data_interval_start"]
        return flows.hourly_update(start, settings=get_settings())

    update(collect())


minsim_hourly()
