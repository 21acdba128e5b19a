"""Inserts into a real DuckDB warehouse keep every value, whichever way the frame travels."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd

from pipeline.storage import warehouse as wh


def test_object_columns_round_trip_through_arrow(tmp_path) -> None:
    when = datetime(2026, 3, 3, 1, 2, 3, tzinfo=UTC)
    posts = pd.DataFrame({
        "post_id": ["x:1", "x:2"], "channel": ["x", "x"], "source_id": ["1", "2"],
        "created_at": pd.to_datetime([when, when], utc=True), "day": [date(2026, 3, 3)] * 2,
        "text": ["#서울시 따릉이 😀", "مرحبا 안녕"], "text_norm": ["#서울시 따릉이 😀", "مرحبا 안녕"],
        "likes": pd.array([3, None], dtype="Int64"), "hashtags": [["#서울시"], []],
        "mentions": [[], None], "lsh_bands": [[1, (1 << 61) - 2], None], "text_key": ["a", "b"],
    })
    with wh.open_warehouse(tmp_path / "w.duckdb") as con:
        wh.insert_rows(con, "posts", posts)
        got = con.execute("SELECT post_id, day, text, likes, hashtags, mentions, lsh_bands, "
                          "created_at FROM posts ORDER BY post_id").fetchall()
    assert got[0][:5] == ("x:1", date(2026, 3, 3), "#서울시 따릉이 😀", 3, ["#서울시"])
    assert list(got[0][6]) == [1, (1 << 61) - 2] and got[0][7] == when
    assert got[1][3] is None and got[1][4] == [] and got[1][5] is None and got[1][6] is None
    assert got[1][2] == "مرحبا 안녕"


def test_a_column_arrow_cannot_type_still_goes_in(tmp_path) -> None:
    # mixed Python values in one column: Arrow refuses, DuckDB's own pandas scan takes it
    bad = pd.DataFrame({"run_id": ["r", "r"], "source": ["x", "x"], "line_no": [1, 2],
                        "payload": pd.Series(["{}", 7], dtype=object), "reason": ["a", "b"],
                        "quarantined_at": [datetime(2026, 3, 3, tzinfo=UTC), None]})
    with wh.open_warehouse(tmp_path / "w.duckdb") as con:
        wh.insert_rows(con, "quarantine", bad)
        got = con.execute("SELECT payload FROM quarantine ORDER BY line_no").fetchall()
    assert got == [("{}",), ("7",)]
