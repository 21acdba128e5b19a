"""Minsim model retraining: weekly, promote a candidate only when it is not worse."""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

DOC = """
### 민심 model retraining
Retrains the sentiment model (with the analysts' corrections in `label_feedback`) and the
policy-area model from `MINSIM_CORPORA` with a fixed seed, evaluates each candidate beside the
model in use on the same evaluation sets, and promotes it (copies it under `models/<name>/` and
points `DEFAULT` at it) only when it is not worse on any of them. The report is the task's value.
"""


@dag(
    dag_id="minsim_retrain",
    schedule="0 3 * * 0",  # Sundays 03:00 Seoul time, after the week's feedback is in
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Seoul"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "minsim", "retries": 2, "retry_delay": timedelta(minutes=30)},
    tags=["minsim", "models"],
    doc_md=DOC,
)
def minsim_retrain():
    @task
    def retrain(name: str) -> dict:
        from pipeline import flows
        from pipeline.config import get_settings

        return flows.retrain_and_promote(name, settings=get_settings())

    retrain.expand(name=["sentiment", "policy"])


minsim_retrain()
