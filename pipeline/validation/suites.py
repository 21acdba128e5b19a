"""One Great Expectations suite per table, built in code and run at stage boundaries.

Row-level problems are quarantined before this point (transforms); a suite failing here means a
batch broke a contract, and the stage fails with a message naming the broken expectations.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import date, datetime

import numpy as np
import pandas as pd

from pipeline.schema import POLICY_AREAS, SENTIMENTS

log = logging.getLogger(__name__)
_lock = threading.RLock()
_context = None


class ContractError(RuntimeError):
    """A batch broke a table contract."""


def _gx():
    global _context
    # GX phones home for usage statistics unless told not to; on a closed network that stalls.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    with _lock:
        if _context is None:
            for name in [n for n in logging.root.manager.loggerDict if n.startswith("great_exp")]:
                logging.getLogger(name).setLevel(logging.WARNING)
            logging.getLogger("great_expectations").setLevel(logging.WARNING)
            _context = gx.get_context(mode="ephemeral")
            from great_expectations.data_context.types.base import ProgressBarsConfig

            _context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return gx, _context


def _suite(table: str, window: tuple[datetime, datetime] | None):
    gx, _ = _gx()
    E = gx.expectations
    s = gx.ExpectationSuite(name=f"{table}_contract")
    if table == "posts":
        for col in ("post_id", "channel", "created_at", "day", "text", "text_key"):
            s.add_expectation(E.ExpectColumnValuesToNotBeNull(column=col))
        s.add_expectation(E.ExpectColumnValuesToBeUnique(column="post_id"))
        s.add_expectation(E.ExpectColumnValueLengthsToBeBetween(column="text", min_value=1,
                                                                max_value=20_000))
        if window is not None:
            s.add_expectation(E.ExpectColumnValuesToBeBetween(
                column="created_at", min_value=pd.Timestamp(window[0]),
                max_value=pd.Timestamp(window[1])))
    elif table == "post_nlp":
        for col in ("post_id", "sentiment", "sentiment_score", "policy_area", "model_version"):
            s.add_expectation(E.ExpectColumnValuesToNotBeNull(column=col))
        s.add_expectation(E.ExpectColumnValuesToBeUnique(column="post_id"))
        s.add_expectation(E.ExpectColumnValuesToBeInSet(column="sentiment", value_set=list(SENTIMENTS)))
        s.add_expectation(E.ExpectColumnValuesToBeInSet(column="policy_area",
                                                        value_set=list(POLICY_AREAS)))
        s.add_expectation(E.ExpectColumnValuesToBeBetween(column="sentiment_score", min_value=-1.0,
                                                          max_value=1.0))
    elif table == "opinion_daily":
        for col in ("day", "policy_area", "district", "channel", "posts"):
            s.add_expectation(E.ExpectColumnValuesToNotBeNull(column=col))
        s.add_expectation(E.ExpectCompoundColumnsToBeUnique(
            column_list=["day", "policy_area", "district", "channel"]))
        s.add_expectation(E.ExpectColumnValuesToBeBetween(column="posts", min_value=0))
        s.add_expectation(E.ExpectColumnValuesToBeBetween(column="mean_score", min_value=-1.0,
                                                          max_value=1.0, mostly=1.0))
        s.add_expectation(E.ExpectColumnValuesToBeInSet(column="policy_area",
                                                        value_set=list(POLICY_AREAS)))
    else:
        raise ValueError(f"no suite for table {table!r}")
    return s


_SUITES: dict[tuple, object] = {}
_BATCH_DEFINITIONS: dict[str, object] = {}


def _suite_for(table: str, window: tuple[datetime, datetime] | None):
    """The table's suite, built once per (table, window) and reused for every batch."""
    key = (table, window)
    if key not in _SUITES:
        if len(_SUITES) > 256:
            _SUITES.clear()
        _SUITES[key] = _suite(table, window)
    return _SUITES[key]


def _batch_definition(context, table: str):
    """One in-memory data source, dataframe asset and batch definition per table, made once:
    adding and deleting them per batch rewrites the context's configuration each time."""
    if table not in _BATCH_DEFINITIONS:
        source = context.data_sources.add_or_update_pandas(name=f"minsim_{table}")
        asset = source.add_dataframe_asset(name=table)
        _BATCH_DEFINITIONS[table] = asset.add_batch_definition_whole_dataframe(table)
    return _BATCH_DEFINITIONS[table]


def _holds_lists(col: pd.Series) -> bool:
    first = col.dropna().head(1).tolist()
    return bool(first) and isinstance(first[0], (list, tuple, set, dict, np.ndarray))


def validate_table(
    table: str, df: pd.DataFrame, *, window: tuple[datetime, datetime] | None = None
) -> dict:
    """Run the table's suite on `df`; raise ContractError naming what broke. Returns a summary."""
    if df.empty:
        return {"table": table, "rows": 0, "success": True, "checked": 0}
    _, context = _gx()
    frame = df[[c for c in df.columns if not _holds_lists(df[c])]].copy()
    for c in frame.columns:  # calendar days as timestamps: GX's null checks expect those
        first = frame[c].dropna().head(1).tolist()
        if first and isinstance(first[0], date) and not isinstance(first[0], datetime):
            frame[c] = pd.to_datetime(frame[c])
    with _lock:
        batch = _batch_definition(context, table).get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(_suite_for(table, window))
    failed = []
    for r in result.results:
        if not r.success:
            cfg = r.expectation_config
            kwargs = {k: v for k, v in cfg.kwargs.items() if k in ("column", "column_list")}
            info = r.exception_info or {}
            if info.get("raised_exception"):
                failed.append(f"{cfg.type}{kwargs} could not run: "
                              f"{str(info.get('exception_message'))[:300]}")
                continue
            unexpected = (r.result or {}).get("partial_unexpected_list", [])[:3]
            failed.append(f"{cfg.type}{kwargs} e.g. {unexpected}")
    if failed:
        raise ContractError(f"{table}: {len(failed)} contract check(s) failed: " + "; ".join(failed))
    return {"table": table, "rows": len(df), "success": True, "checked": len(result.results)}
