"""Helpers the analyst notebooks import: open the warehouse read-only, load a day, plot in Korean,
and record an analyst's sentiment correction (the one write, to `label_feedback`).

    from pipeline import notebook_helpers as nh
    con = nh.open_warehouse()          # read-only; a clear message when there is nothing to read
    day = nh.latest_day(con)
    posts = nh.load_day(con, day)      # v_posts rows of that day
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.config import get_settings
from pipeline.schema import POLICY_AREAS, SENTIMENTS

RUN_DEMO_FIRST = "run `make demo` (or `uv run minsim demo`) first"


class WarehouseNotReady(RuntimeError):
    """The warehouse is missing or holds no analysed posts; the message says what to run."""


def warehouse_path() -> Path:
    """The warehouse file of the current settings (`MINSIM_WAREHOUSE`)."""
    return get_settings().warehouse


def open_warehouse(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a warehouse that holds analysed posts.

    Its time zone is Asia/Seoul, so timestamps (`created_at`, …) read as Seoul wall-clock time,
    the time the `day` columns and the briefing use.
    """
    path = Path(path) if path is not None else warehouse_path()
    if not path.is_file():
        raise WarehouseNotReady(f"no warehouse at {path}: {RUN_DEMO_FIRST}")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise WarehouseNotReady(
            f"cannot open {path} read-only ({first}); if the pipeline is writing, wait for it or "
            "read a snapshot (docs/sql.md)"
        ) from exc
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    if (
        not {"posts", "post_nlp"} <= tables
        or not con.execute("SELECT count(*) FROM post_nlp").fetchall()[0][0]
    ):
        con.close()
        raise WarehouseNotReady(
            f"the warehouse at {path} holds no analysed posts: {RUN_DEMO_FIRST}"
        )
    con.execute("SET TimeZone = 'Asia/Seoul'")
    return con


def days(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """Days with analysed posts, oldest first."""
    return [r[0] for r in con.execute("SELECT DISTINCT day FROM post_nlp ORDER BY day").fetchall()]


def latest_day(con: duckdb.DuckDBPyConnection) -> dt.date:
    found = days(con)
    if not found:
        raise WarehouseNotReady(f"no analysed posts: {RUN_DEMO_FIRST}")
    return found[-1]


def load_day(
    con: duckdb.DuckDBPyConnection, day: dt.date | str | None = None, *, duplicates: bool = False
) -> pd.DataFrame:
    """`v_posts` rows (post with its NLP results) of one day; duplicates left out unless asked."""
    day = latest_day(con) if day is None else pd.Timestamp(day).date()
    sql = "SELECT * FROM v_posts WHERE day = ?"
    if not duplicates:
        sql += " AND duplicate_of IS NULL"
    return con.execute(sql + " ORDER BY created_at", [day]).df()


def query(
    con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None
) -> pd.DataFrame:
    """Run a read-only query with bound parameters and return a DataFrame."""
    return con.execute(sql, params or []).df()


def area_name(code: str) -> str:
    """Korean name of a policy-area code (정책 분야)."""
    return POLICY_AREAS.get(code, code)


def setup_korean_plots() -> str:
    """Register NanumGothic with matplotlib and make it the default font; returns the family."""
    import matplotlib

    from pipeline.reports.charts import FONT_FAMILY, korean_font_path

    korean_font_path()
    matplotlib.rcParams["font.family"] = FONT_FAMILY
    matplotlib.rcParams["axes.unicode_minus"] = False
    return FONT_FAMILY


def correct_sentiment(
    post_id: str, label: str, analyst: str, note: str | None = None, *, path: Path | None = None
) -> None:
    """Record that `analyst` judges the sentiment of `post_id` to be `label` (table label_feedback).

    This opens the warehouse read-write for one short insert: close notebook connections that
    hold it first, and do not run it while the pipeline writes.
    """
    if label not in SENTIMENTS:
        raise ValueError(f"label must be one of {', '.join(SENTIMENTS)}, not {label!r}")
    if not analyst or not analyst.strip():
        raise ValueError("analyst must name who made the correction")
    path = Path(path) if path is not None else warehouse_path()
    if not path.is_file():
        raise WarehouseNotReady(f"no warehouse at {path}: {RUN_DEMO_FIRST}")
    from pipeline.storage import warehouse

    try:
        con = warehouse.connect(path)
    except warehouse.WarehouseError as exc:
        raise WarehouseNotReady(
            f"{exc} (close read-only notebook connections with con.close() first)"
        ) from exc
    try:
        found = con.execute("SELECT count(*) FROM posts WHERE post_id = ?", [post_id]).fetchall()
        if not found[0][0]:
            raise KeyError(f"no post {post_id!r} in the warehouse")
        row = pd.DataFrame(
            [
                {
                    "post_id": post_id,
                    "sentiment": label,
                    "analyst": analyst.strip(),
                    "note": note,
                    "created_at": pd.Timestamp.now(tz="UTC"),
                }
            ]
        )
        warehouse.insert_rows(con, "label_feedback", row)
    finally:
        con.close()
