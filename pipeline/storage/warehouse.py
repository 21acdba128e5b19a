"""The DuckDB warehouse: versioned migrations, partition writes through DataFrames, staff views."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd

log = logging.getLogger(__name__)

# Tables a write may name (STYLE §6: table names from an allow-list, never from input).
TABLES = frozenset({
    "posts", "raw_posts", "post_nlp", "opinion_daily", "quarantine", "pipeline_runs",
    "label_feedback", "ingested_files", "x_cursors", "feed_state", "topics", "post_topics",
    "keyword_sentiment", "keyword_links", "alerts", "series_hourly", "opinion_leaders",
    "coordinated_accounts", "official_accounts", "official_responses", "mvoting_polls",
    "mvoting_options", "mvoting_comparison", "planted_events",
})
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


class WarehouseError(RuntimeError):
    """A warehouse problem a user can act on (one line)."""


def sql_text(name: str) -> str:
    """A SQL file of `pipeline/storage/sql` by name."""
    return resources.files("pipeline.storage").joinpath(f"sql/{name}").read_text("utf-8")


def migrations() -> list[tuple[int, str]]:
    files = resources.files("pipeline.storage").joinpath("sql").iterdir()
    found = []
    for f in files:
        m = re.match(r"^(\d{3})_[a-z0-9_]+\.sql$", f.name)
        if m:
            found.append((int(m.group(1)), f.name))
    return sorted(found)


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply pending migrations in order; returns the versions applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ DEFAULT current_timestamp)"
    )
    done = {r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name in migrations():
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql_text(name))
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(version)
    if applied:
        con.execute(sql_text("views.sql"))
        log.info("applied migrations %s", applied)
    return applied


def connect(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (migrated when writable)."""
    path = Path(path)
    if read_only:
        if not path.exists():
            raise WarehouseError(f"no warehouse at {path}: run `minsim demo` or `minsim ingest` first")
        return duckdb.connect(str(path), read_only=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path))
    except duckdb.IOException as exc:
        raise WarehouseError(f"cannot open {path}: {str(exc).splitlines()[0]}") from exc
    migrate(con)
    return con


@contextlib.contextmanager
def open_warehouse(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(path, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def _check_table(table: str) -> str:
    if table not in TABLES:
        raise ValueError(f"table {table!r} is not a warehouse table")
    return table


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


def _insert(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame, verb: str) -> int:
    if df.empty:
        return 0
    cols = [c for c in _columns(con, table) if c in df.columns]
    for c in cols:
        if not _IDENT.match(c):
            raise ValueError(f"bad column name {c!r}")
    frame = _as_arrow(df[cols])  # noqa: F841 - referenced by name in the SQL below
    col_sql = ", ".join(f'"{c}"' for c in cols)
    con.execute(f'{verb} INTO {table} ({col_sql}) SELECT {col_sql} FROM frame')
    return len(df)


def _as_arrow(df: pd.DataFrame):
    """`df` as an Arrow table when it has columns of Python objects (lists of hashtags, band
    keys, dates): Arrow converts those in C++, where DuckDB's pandas scan goes object by object
    (about half the insert time of a batch of posts). Other frames, and any column Arrow cannot
    type (mixed values), go to DuckDB as they are."""
    if not any(dtype == object for dtype in df.dtypes):
        return df
    import pyarrow as pa

    try:
        return pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return df


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> int:
    """Append `df` (columns matched by name) to `table`."""
    return _insert(con, _check_table(table), df, "INSERT")


def upsert_rows(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> int:
    """Insert or replace `df` by the table's primary key."""
    return _insert(con, _check_table(table), df, "INSERT OR REPLACE")


def _replace(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame, cond: str,
             params: list) -> int:
    """Delete the rows matching `cond` and insert `df`, in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {table} WHERE {cond}", params)
        n = _insert(con, table, df, "INSERT")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return n


def replace_partition(
    con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame, where: Mapping[str, object]
) -> int:
    """Delete the partition `where` (column = value, ANDed) and insert `df`, in one transaction."""
    _check_table(table)
    for c in where:
        if not _IDENT.match(c):
            raise ValueError(f"bad column name {c!r}")
    cond = " AND ".join(f'"{c}" = ?' for c in where) or "TRUE"
    return _replace(con, table, df, cond, list(where.values()))


def replace_range(
    con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame, column: str,
    lo: object, hi: object,
) -> int:
    """Delete rows with lo <= column < hi and insert `df`, in one transaction."""
    _check_table(table)
    if not _IDENT.match(column):
        raise ValueError(f"bad column name {column!r}")
    return _replace(con, table, df, f'"{column}" >= ? AND "{column}" < ?', [lo, hi])


def existing_ids(con: duckdb.DuckDBPyConnection, post_ids: list[str]) -> set[str]:
    """Which of `post_ids` the warehouse already stores."""
    if not post_ids:
        return set()
    probe = pd.DataFrame({"post_id": post_ids})  # noqa: F841
    rows = con.execute(
        "SELECT p.post_id FROM posts p JOIN probe USING (post_id)"
    ).fetchall()
    return {r[0] for r in rows}


def query_df(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()
