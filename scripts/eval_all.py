"""`make eval`: every accuracy figure of Minsim, each script's table, then one JSON summary line.

    uv run python scripts/eval_all.py [--only sentiment,policy,...] [--quick]

Parts: sentiment (NSMC-protocol, KOTE, civic), policy area (time-split petitions), districts
(hand-labelled set), topics (NPMI, diversity, NMI; NMF vs LDA), alerts (planted events, quiet
month), channels (fault scenarios x expected / stored). Parts that need ../shared/data print a
skip line when it is absent (MINSIM_CORPORA).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS: dict[str, list[str]] = {
    "sentiment": ["eval_sentiment.py"],
    "policy": ["eval_policy.py"],
    "districts": ["eval_districts.py"],
    "topics": ["eval_topics.py", "--methods", "nmf,lda"],
    "alerts": ["eval_alerts.py"],
    "channels": ["eval_channels.py"],
}
QUICK = {"topics": ["--speed-posts", "5000"], "alerts": ["--days", "14", "--posts-per-day", "4000",
                                                         "--quiet-days", "14"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default=",".join(PARTS))
    ap.add_argument("--quick", action="store_true", help="smaller alert and topic runs")
    args = ap.parse_args()
    summary: dict[str, object] = {}
    failed = []
    for part in args.only.split(","):
        script, *extra = PARTS[part]
        if args.quick:
            extra += QUICK.get(part, [])
        print(f"\n=== {part} ({script}) ===", flush=True)
        t = time.perf_counter()
        out = subprocess.run([sys.executable, str(ROOT / "scripts" / script), *extra], cwd=ROOT,
                             capture_output=True, check=False, text=True)
        sys.stdout.write(out.stdout)
        if out.returncode != 0:
            failed.append(part)
            print(f"{part}: failed (exit {out.returncode}): "
                  f"{(out.stderr.strip().splitlines() or [''])[-1]}")
            continue
        js = [ln for ln in out.stdout.splitlines() if ln.lstrip().startswith("{")]
        if js:
            summary[part] = json.loads(js[-1])
        else:  # a part without its data prints why and no figures
            lines = out.stdout.strip().splitlines()
            summary[part] = {"skipped": True, "reason": lines[-1] if lines else "no output"}
        print(f"({part}: {time.perf_counter() - t:.0f} s)")
    print("\n=== summary (JSON) ===")
    print(json.dumps(summary, ensure_ascii=False, default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
