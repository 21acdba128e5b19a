"""Minsim daily opinion loop: ingest -> validate -> NLP -> aggregate -> report, per Seoul day."""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

DOC = """
### 민심 daily briefing
For the data interval's day (Asia/Seoul): collects posts from `MINSIM_SOURCES` (simulator, x,
feeds, inbox), checks the posts contract, runs Korean NLP, writes `opinion_daily`, topics,
keyword networks and signals, and renders the briefing to `$MINSIM_DATA_DIR/reports/<day>/`
(e-mailed through Airflow's SMTP settings when `MINSIM_BRIEFING_EMAIL` is set).
Every task calls a `pipeline.flows` function, so it is the same code as the `minsim` CLI, and
re-running a task replaces its day's partition.
"""

DEFAULT_ARGS = {"owner": "minsim", "retries": 2, "retry_delay": timedelta(minutes=5)}


def _day(context) -> pendulum.Date:
    return context["data_interval_start"].in_timezone("Asia/Seoul").date()


@dag(
    dag_id="minsim_daily",
    # A data interval per Seoul day: the run at 00:00 processes the day that just ended.
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="Asia/Seoul"),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Seoul"),
    catchup=False,  # backfills are explicit: `airflow dags backfill minsim_daily -s … -e …`
    max_active_runs=1,  # one writer at a time on the DuckDB file
    default_args=DEFAULT_ARGS,
    tags=["minsim", "daily"],
    doc_md=DOC,
)
def minsim_daily():
    @task
    def ingest() -> int:
        from airflow.sdk import get_current_context

        from pipeline import flows
        from pipeline.config import get_settings

        runs = flows.ingest_day(_day(get_current_context()), settings=get_settings())
        return sum(r.stored for r in runs)

    @task
    def validate(stored: int) -> int:
        from airflow.sdk import get_current_context

        from pipeline import flows
        from pipeline.config import get_settings

        return flows.validate_day(_day(get_current_context()), settings=get_settings())["rows"]

    @task
    def nlp(rows: int) -> int:
        from airflow.sdk import get_current_context

        from pipeline import flows
        from pipeline.config import get_settings
        from pipeline.storage.warehouse import open_warehouse

        settings = get_settings()
        with open_warehouse(settings.warehouse) as con:
            return flows.analyse_day(_day(get_current_context()), settings=settings, con=con).stored

    @task
    def aggregate(analysed: int) -> int:
        from airflow.sdk import get_current_context

        from pipeline import flows
        from pipeline.config import get_settings
        from pipeline.storage.warehouse import open_warehouse

        settings = get_settings()
        with open_warehouse(settings.warehouse) as con:
            return flows.aggregate_day(_day(get_current_context()), settings=settings, con=con).stored

    @task
    def report(rows: int) -> str:
        from airflow.sdk import get_current_context

        from pipeline import flows
        from pipeline.config import get_settings

        settings = get_settings()
        day = _day(get_current_context())
        paths = flows.deliver_briefing(day, settings=settings)
        if settings.briefing_email:  # Airflow's [smtp] settings / smtp_default connection
            from airflow.utils.email import send_email

            send_email(
                to=list(settings.briefing_email),
                subject=f"[민심] {day} 시민 여론 브리핑",
                html_content=paths["html"].read_text(encoding="utf-8"),
                files=[str(p) for k, p in paths.items() if k != "html"],
            )
        return str(paths["html"])

    report(aggregate(nlp(validate(ingest()))))


minsim_daily()
