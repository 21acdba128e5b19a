"""`make bench`: throughput of every stage on a fixed simulated volume, and peak memory.

    uv run python scripts/bench.py [--posts-per-day 10000] [--days 2] [--skip-extra]
    uv run python scripts/bench.py --x-only 100000   # X ingest alone, in a fresh process

Prints posts/s for: simulation, ingest (normalise + mask + dedup + validate + write), Kiwi
tokenisation alone, the whole NLP stage (tokenise + sentiment + policy + districts + keywords,
written), aggregation (opinion_daily, topics, keyword networks, signals), the briefing, and end to
end; then the extra benchmarks of the other scripts (X ingest from the fake server, hourly alert
update on 50,000 posts, documented SQL on 1,000,000 posts). Last line: JSON of all figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_x_into_warehouse(tmp: Path, posts: int = 20_000) -> dict:
    """X recent search from the fake API server (another process) into a fresh warehouse, with
    batches cleaned in the fetching process (`MINSIM_INGEST_WORKERS=0`) and in 2 worker processes
    (`auto` on 2 cores; they start at the first full batch, and the figure includes the fork
    server's start, as a DAG task would pay it)."""
    from pipeline import flows
    from pipeline.config import get_settings
    from pipeline.sources.x import XPolicy, make_x_client
    from tests.sources.fake_x_server import WINDOW_END, WINDOW_START

    server = subprocess.Popen([sys.executable, "-m", "tests.sources.fake_x_server", "--posts",
                               str(posts)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    out: dict = {}
    try:
        info = json.loads(server.stdout.readline())
        for label, workers in (("in_process", 0), ("workers", 2)):
            settings = get_settings(dict(os.environ, MINSIM_WAREHOUSE=str(tmp / f"x{workers}.duckdb"),
                                         MINSIM_DATA_DIR=str(tmp / "xdata")))
            client = make_x_client("test-token", api_base=info["url"])
            t, began = time.perf_counter(), datetime.now(UTC)
            (run,) = flows.ingest_x(settings=settings, since=WINDOW_START, until=WINDOW_END,
                                    queries=["#서울시"], client=client,
                                    policy=XPolicy(page_size=100), workers=workers)
            secs = time.perf_counter() - t
            out[label] = {"workers": workers, "posts": run.read, "stored": run.stored,
                          "quarantined": run.quarantined, "seconds": round(secs, 2),
                          "posts_per_s": round(run.read / secs),
                          **_steady_rate(settings.warehouse, began)}
    finally:
        server.terminate()
        server.wait(timeout=10)
    print("\nX ingest from the fake API into the warehouse (target >= 5,000 posts/s):")
    for label, r in out.items():
        print(f"  {label:<11} ({r['workers']} worker processes) {r['posts']:,} posts in "
              f"{r['seconds']} s = {r['posts_per_s']:,} posts/s "
              f"(stored {r['stored']:,}, quarantined {r['quarantined']:,})")
        if r["steady_posts_per_s"] is not None:
            print(f"  {'':<11} first batch stored after {r['first_batch_s']} s (imports, worker "
                  f"start, first pages), then {r['steady_posts_per_s']:,} posts/s")
    return out


def _steady_rate(warehouse: Path, began: datetime) -> dict:
    """Seconds from the call to the first stored batch (imports, worker start, first pages) and
    the rate after it, from the batches' own `pipeline_runs` rows."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("SELECT finished_at, \"read\" FROM pipeline_runs "
                           "WHERE stage = 'ingest_x_batch' ORDER BY finished_at").fetchall()
    finally:
        con.close()
    first = (rows[0][0] - began).total_seconds() if rows else None
    later = sum(r for _, r in rows[1:])
    span = (rows[-1][0] - rows[0][0]).total_seconds() if len(rows) > 1 else 0.0
    return {"first_batch_s": round(first, 2) if first is not None else None,
            "steady_posts_per_s": round(later / span) if span > 0 else None}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts-per-day", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--skip-extra", action="store_true", help="only the core pipeline stages")
    ap.add_argument("--x-only", type=int, metavar="POSTS", default=0,
                    help="only X ingest into the warehouse, of POSTS posts, in this fresh process")
    args = ap.parse_args()
    if args.x_only:
        fig = bench_x_into_warehouse(Path(tempfile.mkdtemp(prefix="minsim-bench-")), args.x_only)
        print(json.dumps(fig))
        return 0

    from pipeline import flows
    from pipeline.config import get_settings
    from pipeline.nlp.tokenizer import analyze_all
    from pipeline.sources.simulator import SimulationConfig, simulate
    from pipeline.storage.warehouse import open_warehouse
    from pipeline.transforms.normalize import Record

    tmp = Path(tempfile.mkdtemp(prefix="minsim-bench-"))
    env = dict(os.environ, MINSIM_WAREHOUSE=str(tmp / "w.duckdb"), MINSIM_DATA_DIR=str(tmp / "data"))
    settings = get_settings(env)
    end = date(2026, 11, 20)
    start = end - timedelta(days=args.days - 1)
    fig: dict[str, float | int | str] = {"posts_per_day": args.posts_per_day, "days": args.days}

    t = time.perf_counter()
    sim = simulate(SimulationConfig(start_day=start, days=args.days,
                                    posts_per_day=args.posts_per_day, seed=1))
    fig["simulate_s"] = time.perf_counter() - t
    n = len(sim.posts)
    fig["posts"] = n
    models = flows.load_models(settings)  # loaded once, outside the timings
    times = {"ingest": 0.0, "tokenise": 0.0, "nlp": 0.0, "aggregate": 0.0}
    t_all = time.perf_counter()
    with open_warehouse(settings.warehouse) as con:
        flows.store_simulation_extras(con, sim)
        for k in range(args.days):
            day = start + timedelta(days=k)
            lo, hi = flows.day_window(day)
            recs = [Record(i, p) for i, p in enumerate(sim.posts, 1)
                    if lo <= datetime.fromisoformat(p["created_at"]) < hi]
            t = time.perf_counter()
            flows.ingest_records(con, recs, settings=settings, source="simulator", window=(lo, hi),
                                 now=hi + timedelta(days=1))
            times["ingest"] += time.perf_counter() - t
            texts = [r[0] for r in con.execute("SELECT text_norm FROM posts WHERE day = ?", [day]).fetchall()]
            t = time.perf_counter()
            analyze_all(models.tokenizer, texts)
            times["tokenise"] += time.perf_counter() - t
            t = time.perf_counter()
            flows.analyse_day(day, settings=settings, con=con)
            times["nlp"] += time.perf_counter() - t
            t = time.perf_counter()
            flows.aggregate_day(day, settings=settings, con=con)
            times["aggregate"] += time.perf_counter() - t
    t = time.perf_counter()
    flows.report_day(end, settings=settings, pdf=False)
    fig["report_html_s"] = round(time.perf_counter() - t, 2)
    total = time.perf_counter() - t_all
    for stage, secs in times.items():
        fig[f"{stage}_posts_per_s"] = round(n / secs) if secs else 0
    fig["end_to_end_posts_per_s"] = round(n / total)
    fig["nlp_vs_tokenise"] = round(fig["nlp_posts_per_s"] / max(fig["tokenise_posts_per_s"], 1), 3)
    fig["peak_rss_mb"] = round(peak_mb())
    fig["simulate_s"] = round(float(fig["simulate_s"]), 2)

    print(f"Minsim pipeline benchmark: {n:,} simulated posts ({args.days} days x "
          f"{args.posts_per_day:,}/day), {os.cpu_count()} cores")
    print(f"{'stage':<28}{'posts/s':>12}")
    for stage in ("ingest", "tokenise", "nlp", "aggregate", "end_to_end"):
        label = {"tokenise": "Kiwi tokenisation alone", "nlp": "NLP stage (all, written)",
                 "end_to_end": "end to end (+ report)"}.get(stage, stage)
        print(f"{label:<28}{fig[f'{stage}_posts_per_s']:>12,}")
    print(f"NLP stage / tokenisation alone: {fig['nlp_vs_tokenise']:.0%} (target >= 70%)")
    print(f"briefing (HTML) for the last day: {fig['report_html_s']} s; simulation {fig['simulate_s']} s")
    print(f"peak memory (RSS): {fig['peak_rss_mb']} MB")

    if not args.skip_extra:
        fig["x_ingest_warehouse"] = bench_x_into_warehouse(tmp)

        for script, extra in (("bench_ingest_x.py", ["--posts", "20000", "--repeat", "1"]),
                              ("bench_hourly.py", []), ("bench_sql.py", [])):
            path = ROOT / "scripts" / script
            if not path.exists():
                continue
            print(f"\n== {script}")
            out = subprocess.run([sys.executable, str(path), *extra], cwd=ROOT, capture_output=True, check=False,
                                 text=True, timeout=1800)
            sys.stdout.write(out.stdout)
            if out.returncode != 0:
                print(f"{script} failed: {out.stderr.strip().splitlines()[-1:]}")
                continue
            last = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
            if last:
                fig[script.removesuffix(".py")] = json.loads(last[-1])
    print(json.dumps(fig, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
