"""Training and evaluation of the policy-area classifier on the national petitions.

Data: `petitions_lovit` (2017-08, 2019-04 … 2019-08) and `petitions_2020_korkeep` (2020-01 … 2020-06) under
`corpora`; their 17 author-chosen categories map onto our codes through `PETITION_CATEGORY_TO_AREA`.

Protocol (the one `scripts/eval_policy.py` reports): a time split. Petitions begun before `TEST_FROM`
(2020-05-01) train the model, those from `TEST_FROM` on test it; the last training month (2020-04) is the
validation month used to tune knobs. Test texts are cut like posts: the title and the first sentences,
at most 280 characters (`post_cut`). Training sees several post-length views of each petition (title alone,
the post cut, random crops of the body), so the model learns from texts that look like what it scores.
"""

from __future__ import annotations

import gzip
import json
import logging
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipeline.schema import PETITION_CATEGORY_TO_AREA, POLICY_AREAS

if TYPE_CHECKING:
    from pipeline.nlp.policy import PolicyAreaModel

log = logging.getLogger(__name__)

TEST_FROM = "2020-05-01"
VALID_FROM = "2020-04-01"
POST_CHARS = 280
BODY_CHARS = 2500
# Tuned on the validation month (2020-04, a model trained on the earlier months):
N_CROPS = 6
WHOLE = True
KIND_WEIGHTS = (1.0, 1.0, 1.0, 0.5)  # post cut, title, crop, whole petition
RECENT_WEIGHT = 3.0
PRIOR_STRENGTH = 0.0
OTHER_BIAS = 0.0

_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|\n+|(?<=[다요죠]\.)(?=[가-힣])")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Petition:
    """One petition with its mapped policy area."""

    idx: str
    begin: str
    category: str
    area: str
    title: str
    content: str


def petitions(corpora: Path) -> list[Petition]:
    """Every petition of both corpora (duplicates by title and opening dropped), oldest first."""
    corpora = Path(corpora)
    lovit = sorted((corpora / "petitions_lovit").glob("petitions_*"))
    korkeep = corpora / "petitions_2020_korkeep" / "petitions_2020.jsonl.gz"
    if not lovit and not korkeep.exists():
        raise FileNotFoundError(
            f"{corpora}: no petitions_lovit/ or petitions_2020_korkeep/ corpus"
        )
    raw: list[dict] = []
    for path in lovit:
        with path.open(encoding="utf-8") as fh:
            raw.extend(json.loads(line) for line in fh if line.strip())
    if korkeep.exists():
        with gzip.open(korkeep, "rt", encoding="utf-8") as fh:
            raw.extend(json.loads(line) for line in fh if line.strip())
    seen: set[tuple[str, str]] = set()
    out: list[Petition] = []
    for d in raw:
        category = d.get("category") or ""
        if category not in PETITION_CATEGORY_TO_AREA:
            continue
        title = _SPACES.sub(" ", d.get("title") or "").strip()
        content = (d.get("content") or "").strip()
        key = (title, content[:200])
        if key in seen or not (title or content):
            continue
        seen.add(key)
        out.append(
            Petition(
                str(d.get("petition_idx")),
                str(d.get("begin") or ""),
                category,
                PETITION_CATEGORY_TO_AREA[category],
                title,
                content,
            )
        )
    out.sort(key=lambda p: (p.begin, p.idx))
    return out


def sentences(text: str) -> list[str]:
    """Sentences of a petition body (split after . ! ? and line breaks)."""
    parts = (_SPACES.sub(" ", s).strip() for s in _SENTENCE_END.split(text or ""))
    return [s for s in parts if s]


def post_cut(title: str, content: str, limit: int = POST_CHARS) -> str:
    """The title and the first whole sentences of the body, at most `limit` characters."""
    text = _SPACES.sub(" ", title or "").strip()
    for sent in sentences(content):
        candidate = f"{text} {sent}" if text else sent
        if len(candidate) > limit:
            if not text:  # a first sentence longer than a post: cut it
                text = candidate[:limit]
            break
        text = candidate
    return text[:limit]


def crops(content: str, rng: random.Random, n: int, limit: int = POST_CHARS) -> list[str]:
    """`n` random post-length runs of consecutive body sentences (40–`limit` characters)."""
    sents = sentences(content)
    out: list[str] = []
    if not sents:
        return out
    for _ in range(n):
        start = rng.randrange(len(sents))
        budget = rng.randint(60, limit)
        text = ""
        for sent in sents[start:]:
            candidate = f"{text} {sent}" if text else sent
            if len(candidate) > budget:
                if not text:
                    text = candidate[:budget]
                break
            text = candidate
        if len(text) >= 20:
            out.append(text)
    return out


def _join_crop(units: Sequence[str], rng: random.Random, limit: int = POST_CHARS) -> list[str]:
    """A random post-length run of consecutive units (sentences), as the list of units used."""
    start = rng.randrange(len(units))
    budget = rng.randint(60, limit)
    used: list[str] = []
    n = 0
    for u in units[start:]:
        if used and n + len(u) > budget:
            break
        used.append(u)
        n += len(u) + 1
    return used


def petition_units(p: Petition, max_body_chars: int = BODY_CHARS) -> list[str]:
    """The title and the body sentences (first `max_body_chars`), each at most 600 characters."""
    units = [p.title] if p.title else []
    n = 0
    for s in sentences(p.content):
        if n > max_body_chars:
            break
        units.append(s[:600])
        n += len(s)
    return units


def training_views(
    items: Sequence[Petition], *, seed: int, n_crops: int = 2, whole: bool = False
) -> tuple[list[str], list[list[str]], list[str], list[int], list[int]]:
    """Views of each petition: (texts, units per text, areas, petition index, kind).

    Kinds: 0 the post cut, 1 the title alone, 2 random runs of consecutive body sentences (60–280
    characters), 3 the whole petition (title and body up to `BODY_CHARS`). A view other than the post
    cut is a run of units (title, sentences) so that its tokens are the concatenated tokens of its units:
    each sentence is tokenised once however many views use it.
    """
    rng = random.Random(seed)
    texts: list[str] = []
    units: list[list[str]] = []
    labels: list[str] = []
    owner: list[int] = []
    kind: list[int] = []

    def add(text: str, us: list[str], k: int, i: int, area: str) -> None:
        texts.append(text)
        units.append(us)
        labels.append(area)
        owner.append(i)
        kind.append(k)

    for i, p in enumerate(items):
        cut = post_cut(p.title, p.content)
        add(cut, [], 0, i, p.area)  # tokenised whole, exactly like a scored post
        all_units = petition_units(p)
        body = all_units[1:] if p.title else all_units
        if p.title and p.title != cut:
            add(p.title, [p.title], 1, i, p.area)
        if body:
            for _ in range(n_crops):
                used = _join_crop(body, rng)
                text = " ".join(used)
                if len(text) >= 20:
                    add(text, used, 2, i, p.area)
            if whole:
                add(" ".join(all_units), all_units, 3, i, p.area)
    return texts, units, labels, owner, kind


def _view_tokens(tokenizer, texts: Sequence[str], units: Sequence[list[str]]) -> list:
    """Tokens per view: post cuts tokenised whole, other views as concatenated unit tokens."""
    from pipeline.nlp.tokenizer import Tokens

    whole = [i for i, us in enumerate(units) if not us]
    distinct = list(dict.fromkeys(u for us in units for u in us))
    unit_tokens = dict(
        zip(distinct, (t.morphs for t in _analyze(tokenizer, distinct)), strict=True)
    )
    out: list = [None] * len(texts)
    for i, t in zip(whole, _analyze(tokenizer, [texts[i] for i in whole]), strict=True):
        out[i] = t
    for i, us in enumerate(units):
        if us:
            out[i] = Tokens(tuple(m for u in us for m in unit_tokens[u]))
    return out


def time_split(
    items: Sequence[Petition], test_from: str = TEST_FROM
) -> tuple[list[Petition], list[Petition]]:
    """(petitions begun before `test_from`, petitions begun on or after it)."""
    train = [p for p in items if p.begin < test_from]
    test = [p for p in items if p.begin >= test_from]
    return train, test


def _analyze(tokenizer, texts: Sequence[str], batch: int = 2000):
    out = []
    for i in range(0, len(texts), batch):
        out.extend(tokenizer.analyze(list(texts[i : i + batch])))
    return out


def _metrics(gold: Sequence[str], pred: Sequence[str]) -> dict:
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        f1_score,
        precision_recall_fscore_support,
    )

    labels = [a for a in POLICY_AREAS if a in set(gold) | set(pred)]
    p, r, f, n = precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    return {
        "n": len(gold),
        "accuracy": round(float(accuracy_score(gold, pred)), 4),
        "macro_f1": round(
            float(f1_score(gold, pred, labels=labels, average="macro", zero_division=0)), 4
        ),
        "per_class": {
            lab: {
                "precision": round(float(p[i]), 4),
                "recall": round(float(r[i]), 4),
                "f1": round(float(f[i]), 4),
                "support": int(n[i]),
            }
            for i, lab in enumerate(labels)
        },
        "labels": labels,
        "confusion": confusion_matrix(gold, pred, labels=labels).tolist(),
    }


def evaluate_policy(
    model, corpora: Path, tokenizer, *, test_from: str | None = None, limit: int | None = None
) -> dict:
    """Accuracy, macro-F1, per-class F1 and confusion on the test months, texts cut like posts.

    The test months are those the model did not train on (`meta.json` `test_from`, else `TEST_FROM`).
    """
    meta = getattr(model, "meta_", {}) or {}
    test_from = test_from or meta.get("test_from") or TEST_FROM
    _, test = time_split(petitions(corpora), test_from)
    if limit is not None:
        test = test[:limit]
    if not test:
        raise ValueError(f"{corpora}: no petitions begun on or after {test_from}")
    seen = set((meta.get("trained_on") or {}).get("months") or ()) & {p.begin[:7] for p in test}
    if seen:
        raise ValueError(
            f"{getattr(model, 'version', 'model')} trained on the test months {sorted(seen)}: "
            "its figures would be in-sample"
        )
    texts = [post_cut(p.title, p.content) for p in test]
    tokens = _analyze(tokenizer, texts)
    start = time.perf_counter()
    areas, subs, conf = model.predict(texts, tokens)
    seconds = time.perf_counter() - start
    out = _metrics([p.area for p in test], areas)
    titles = [p.title for p in test]
    t_areas, _, _ = model.predict(titles, _analyze(tokenizer, titles))
    title_only = _metrics([p.area for p in test], t_areas)
    out.update(
        {
            "test_from": test_from,
            "test_months": sorted({p.begin[:7] for p in test}),
            "title_only": {"accuracy": title_only["accuracy"], "macro_f1": title_only["macro_f1"]},
            "mean_confidence": round(float(np.mean(conf)), 4),
            "sub_issue_coverage": round(sum(s is not None for s in subs) / len(subs), 4),
            "predict_posts_per_s": round(len(texts) / seconds) if seconds else None,
            "model_version": getattr(model, "version", "unknown"),
        }
    )
    return out


def compare_with_readers(model, corpora: Path, tokenizer, readers: Path) -> dict:
    """Two readers' guesses of the authors' categories vs the authors, beside the model's, on the
    same test petitions cut like posts (`eval/policy_readers.jsonl`: petition_idx, reader_a, reader_b).

    How far a careful reader of the same 280 characters gets shows how much of the authors' choice
    the text itself carries (readers reach 0.65 where the model reaches 0.58: the model card)."""
    rows = [json.loads(line) for line in Path(readers).read_text("utf-8").splitlines() if line]
    by_idx = {p.idx: p for p in petitions(corpora)}
    missing = [r["petition_idx"] for r in rows if r["petition_idx"] not in by_idx]
    if missing:
        raise ValueError(
            f"{readers}: {len(missing)} petitions not in {corpora} (e.g. {missing[0]})"
        )
    items = [by_idx[r["petition_idx"]] for r in rows]
    gold = [p.area for p in items]
    texts = [post_cut(p.title, p.content) for p in items]
    areas, _, _ = model.predict(texts, _analyze(tokenizer, texts))
    a, b = ([PETITION_CATEGORY_TO_AREA[r[who]] for r in rows] for who in ("reader_a", "reader_b"))
    return {
        "n": len(rows),
        "model": _metrics(gold, list(areas)),
        "reader_a": _metrics(gold, a),
        "reader_b": _metrics(gold, b),
        "readers_agree": round(sum(x == y for x, y in zip(a, b, strict=True)) / len(rows), 4),
    }


def _next_version(root: Path) -> str:
    taken = [int(m.group(1)) for d in root.glob("v*") if (m := re.fullmatch(r"v(\d+)", d.name))]
    return f"v{max(taken, default=0) + 1}"


def _is_models_root(out_dir: Path) -> bool:
    """`models/policy` (holds DEFAULT or version dirs) rather than a version directory."""
    if (out_dir / "DEFAULT").exists():
        return True
    if (out_dir / "meta.json").exists():
        return False
    return out_dir.name == "policy" or any(
        re.fullmatch(r"v\d+", d.name) for d in out_dir.glob("v*") if d.is_dir()
    )


def class_prior_bias(
    items: Sequence[Petition], classes: Sequence[str], test_from: str, days: int
) -> np.ndarray:
    """log(share of each class in the last `days` before `test_from` × number of classes), smoothed.

    The classifier is trained class-balanced (a uniform prior); this moves it toward the recent
    distribution of the training months (never the test months)."""
    cutoff = (date.fromisoformat(test_from) - timedelta(days=days)).isoformat()
    recent = [p.area for p in items if cutoff <= p.begin < test_from]
    counts = np.array([recent.count(c) + 1.0 for c in classes])
    return np.log(counts / counts.sum() * len(classes)).astype(np.float32)


def fit_policy_model(
    train: Sequence[Petition],
    tokenizer,
    *,
    test_from: str,
    version: str = "unversioned",
    seed: int = 13,
    n_crops: int = N_CROPS,
    whole: bool = WHOLE,
    kind_weights: tuple[float, float, float, float] = KIND_WEIGHTS,
    recent_days: int = 120,
    recent_weight: float = RECENT_WEIGHT,
    prior_days: int = 60,
    prior_strength: float = PRIOR_STRENGTH,
    other_bias: float = OTHER_BIAS,
    params: dict | None = None,
) -> tuple[PolicyAreaModel, dict]:
    """A `PolicyAreaModel` fitted on the views of `train` (petitions begun before `test_from`).

    Returns (model, details) with the views' texts and kinds, the recency cutoff and the intercept
    shift applied (knobs as in `train_policy`).
    """
    from pipeline.nlp.policy import PolicyAreaModel

    start = time.perf_counter()
    texts, units, labels, owner, kind = training_views(
        train, seed=seed, n_crops=n_crops, whole=whole
    )
    cutoff = (date.fromisoformat(test_from) - timedelta(days=recent_days)).isoformat()
    weights = np.array(
        [
            (recent_weight if train[i].begin >= cutoff else 1.0) * kind_weights[k]
            for i, k in zip(owner, kind, strict=True)
        ]
    )
    tokens = _view_tokens(tokenizer, texts, units)
    log.info(
        "policy: %d views of %d petitions tokenised in %.0fs",
        len(texts),
        len(train),
        time.perf_counter() - start,
    )
    model = PolicyAreaModel(**{"random_state": seed, **(params or {})})
    model.set_params(version=version)
    model.fit(texts, tokens, labels, sample_weight=weights)
    bias = prior_strength * class_prior_bias(train, model.classes_, test_from, prior_days)
    if "other" in model.classes_:
        bias[list(model.classes_).index("other")] += other_bias
    model.intercept_ = (model.intercept_ + bias).astype(np.float32)
    return model, {"texts": texts, "kind": kind, "cutoff": cutoff, "bias": bias}


def validate_policy(
    corpora: Path,
    *,
    tokenizer=None,
    valid_from: str = VALID_FROM,
    valid_to: str = TEST_FROM,
    sample: int | None = None,
    seed: int = 13,
    **knobs,
) -> dict:
    """Validation figures: a model trained on petitions begun before `valid_from`, scored on those
    begun in [`valid_from`, `valid_to`) cut like posts. The test months are never read.

    `knobs` are those of `fit_policy_model` (n_crops, recent_weight, params, ...); `sample` keeps a
    seeded subset of training petitions (for tests). Returns `_metrics` plus the months used.
    """
    from pipeline.nlp.tokenizer import get_tokenizer

    tokenizer = tokenizer or get_tokenizer()
    items = [p for p in petitions(corpora) if p.begin < valid_to]
    train, valid = time_split(items, valid_from)
    if sample is not None and sample < len(train):
        train = sorted(random.Random(seed).sample(train, sample), key=lambda p: (p.begin, p.idx))
    if not train or not valid:
        raise ValueError(
            f"{corpora}: no petitions before {valid_from} or in [{valid_from}, {valid_to})"
        )
    model, _ = fit_policy_model(
        train, tokenizer, test_from=valid_from, version="validation", seed=seed, **knobs
    )
    texts = [post_cut(p.title, p.content) for p in valid]
    areas, _, _ = model.predict(texts, _analyze(tokenizer, texts))
    out = _metrics([p.area for p in valid], areas)
    out.update(
        {
            "train_months": sorted({p.begin[:7] for p in train}),
            "valid_months": sorted({p.begin[:7] for p in valid}),
        }
    )
    return out


def train_policy(
    corpora: Path,
    out_dir: Path,
    *,
    seed: int = 13,
    sample: int | None = None,
    tokenizer=None,
    test_from: str = TEST_FROM,
    n_crops: int = N_CROPS,
    whole: bool = WHOLE,
    kind_weights: tuple[float, float, float, float] = KIND_WEIGHTS,
    recent_days: int = 120,
    recent_weight: float = RECENT_WEIGHT,
    prior_days: int = 60,
    prior_strength: float = PRIOR_STRENGTH,
    other_bias: float = OTHER_BIAS,
    params: dict | None = None,
) -> dict:
    """Train on petitions begun before `test_from`, evaluate on the rest, save a version directory.

    `out_dir` is either a version directory (`models/policy/v2`: its name is the model version) or the
    models folder `models/policy` (holds `DEFAULT` or version dirs): then the next free `v<N>` under it
    is written and `DEFAULT` points to it. Petitions begun in the last `recent_days` before `test_from`
    weigh `recent_weight`; view kinds (post cut, title, crops, whole petition) weigh `kind_weights`.
    After fitting, the intercepts move `prior_strength` × toward the class distribution of the last
    `prior_days` of training and `other` gets `other_bias` (all tuned on the validation month).
    `sample` keeps a seeded random subset of that many training petitions (for tests). Returns the
    meta dict written to `meta.json` (version, data, parameters, `metrics` = test metrics).
    """
    from pipeline.nlp.tokenizer import get_tokenizer

    tokenizer = tokenizer or get_tokenizer()
    out_dir = Path(out_dir)
    root = None
    if _is_models_root(out_dir):
        root, out_dir = out_dir, out_dir / _next_version(out_dir)
    items = petitions(corpora)
    train, test = time_split(items, test_from)
    if sample is not None and sample < len(train):
        train = sorted(random.Random(seed).sample(train, sample), key=lambda p: (p.begin, p.idx))
    if not train:
        raise ValueError(f"{corpora}: no petitions begun before {test_from}")
    start = time.perf_counter()
    model, fitted = fit_policy_model(
        train,
        tokenizer,
        test_from=test_from,
        version=out_dir.name,
        seed=seed,
        n_crops=n_crops,
        whole=whole,
        kind_weights=kind_weights,
        recent_days=recent_days,
        recent_weight=recent_weight,
        prior_days=prior_days,
        prior_strength=prior_strength,
        other_bias=other_bias,
        params=params,
    )
    texts, kind, cutoff, bias = (fitted[k] for k in ("texts", "kind", "cutoff", "bias"))
    fit_seconds = time.perf_counter() - start
    meta = {
        "trained_on": {
            "corpora": ["petitions_lovit", "petitions_2020_korkeep"],
            "petitions": len(train),
            "views": len(texts),
            "views_by_kind": {
                name: kind.count(k)
                for k, name in enumerate(("post_cut", "title", "crop", "whole"))
            },
            "months": sorted({p.begin[:7] for p in train}),
            "areas": {a: sum(p.area == a for p in train) for a in POLICY_AREAS},
            "sample": sample,
            "seed": seed,
            "n_crops": n_crops,
            "whole": whole,
            "kind_weights": list(kind_weights),
            "recent_weight": {"from": cutoff, "weight": recent_weight},
            "class_prior": {
                "days": prior_days,
                "strength": prior_strength,
                "other_bias": other_bias,
                "bias": [round(float(b), 4) for b in bias],
            },
        },
        "test_from": test_from,
        "date": date.today().isoformat(),
        "licences": "petition corpora: none stated by either source; only derived weights are committed",
        "tokenizer": getattr(tokenizer, "version", "unknown"),
        "train_seconds": round(fit_seconds, 1),
    }
    model.meta_ = meta
    if test:
        evaluation = evaluate_policy(
            model,
            corpora,
            tokenizer,
            test_from=test_from,
            limit=None if sample is None else max(200, sample // 4),
        )
        meta["test"] = {k: v for k, v in evaluation.items() if k != "model_version"}
        meta["metrics"] = {k: meta["test"][k] for k in ("n", "accuracy", "macro_f1")}
    else:
        meta["metrics"] = {}
    model.save(out_dir, meta)
    if root is not None:
        (root / "DEFAULT").write_text(out_dir.name + "\n", "utf-8")
    saved = json.loads((out_dir / "meta.json").read_text("utf-8"))
    saved["path"] = str(out_dir)
    return saved


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m pipeline.nlp.policy_train --corpora ../shared/data --out models/policy/<version>`."""
    import argparse

    parser = argparse.ArgumentParser(description="Train the policy-area classifier.")
    parser.add_argument("--corpora", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, help="models/policy/<version> (or models/policy)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--sample", type=int, default=None)
    parser.add_argument(
        "--set-default", action="store_true", help="write the version name into <out>/../DEFAULT"
    )
    parser.add_argument(
        "--validate",
        action="store_true",
        help=f"print validation figures ({VALID_FROM[:7]}, trained on earlier months); saves nothing",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.validate:
        res = validate_policy(args.corpora, seed=args.seed, sample=args.sample)
        print(
            f"policy validation {', '.join(res['valid_months'])}: accuracy {res['accuracy']} "
            f"macro-F1 {res['macro_f1']} on {res['n']} petitions"
        )
        return 0
    if args.out is None:
        parser.error("--out is required unless --validate")
    meta = train_policy(args.corpora, args.out, seed=args.seed, sample=args.sample)
    test = meta.get("test", {})
    print(
        f"policy {Path(meta['path']).name}: test accuracy {test.get('accuracy')} "
        f"macro-F1 {test.get('macro_f1')} on {test.get('n')} petitions"
    )
    if args.set_default:
        out = Path(meta["path"])
        (out.parent / "DEFAULT").write_text(out.name + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
