"""Compare topic-model methods on the national petitions cut like posts (`make eval`).

Every petition of `petitions_lovit` and `petitions_2020_korkeep` becomes a post-length text (title and first
sentences, at most 280 characters, `policy_train.post_cut`), tokenised once with the shared tokeniser; its
`Tokens.keywords()` are what `day_topics` sees in production. Each method fits `--topics` topics (default 17,
the number of petition categories) on all of them as one "day" and is scored on that same reference corpus:

- NPMI: mean over topics of the mean normalised PMI of each pair of its top-10 words, probabilities from
  document co-occurrence in the corpus (a pair that never co-occurs scores -1);
- diversity: share of unique words among all topics' top-10 words;
- NMI: normalised mutual information between each petition's strongest topic (-1 when it has none) and
  its petition category (17 values);
- seconds: wall time of `day_topics`.

A last line times the default method on a synthetic day of `--speed-posts` posts (default 50,000) drawn from
the petitions' keyword lists (each a random subset of one petition's keywords).
Prints a table and one JSON line. Skips with a message (exit 0) when the corpora are absent.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from datetime import date
from itertools import combinations

import numpy as np
from sklearn.metrics import normalized_mutual_info_score

from pipeline.config import get_settings
from pipeline.nlp.policy_train import petitions, post_cut
from pipeline.nlp.tokenizer import analyze_all, get_tokenizer
from pipeline.nlp.topics import METHODS, TopicParams, day_topics

DAY = date(2020, 6, 30)


def npmi_coherence(top_words: list[list[str]], docs: list[set[str]]) -> float:
    """Mean over topics of the mean NPMI of the pairs of its top words (document co-occurrence)."""
    words = sorted({w for t in top_words for w in t})
    index = {w: i for i, w in enumerate(words)}
    n = len(docs)
    incidence = np.zeros((n, len(words)), dtype=np.float32)
    for d, doc in enumerate(docs):
        for w in doc:
            if w in index:
                incidence[d, index[w]] = 1.0
    df = incidence.sum(axis=0)
    co = incidence.T @ incidence
    scores = []
    for topic in top_words:
        pairs = []
        for a, b in combinations([index[w] for w in topic], 2):
            p_ab = co[a, b] / n
            if p_ab == 0:
                pairs.append(-1.0)
            elif p_ab == 1:
                pairs.append(1.0)
            else:
                pmi = np.log(p_ab / ((df[a] / n) * (df[b] / n)))
                pairs.append(float(pmi / -np.log(p_ab)))
        if pairs:
            scores.append(float(np.mean(pairs)))
    return float(np.mean(scores)) if scores else float("nan")


def diversity(top_words: list[list[str]]) -> float:
    total = sum(len(t) for t in top_words)
    return len({w for t in top_words for w in t}) / total if total else float("nan")


def speed_posts(keywords: list[list[str]], n: int, seed: int) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    picks = rng.integers(len(keywords), size=n)
    out = []
    for i in picks:
        kw = keywords[i]
        keep = rng.random(len(kw)) < 0.7
        out.append([w for w, k in zip(kw, keep, strict=True) if k])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--topics", type=int, default=17)
    parser.add_argument("--speed-posts", type=int, default=50_000)
    parser.add_argument("--limit", type=int, default=0, help="use only the first N petitions")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    corpora = get_settings().corpora
    try:
        docs = petitions(corpora)
    except FileNotFoundError as exc:
        print(f"eval_topics: skipped, petition corpora not found ({exc}); set MINSIM_CORPORA")
        return 0
    if args.limit:
        docs = docs[: args.limit]
    texts = [post_cut(p.title, p.content) for p in docs]
    t0 = time.perf_counter()
    tokens = analyze_all(get_tokenizer(), texts)
    tok_s = time.perf_counter() - t0
    keywords = [t.keywords() for t in tokens]
    ids = [f"petition:{p.idx}" for p in docs]
    categories = [p.category for p in docs]
    reference = [set(k) for k in keywords]
    print(
        f"{len(docs)} petitions cut to <= 280 chars, {len(set(categories))} categories, "
        f"tokenised in {tok_s:.1f} s; {args.topics} topics per method"
    )

    results = []
    for method in [m.strip() for m in args.methods.split(",") if m.strip()]:
        params = TopicParams(n_topics=args.topics, method=method, min_posts=1)
        t0 = time.perf_counter()
        topics, post_topics = day_topics(DAY, ids, keywords, texts, None, params)
        seconds = time.perf_counter() - t0
        top = [list(k) for k in topics["keywords"]]
        assigned = dict(zip(post_topics["post_id"], post_topics["topic_id"], strict=True))
        labels = [assigned.get(i, "-1") for i in ids]
        results.append(
            {
                "method": method,
                "topics": len(topics),
                "npmi": round(npmi_coherence(top, reference), 4),
                "diversity": round(diversity(top), 4),
                "nmi": round(float(normalized_mutual_info_score(categories, labels)), 4),
                "coverage": round(len(assigned) / len(ids), 4),
                "seconds": round(seconds, 2),
                "labels": list(topics["label"]),
            }
        )

    print(
        f"\n{'method':<8}{'topics':>7}{'NPMI':>8}{'divers.':>9}{'NMI':>8}{'cover.':>8}{'sec':>8}"
    )
    for r in results:
        print(
            f"{r['method']:<8}{r['topics']:>7}{r['npmi']:>8.3f}{r['diversity']:>9.3f}"
            f"{r['nmi']:>8.3f}{r['coverage']:>8.3f}{r['seconds']:>8.2f}"
        )
    for r in results:
        print(f"\n[{r['method']}] " + " | ".join(r["labels"]))

    speed = None
    if args.speed_posts:
        default = TopicParams()
        synth = speed_posts(keywords, args.speed_posts, seed=default.random_state)
        synth_ids = [f"x:{i}" for i in range(len(synth))]
        t0 = time.perf_counter()
        topics, post_topics = day_topics(DAY, synth_ids, synth, [""] * len(synth), None, default)
        seconds = time.perf_counter() - t0
        speed = {
            "method": default.method,
            "posts": len(synth),
            "topics": len(topics),
            "seconds": round(seconds, 2),
            "posts_per_s": round(len(synth) / seconds),
        }
        print(
            f"\nspeed: {default.method} (defaults, {default.n_topics} topics) on {len(synth):,} "
            f"posts: {seconds:.2f} s ({len(synth) / seconds:,.0f} posts/s)"
        )

    summary = {
        "eval": "topics",
        "petitions": len(docs),
        "n_topics": args.topics,
        "methods": [{k: v for k, v in r.items() if k != "labels"} for r in results],
        "speed": speed,
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
