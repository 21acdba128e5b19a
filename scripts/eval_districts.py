"""District extraction on the hand-labelled set eval/districts.jsonl: micro precision/recall/F1.

Usage: uv run python scripts/eval_districts.py [--set eval/districts.jsonl] [--errors]
Prints the figures and one JSON line (`{"districts": {...}}`) for `make eval`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.transforms.districts import districts_for, gazetteer


def evaluate(path: Path) -> tuple[dict, list[tuple[str, list[str], list[str]]]]:
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    texts = [r["text"] for r in rows]
    gazetteer()  # compile once, outside the timing
    start = time.perf_counter()
    predicted = districts_for(texts)
    seconds = time.perf_counter() - start
    tp = fp = fn = 0
    errors = []
    for row, pred in zip(rows, predicted, strict=True):
        gold = set(row["districts"])
        got = set(pred)
        tp += len(gold & got)
        fp += len(got - gold)
        fn += len(gold - got)
        if gold != got:
            errors.append((row["text"], sorted(gold), pred))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    negatives = sum(1 for r in rows if not r["districts"])
    figures = {
        "texts": len(rows),
        "negative_texts": negatives,
        "gold_mentions": tp + fn,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "exact_match": round(1 - len(errors) / len(rows), 4) if rows else 0.0,
        "texts_per_s": round(len(rows) / seconds) if seconds else None,
    }
    return figures, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=ROOT / "eval" / "districts.jsonl")
    parser.add_argument("--errors", action="store_true", help="list the texts that differ")
    args = parser.parse_args()
    if not args.set.exists():
        print(f"eval_districts: {args.set} not found", file=sys.stderr)
        return 1
    figures, errors = evaluate(args.set)
    print(
        f"districts: {figures['texts']} texts ({figures['negative_texts']} without a district), "
        f"{figures['gold_mentions']} gold mentions"
    )
    print(
        f"  precision {figures['precision']:.3f}  recall {figures['recall']:.3f}  "
        f"F1 {figures['f1']:.3f}  exact match {figures['exact_match']:.3f}"
    )
    if args.errors:
        for text, gold, got in errors:
            print(f"  gold={gold} got={got} :: {text}")
    print(json.dumps({"districts": figures}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
