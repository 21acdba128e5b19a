"""Print the sentiment model's evaluation figures as a table and one JSON line (`make eval`).

NSMC-protocol binary accuracy/macro-F1, KOTE 3-class, civic hand-labelled 3-class (test, and the
separate dev set the decision biases are tuned on), scoring
throughput on one core given tokens, load time and memory. Skips cleanly without the corpora.
"""

from __future__ import annotations

import os

# one core, one BLAS thread: the throughput figure is per core (set before numpy is imported)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path


def _rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def runtime_figures(
    model_path: Path, texts: list[str], tokens: list, n_posts: int = 20000
) -> dict:
    """Load time, resident memory of the loaded model, and single-core scoring throughput."""
    from pipeline.nlp.sentiment import load_sentiment_model

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    # load time and memory in a fresh interpreter, so earlier allocations do not hide the cost
    probe = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--load-probe", str(model_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    load = json.loads(probe.stdout.strip().splitlines()[-1])
    model = load_sentiment_model(model_path)
    reps = n_posts // max(len(texts), 1) + 1
    bt, bk = (texts * reps)[:n_posts], (tokens * reps)[:n_posts]
    model.predict(bt[:2000], bk[:2000])  # warm-up
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        model.predict(bt, bk)
        best = min(best, time.perf_counter() - t0)
    return {
        "version": model.version,
        **load,
        "model_arrays_mb": round(model.coef_.nbytes / 2**20, 1),
        "posts_per_second_one_core": int(n_posts / best),
        "throughput_posts": n_posts,
    }


def load_probe(model_path: Path) -> dict:
    """Seconds and resident MB that loading the model adds to a bare interpreter."""
    from pipeline.nlp.sentiment import load_sentiment_model

    rss0 = _rss_mb()
    t0 = time.perf_counter()
    load_sentiment_model(model_path)
    seconds = time.perf_counter() - t0
    return {
        "load_seconds": round(seconds, 3),
        "model_rss_mb": round(_rss_mb() - rss0, 1),
        "load_process_rss_mb": round(_rss_mb(), 1),
    }


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) == 3 and sys.argv[1] == "--load-probe":
        print(json.dumps(load_probe(Path(sys.argv[2]))))
        return 0
    from pipeline.config import get_settings

    settings = get_settings()
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", type=Path, default=settings.models_dir / "sentiment")
    ap.add_argument("--corpora", type=Path, default=settings.corpora)
    ap.add_argument("--nsmc-limit", type=int, default=None, help="subsample the NSMC test")
    ap.add_argument(
        "--write-runtime",
        action="store_true",
        help="store the runtime figures in the model's meta.json and regenerate its MODEL_CARD.md",
    )
    args = ap.parse_args(argv)

    from pipeline.nlp.sentiment import ModelLoadError, load_sentiment_model
    from pipeline.nlp.sentiment_train import (
        NSMC_FILE,
        CorporaMissing,
        evaluate_sentiment,
        kote_comments,
    )

    if not (args.corpora / NSMC_FILE).exists():
        print(
            f"eval_sentiment: skipped — corpora not found at {args.corpora} "
            "(set MINSIM_CORPORA to the shared data folder)"
        )
        return 0
    try:
        model = load_sentiment_model(args.model)
    except ModelLoadError as exc:
        print(f"eval_sentiment: {exc}", file=sys.stderr)
        return 1
    from pipeline.nlp.tokenizer import get_tokenizer

    tokenizer = get_tokenizer()
    try:
        metrics = evaluate_sentiment(model, args.corpora, tokenizer, nsmc_limit=args.nsmc_limit)
    except CorporaMissing as exc:
        print(f"eval_sentiment: skipped — {exc}")
        return 0
    sample = kote_comments(args.corpora)["text"].tolist()[:2000]
    metrics["runtime"] = runtime_figures(args.model, sample, tokenizer.analyze(sample))

    n, k, c, r = metrics["nsmc"], metrics["kote"], metrics.get("civic"), metrics["runtime"]
    rows = [
        ("model", r["version"], ""),
        ("NSMC binary accuracy", f"{n['accuracy']:.4f}", f"n={n['n']}, target >= 0.885"),
        ("NSMC binary macro-F1", f"{n['macro_f1']:.4f}", ""),
        ("KOTE 3-class macro-F1", f"{k['macro_f1']:.4f}", f"n={k['n']}, acc {k['accuracy']:.4f}"),
    ]
    if c:
        rec = " ".join(f"{lab[:3]}={v:.2f}" for lab, v in c["recall"].items())
        rows += [
            ("civic 3-class macro-F1", f"{c['macro_f1']:.4f}", f"n={c['n']}, target >= 0.70"),
            ("civic recall", rec, "each >= 0.50"),
            ("civic confusion (rows=truth)", str(c["confusion"]["matrix"]), "neg/neu/pos"),
        ]
        rows += second_annotator_rows("civic", c.get("second_annotator"))
    d = metrics.get("civic_dev")
    if d:
        rec = " ".join(f"{lab[:3]}={v:.2f}" for lab, v in d["recall"].items())
        rows += [
            ("civic DEV macro-F1 (tuning set)", f"{d['macro_f1']:.4f}", f"n={d['n']}"),
            ("civic DEV recall", rec, "for tuning choices only"),
        ]
        rows += second_annotator_rows("civic DEV", d.get("second_annotator"))
    rows += [
        ("throughput (posts/s, 1 core)", f"{r['posts_per_second_one_core']:,}", ">= 20,000"),
        ("load time (s)", f"{r['load_seconds']:.3f}", "< 2"),
        (
            "model memory (MB)",
            f"RSS +{r['model_rss_mb']:.1f}, arrays {r['model_arrays_mb']:.1f}",
            "< 300",
        ),
    ]
    w = max(len(a) for a, _, _ in rows)
    for a, b, note in rows:
        print(f"{a:<{w}}  {b:<28} {note}")
    print(json.dumps({"sentiment": metrics}, ensure_ascii=False))
    if args.write_runtime:
        write_runtime(args.model, metrics["runtime"])
    return 0


def second_annotator_rows(name: str, s: dict | None) -> list[tuple[str, str, str]]:
    """Table rows for a civic set's second annotator (none when the set has no second labels)."""
    if not s:
        return []
    return [
        (
            f"{name} annotators' agreement",
            f"{s['agreement']:.1%}, kappa {s['kappa']:.2f}",
            f"n={s['n']}; annotator 2 vs 1 macro-F1 {s['second_vs_first_macro_f1']:.2f}",
        ),
        (
            f"{name} macro-F1 vs annotator 2",
            f"{s['model_macro_f1_vs_second']:.4f}",
            f"where both agree: {s['model_macro_f1_where_agreed']:.4f} (n={s['n_agreed']})",
        ),
    ]


ATTEMPTS_HEADING = "\n## Attempts after "


def write_runtime(model_path: Path, runtime: dict) -> None:
    """Add the measured runtime figures to the version's meta.json and regenerate its card."""
    from pipeline.nlp.sentiment import META_FILE, resolve_version_dir
    from pipeline.nlp.sentiment_train import model_card

    vdir = resolve_version_dir(model_path)
    meta = json.loads((vdir / META_FILE).read_text("utf-8"))
    meta.setdefault("metrics", {})["runtime"] = {
        **runtime,
        "measured_by": "scripts/eval_sentiment.py --write-runtime (one core, OMP/BLAS threads 1, "
        "batch of 20,000 posts given tokens; the machine was shared, figures vary with load)",
    }
    (vdir / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", "utf-8")
    card = vdir / "MODEL_CARD.md"
    # a hand-written "Attempts after <version>" section (experiments not shipped) is kept
    old = card.read_text("utf-8") if card.is_file() else ""
    kept = old[old.find(ATTEMPTS_HEADING) :] if ATTEMPTS_HEADING in old else ""
    card.write_text(model_card(meta) + kept, "utf-8")
    print(f"runtime figures written to {vdir / META_FILE} and MODEL_CARD.md")


if __name__ == "__main__":
    sys.exit(main())
