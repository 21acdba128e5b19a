"""Policy-area classifier on the petition time split: accuracy, macro-F1, per-class F1, confusion.

The committed model (models/policy/DEFAULT) was trained on petitions begun before its `test_from`
(meta.json); this scores it on the later months, texts cut like posts (title + first sentences,
≤ 280 characters), and beside it two readers' guesses of the authors' categories on 300 of them
(`eval/policy_readers.jsonl`). Usage: uv run python scripts/eval_policy.py [--model models/policy] [--corpora DIR]
Prints the figures and one JSON line (`{"policy": {...}}`) for `make eval`; skips (exit 0) without corpora.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "policy")
    parser.add_argument(
        "--corpora",
        type=Path,
        default=Path(os.environ.get("MINSIM_CORPORA") or ROOT.parent / "shared" / "data"),
    )
    args = parser.parse_args()
    if (
        not (args.corpora / "petitions_lovit").is_dir()
        and not (args.corpora / "petitions_2020_korkeep").is_dir()
    ):
        print(
            f"eval_policy: skipped — petition corpora not found under {args.corpora} "
            "(set MINSIM_CORPORA)"
        )
        print(json.dumps({"policy": {"skipped": f"no corpora at {args.corpora}"}}))
        return 0

    from pipeline.nlp.policy import load_policy_model
    from pipeline.nlp.policy_train import compare_with_readers, evaluate_policy
    from pipeline.nlp.tokenizer import get_tokenizer

    model = load_policy_model(args.model)
    res = evaluate_policy(model, args.corpora, get_tokenizer())
    print(
        f"policy area ({res['model_version']}): {res['n']} petitions begun from "
        f"{res['test_from']} ({', '.join(res['test_months'])}), texts cut like posts"
    )
    print(
        f"  accuracy {res['accuracy']:.3f}   macro-F1 {res['macro_f1']:.3f}   "
        f"(title only: {res['title_only']['accuracy']:.3f} / {res['title_only']['macro_f1']:.3f})"
    )
    print(
        f"  predict {res['predict_posts_per_s']} posts/s given tokens; "
        f"sub-issue on {res['sub_issue_coverage']:.0%} of posts"
    )
    print(f"  {'area':<22}{'prec':>7}{'rec':>7}{'F1':>7}{'n':>6}")
    for area, row in res["per_class"].items():
        print(
            f"  {area:<22}{row['precision']:>7.3f}{row['recall']:>7.3f}{row['f1']:>7.3f}"
            f"{row['support']:>6}"
        )
    labels = res["labels"]
    short = [lab[:6] for lab in labels]
    print("  confusion (rows gold, columns predicted):")
    print("  " + " " * 22 + "".join(f"{s:>8}" for s in short))
    for lab, row in zip(labels, res["confusion"], strict=True):
        print(f"  {lab:<22}" + "".join(f"{v:>8}" for v in row))
    readers = ROOT / "eval" / "policy_readers.jsonl"
    if readers.exists():
        cmp = compare_with_readers(model, args.corpora, get_tokenizer(), readers)
        res["readers"] = {
            who: {k: cmp[who][k] for k in ("accuracy", "macro_f1")}
            for who in ("reader_a", "reader_b", "model")
        } | {"n": cmp["n"], "readers_agree": cmp["readers_agree"]}
        print(
            f"  readers of the same cuts ({cmp['n']} test petitions, eval/policy_readers.jsonl), "
            "accuracy / macro-F1 against the authors' categories:"
        )
        for who in ("reader_a", "reader_b", "model"):
            print(f"    {who:<10}{cmp[who]['accuracy']:>7.3f}{cmp[who]['macro_f1']:>7.3f}")
        print(f"    readers agree with each other on {cmp['readers_agree']:.1%}")
    print(json.dumps({"policy": res}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
