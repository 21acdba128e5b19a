"""Throughput of X ingest (fetch + map) against the fake API in a separate process.

    uv run python scripts/bench_ingest_x.py [--posts 20000] [--page-size 100] [--repeat 3]

Prints posts/s for: fetch only (HTTP + tweepy + JSON decode), map only (pure `map_page` on the
fetched payloads), and fetch+map through `collect_x` with a no-op store. The last line is JSON.
The lead extends `on_page` to the warehouse write.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.sources.x import XPolicy, collect_x, fetch_x, make_x_client, map_page
from tests.sources.fake_x_server import WINDOW_END, WINDOW_START

QUERY = "#서울시 OR 서울시 정책"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    server = subprocess.Popen(
        [sys.executable, "-m", "tests.sources.fake_x_server", "--posts", str(args.posts)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        info = json.loads(server.stdout.readline())
        client = make_x_client("test-token", api_base=info["url"])
        policy = XPolicy(page_size=args.page_size)
        window = {"query": QUERY, "since": WINDOW_START, "until": WINDOW_END}

        list(fetch_x(client, policy=policy, **window))  # warm-up: connections, server caches
        fetch_s, map_s, total_s = [], [], []
        pages_n = stored = 0
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            pages = list(fetch_x(client, policy=policy, **window))
            fetch_s.append(time.perf_counter() - t0)

            t0 = time.perf_counter()
            seen: set[str] = set()
            mapped = sum(len(map_page(p.payload, seen=seen)[0]) for p in pages)
            map_s.append(time.perf_counter() - t0)

            count = {"posts": 0}

            def on_page(posts, quarantined, cursor, count=count):
                count["posts"] += len(posts)

            t0 = time.perf_counter()
            result = collect_x(client, cursor=None, on_page=on_page, policy=policy, **window)
            total_s.append(time.perf_counter() - t0)
            assert result.status == "complete", result
            pages_n, stored = len(pages), count["posts"]
            page_bytes = statistics.mean(
                len(json.dumps(p.payload, ensure_ascii=False).encode()) for p in pages
            )
            assert mapped == stored == info["expected"], (mapped, stored, info)
    finally:
        server.terminate()
        server.wait(timeout=10)

    def rate(seconds: list[float]) -> int:
        return int(stored / statistics.median(seconds))

    figures = {
        "bench": "ingest_x",
        "posts": stored,
        "quarantined_per_pass": info["invalid"],
        "pages": pages_n,
        "page_size": args.page_size,
        "mean_page_kb": round(page_bytes / 1024, 1),
        "repeat": args.repeat,
        "fetch_posts_per_s": rate(fetch_s),
        "map_posts_per_s": rate(map_s),
        "fetch_map_posts_per_s": rate(total_s),
        "fetch_map_seconds": round(statistics.median(total_s), 3),
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
    }
    print(
        f"posts={stored} pages={pages_n} mean page {figures['mean_page_kb']} KB "
        f"(median of {args.repeat})"
    )
    print(f"  fetch only   {figures['fetch_posts_per_s']:>10,} posts/s")
    print(f"  map only     {figures['map_posts_per_s']:>10,} posts/s")
    print(
        f"  fetch + map  {figures['fetch_map_posts_per_s']:>10,} posts/s "
        f"({figures['fetch_map_seconds']} s)"
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
