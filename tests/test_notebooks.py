"""Every notebook in notebooks/ runs top to bottom against the demo warehouse (nbclient), and explains
what to run first against an empty one. `correct_sentiment` writes one row to label_feedback."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from pipeline import notebook_helpers as nh

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def _run(notebook: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> nbformat.NotebookNode:
    monkeypatch.setenv("MINSIM_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    client.execute()
    return nb


def test_there_are_numbered_notebooks() -> None:
    assert len(NOTEBOOKS) >= 3
    assert all(nb.name[:3].rstrip("-").isdigit() for nb in NOTEBOOKS)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_against_demo_warehouse(
    notebook: Path, demo_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nb = _run(notebook, demo_warehouse, monkeypatch)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    if notebook.name.startswith("03"):
        # the demo has mVoting polls: the notebook compares each poll, not an empty fallback
        assert "mvoting_comparison: each poll's vote" in printed


@pytest.mark.parametrize("state", ["missing", "empty"])
def test_notebook_on_empty_warehouse_says_what_to_run(
    state: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "warehouse.duckdb"
    if state == "empty":
        from pipeline.storage import warehouse

        warehouse.connect(path).close()
    with pytest.raises(CellExecutionError) as info:
        _run(NOTEBOOKS[0], path, monkeypatch)
    message = str(info.value)
    assert "make demo" in message
    assert "WarehouseNotReady" in message


def test_correct_sentiment_writes_label_feedback(demo_warehouse: Path, tmp_path: Path) -> None:
    path = tmp_path / "copy.duckdb"
    shutil.copy(demo_warehouse, path)
    con = nh.open_warehouse(path)
    post_id = nh.load_day(con)["post_id"].iloc[0]
    con.close()
    nh.correct_sentiment(post_id, "negative", analyst="홍길동", note="반어법", path=path)
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "SELECT post_id, sentiment, analyst, note FROM label_feedback"
        ).fetchall()
    assert rows == [(post_id, "negative", "홍길동", "반어법")]
    with pytest.raises(ValueError):
        nh.correct_sentiment(post_id, "angry", analyst="홍길동", path=path)
    with pytest.raises(KeyError):
        nh.correct_sentiment("x:no-such-post", "neutral", analyst="홍길동", path=path)


def test_open_warehouse_is_read_only(demo_warehouse: Path) -> None:
    con = nh.open_warehouse(demo_warehouse)
    try:
        with pytest.raises(duckdb.Error):
            con.execute("DELETE FROM posts")
    finally:
        con.close()


def test_notebook_times_read_as_seoul_time(demo_warehouse: Path) -> None:
    con = nh.open_warehouse(demo_warehouse)
    try:
        day = nh.latest_day(con)
        posts = nh.load_day(con, day)
        created = posts["created_at"]
        assert str(created.dt.tz) == "Asia/Seoul"
        assert (created.dt.date == day).all()  # a post of the day is stamped with that day
    finally:
        con.close()
