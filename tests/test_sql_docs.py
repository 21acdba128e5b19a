"""Every ```sql block of docs/sql.md runs against the demo warehouse, read-only, and has a Korean and
an English title."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

SQL_DOC = Path(__file__).resolve().parent.parent / "docs" / "sql.md"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def sql_blocks(text: str) -> list[tuple[str, str]]:
    """(title of the nearest heading above, SQL) for every ```sql fence."""
    out, title = [], ""
    for m in re.finditer(
        r"^(#{2,4}) ([^\n]+)$|^```sql\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL
    ):
        if m.group(2):
            title = m.group(2).strip()
        else:
            out.append((title, m.group(3).strip()))
    return out


BLOCKS = sql_blocks(SQL_DOC.read_text(encoding="utf-8"))


def test_doc_has_ready_queries() -> None:
    titles = [t for t, _ in BLOCKS]
    assert len(BLOCKS) >= 10
    for wanted in ("부정 여론이 가장 많이 늘어난 자치구", "이번 주 새로 떠오른 해시태그"):
        assert any(wanted in t for t in titles), wanted


@pytest.mark.parametrize(("title", "sql"), BLOCKS, ids=[f"q{i:02d}" for i in range(len(BLOCKS))])
def test_documented_query_runs(title: str, sql: str, demo_warehouse: Path) -> None:
    korean, _, english = title.partition(" / ")
    assert HANGUL.search(korean) and english and not HANGUL.search(english), (
        f"title {title!r} should read '한국어 / English'"
    )
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        statements = [s for s in sql.split(";") if s.strip()]
        assert len(statements) == 1, "one statement per block"
        cur = con.execute(statements[0])
        cur.fetchall()
        assert cur.description, "a query returns columns"
    finally:
        con.close()


def test_ready_queries_find_rows_on_demo(demo_warehouse: Path) -> None:
    """The headline queries are not vacuous on the demo warehouse."""
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        for title, sql in BLOCKS:
            if title.startswith(
                ("오늘의 정책 분야별 여론", "부정 여론이 가장 많이 늘어난 자치구")
            ):
                assert con.execute(sql.rstrip().rstrip(";")).fetchall(), title
    finally:
        con.close()
