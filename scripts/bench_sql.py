"""Each documented query of docs/sql.md on a warehouse of about 1,000,000 simulated posts.

    uv run python scripts/bench_sql.py [--posts 1000000] [--days 7] [--per-day 2000]

Runs the demo pipeline on `days` x `per-day` simulated posts, then replicates the analysed posts
inside DuckDB (new ids, same days, texts and labels) up to `--posts`, scales `opinion_daily`
accordingly, and times every ```sql block of docs/sql.md (best of 3). Target: each < 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--per-day", type=int, default=2000)
    args = ap.parse_args()

    import duckdb

    from pipeline import flows
    from pipeline.config import get_settings
    from tests.test_sql_docs import SQL_DOC, sql_blocks

    tmp = Path(tempfile.mkdtemp(prefix="minsim-sql-"))
    settings = get_settings(dict(os.environ, MINSIM_WAREHOUSE=str(tmp / "w.duckdb"),
                                 MINSIM_DATA_DIR=str(tmp / "data")))
    t = time.perf_counter()
    flows.demo(settings=settings, days=args.days, seed=5, end_day=date(2026, 11, 20),
               posts_per_day=args.per_day, report=False)
    build = time.perf_counter() - t
    con = duckdb.connect(str(settings.warehouse))
    base = con.execute("SELECT count(*) FROM posts").fetchall()[0][0]
    copies = max(1, -(-args.posts // base) - 1)
    t = time.perf_counter()
    con.execute("BEGIN")
    con.execute(f"CREATE TEMP TABLE k AS SELECT range AS k FROM range(1, {copies + 1})")
    con.execute("INSERT INTO post_nlp SELECT * EXCLUDE (k) REPLACE (post_id || '~' || k AS post_id) "
                "FROM post_nlp, k")
    con.execute("INSERT INTO posts SELECT * EXCLUDE (k) REPLACE (post_id || '~' || k AS post_id, "
                "CASE WHEN duplicate_of IS NULL THEN NULL ELSE duplicate_of || '~' || k END "
                "AS duplicate_of) FROM posts, k")
    con.execute(f"UPDATE opinion_daily SET posts = posts * {copies + 1}, "
                f"negative = negative * {copies + 1}, neutral = neutral * {copies + 1}, "
                f"positive = positive * {copies + 1}")
    con.execute("COMMIT")
    con.execute("CHECKPOINT")
    total = con.execute("SELECT count(*) FROM posts").fetchall()[0][0]
    con.close()
    scale = time.perf_counter() - t

    con = duckdb.connect(str(settings.warehouse), read_only=True)
    timings = []
    for title, sql in sql_blocks(SQL_DOC.read_text(encoding="utf-8")):
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            con.execute(sql).fetchall()
            best = min(best, time.perf_counter() - t)
        timings.append((title, best))
    con.close()
    print(f"warehouse: {total:,} posts ({base:,} analysed x {copies + 1}); "
          f"pipeline {build:.0f} s, replication {scale:.0f} s")
    print(f"{'query (docs/sql.md)':<60}{'seconds':>10}")
    for title, secs in timings:
        flag = "" if secs < 1 else "  (over 1 s)"
        print(f"{title[:58]:<60}{secs:>10.3f}{flag}")
    worst = max(s for _, s in timings)
    print(f"slowest: {worst:.3f} s (target < 1 s each)")
    print(json.dumps({"bench": "sql", "posts": total, "queries": len(timings),
                      "max_seconds": round(worst, 3),
                      "seconds": {t: round(s, 3) for t, s in timings}}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
