"""Table contracts run through Great Expectations: a broken batch names what broke."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from pipeline.validation.suites import ContractError, validate_table


def _posts(ids: list[str], hour: int = 3) -> pd.DataFrame:
    when = pd.Timestamp(datetime(2026, 3, 3, hour, tzinfo=UTC))
    return pd.DataFrame({
        "post_id": ids, "channel": "x", "created_at": [when] * len(ids),
        "day": [when.date()] * len(ids), "text": ["지하철 증차 부탁드립니다"] * len(ids),
        "text_key": [f"k{i}" for i in range(len(ids))],
    })


def test_good_batch_passes_and_reports_what_was_checked() -> None:
    out = validate_table("posts", _posts(["x:1", "x:2"]))
    assert out["success"] and out["rows"] == 2 and out["checked"] >= 7


def test_each_batch_is_checked_on_its_own_rows() -> None:
    # the data source and suite are made once and reused: a later batch must still be judged
    # on its own rows, not on the first batch's
    validate_table("posts", _posts(["x:1", "x:2"]))
    with pytest.raises(ContractError, match="expect_column_values_to_be_unique.*x:3"):
        validate_table("posts", _posts(["x:3", "x:3"]))
    validate_table("posts", _posts(["x:4", "x:5"]))


def test_window_is_part_of_the_contract() -> None:
    window = (datetime(2026, 3, 3, 0, tzinfo=UTC), datetime(2026, 3, 3, 6, tzinfo=UTC))
    validate_table("posts", _posts(["x:1"], hour=3), window=window)
    with pytest.raises(ContractError, match="expect_column_values_to_be_between.*created_at"):
        validate_table("posts", _posts(["x:2"], hour=9), window=window)
    validate_table("posts", _posts(["x:3"], hour=9))  # another window (none): its own suite


def test_empty_batch_and_unknown_table() -> None:
    assert validate_table("posts", _posts([]))["checked"] == 0
    with pytest.raises(ValueError, match="no suite"):
        validate_table("nope", _posts(["x:1"]))
