"""Run every X fault scenario against the fake API; print scenario x expected/stored/duplicates.

    uv run python scripts/eval_channels.py [--posts 240] [--page-size 25]

Each scenario collects one window with the real tweepy client over as many runs as it takes
(a stopped run is resumed from the cursor the previous one stored). `duplicates` counts posts
handed to storage more than once (must be 0); `deduped` counts repeats dropped inside a run;
`quarantined` counts payloads that could not be mapped (the fake serves 7 on purpose).

The last line is one JSON object (all scenarios) for CI and the README.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.sources.http import Backoff
from pipeline.sources.x import XPolicy, make_x_client
from tests.sources.fake_x_server import SCENARIOS, FakeXServer, run_scenario

COLUMNS = (
    "scenario",
    "runs",
    "expected",
    "stored",
    "missing",
    "duplicates",
    "deduped",
    "quarantined",
    "requests",
    "seconds",
    "ok",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=240, help="posts in the fake window")
    parser.add_argument("--page-size", type=int, default=25)
    parser.add_argument("-v", "--verbose", action="store_true", help="show retry warnings")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR)

    policy = XPolicy(
        page_size=args.page_size,
        backoff=Backoff(max_attempts=5, base_s=0.005, cap_s=0.02, seed=1),
        max_rate_limit_wait_s=5.0,
        rate_limit_margin_s=0.05,
        bad_page_retries=2,
    )
    rows = []
    with FakeXServer(n=args.posts, slow_s=0.8) as server:
        client = make_x_client(server.token, api_base=server.url, timeout=(2.0, 0.3))
        for scenario in SCENARIOS:
            rows.append(run_scenario(server, client, scenario, policy=policy).row())

    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in COLUMNS}
    print("  ".join(c.ljust(widths[c]) for c in COLUMNS))
    print("  ".join("-" * widths[c] for c in COLUMNS))
    for r in rows:
        print("  ".join(str(r[c]).ljust(widths[c]) for c in COLUMNS))
    summary = {
        "eval": "channels_x",
        "scenarios": len(rows),
        "passed": sum(r["ok"] for r in rows),
        "expected": sum(r["expected"] for r in rows),
        "stored": sum(r["stored"] for r in rows),
        "missing": sum(r["missing"] for r in rows),
        "duplicates": sum(r["duplicates"] for r in rows),
        "rows": rows,
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if summary["passed"] == len(rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
