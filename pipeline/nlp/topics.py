"""The day's topics among short posts, labelled, assigned and tracked across days.

Input is the per-post keyword lists the NLP stage already computed (`Tokens.keywords()`: nouns of two
or more characters and hashtags), so nothing is re-tokenised here. Four interchangeable methods fit
the same vocabulary (document frequency >= `min_df`, in at most `max_df` of the posts):

- `nmf`   scikit-learn NMF (Frobenius, NNDSVDa init, deterministic) on sublinear, L2-normalised TF-IDF;
- `lda`   tomotopy LDA (collapsed Gibbs sampling, one worker so a seed fixes the result);
- `pt`    tomotopy PTModel, the pseudo-document topic model for short texts (Zuo et al. 2016);
- `gsdmm` Gibbs-sampling Dirichlet multinomial mixture, one topic per post (Yin & Wang 2014), numpy.

Default `nmf`, chosen by `scripts/eval_topics.py` (`make eval`) on the 9,591 distinct petitions cut like
posts (title + first sentences, <= 280 characters), 17 topics against the 17 petition categories, default
knobs otherwise (2026-11-30, after generic nouns such as 이번, 요즘, 생각 left the keywords; before:
NMF 0.087 / 0.85 / 0.098, LDA 0.089 / 0.76 / 0.166); seconds on 2 CPU cores:

| method | NPMI   | diversity | NMI   | seconds |
|--------|--------|-----------|-------|---------|
| nmf    |  0.095 | 0.84      | 0.098 | 0.7     |
| lda    |  0.063 | 0.72      | 0.160 | 2.1     |
| pt     | -0.067 | 0.85      | 0.094 | 15.8    |
| gsdmm  |  0.051 | 0.61      | 0.207 | 15.2    |

Why NMF: it is the most coherent (NPMI), has nearly the most distinct topics (diversity; LDA and GSDMM repeat
generic words such as 안녕, 청원, 국민 across topics), is exactly reproducible whatever the thread count,
and is the only method that handles a 50,000-post day in a few seconds (LDA took ~45 s there, GSDMM
is a Python loop over posts). LDA and especially GSDMM (one topic per post) agree better with the
petition categories (NMI), but those are author-chosen labels while a day's topics are meant to find
the event that cuts across them (e.g. COVID-19 in 2020, whatever the category); pick
`method="gsdmm"` for small days where category-like clusters matter more than speed.

Tracking: each topic is compared with the latest version of every topic of earlier days (cosine of
the top-word weight vectors); a one-to-one assignment (Hungarian) keeps the id and `first_seen` of a
match at or above `match_threshold`, and any other topic gets a new id `T{day:%Y%m%d}-{k:02d}` (k in
order of size) and `emerging=True`.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linear_sum_assignment

log = logging.getLogger(__name__)

TOPIC_COLUMNS = (
    "day",
    "topic_id",
    "label",
    "keywords",
    "weights",
    "n_posts",
    "representative_post_ids",
    "emerging",
    "first_seen",
)
POST_TOPIC_COLUMNS = ("day", "post_id", "topic_id", "weight")
METHODS = ("nmf", "lda", "pt", "gsdmm")
LABEL_SEP = " · "


@dataclass(frozen=True)
class TopicParams:
    """Knobs of `day_topics`."""

    n_topics: int = 12
    min_posts: int = 30
    min_df: int = 3
    max_df: float = 0.5
    top_words: int = 10
    n_representative: int = 3
    match_threshold: float = 0.3
    random_state: int = 13
    method: str = "nmf"
    iterations: int = 200  # Gibbs sweeps (lda, pt) or NMF iterations; gsdmm uses gsdmm_iterations
    gsdmm_iterations: int = 30
    alpha: float = 0.1
    beta: float = 0.1

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown topic method {self.method!r}; one of {METHODS}")
        if self.n_topics < 1 or self.top_words < 1 or self.min_df < 1:
            raise ValueError("n_topics, top_words and min_df must be positive")


def empty_topics() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Empty `topics` and `post_topics` frames with their columns."""
    topics = pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in TOPIC_COLUMNS})
    post_topics = pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in POST_TOPIC_COLUMNS})
    return topics, post_topics


def _dtype(column: str) -> str:
    return {"n_posts": "int64", "weight": "float64", "emerging": "bool"}.get(column, "object")


def _as_list(value: object) -> list[str]:
    """A keyword cell (list, tuple, numpy array, None or NaN) as its distinct non-empty strings."""
    if value is None or isinstance(value, float):
        return []
    if isinstance(value, str):
        return [value] if value else []
    return list(dict.fromkeys(v for v in value if isinstance(v, str) and v))  # type: ignore[union-attr]


def _doc_term(
    docs: list[list[str]], min_df: int, max_df: float
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Binary post x keyword matrix over the kept vocabulary (sorted, so deterministic)."""
    vocab = sorted({w for d in docs for w in d})
    if not vocab:
        return sparse.csr_matrix((len(docs), 0)), np.array([], dtype=object)
    index = {w: i for i, w in enumerate(vocab)}
    indptr = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(d) for d in docs], out=indptr[1:])
    cols = np.fromiter((index[w] for d in docs for w in d), dtype=np.int64, count=int(indptr[-1]))
    X = sparse.csr_matrix(
        (np.ones(len(cols), dtype=np.float64), cols, indptr), shape=(len(docs), len(vocab))
    )
    df = np.asarray(X.getnnz(axis=0))
    keep = (df >= min_df) & (df <= max(max_df * len(docs), min_df))
    return X[:, keep].tocsr(), np.array(vocab, dtype=object)[keep]


def _fit_nmf(X: sparse.csr_matrix, k: int, p: TopicParams) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfTransformer

    tfidf = TfidfTransformer(sublinear_tf=True, norm="l2").fit_transform(X)
    from threadpoolctl import threadpool_limits

    nmf = NMF(
        n_components=k,
        init="nndsvda",
        max_iter=p.iterations,
        tol=1e-4,
        random_state=p.random_state,
    )
    # k is small: threaded BLAS only oversubscribes the shared cores (10x slower on 2 busy cores).
    # Stopping at max_iter before the 1e-4 tolerance is normal on a day of short posts (the
    # topics no longer change in their top words); it is logged, not warned to every reader.
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        W = nmf.fit_transform(tfidf)
    if nmf.n_iter_ >= p.iterations:
        log.info("NMF (k=%d) stopped at max_iter=%d before tol=1e-4", k, p.iterations)
    return nmf.components_, W


def _fit_tomotopy(
    X: sparse.csr_matrix, vocab: np.ndarray, k: int, p: TopicParams
) -> tuple[np.ndarray, np.ndarray]:
    import tomotopy as tp

    if p.method == "pt":
        model = tp.PTModel(
            k=k,
            p=max(10 * k, 100),
            alpha=p.alpha,
            eta=0.01,
            seed=p.random_state,
            min_cf=0,
            rm_top=0,
        )
    else:
        model = tp.LDAModel(k=k, alpha=p.alpha, eta=0.01, seed=p.random_state, min_cf=0, rm_top=0)
    rows = np.flatnonzero(np.diff(X.indptr))
    for r in rows:
        model.add_doc([vocab[j] for j in X.indices[X.indptr[r] : X.indptr[r + 1]]])
    model.train(p.iterations, workers=1)  # one worker: the seed alone fixes the result
    pos = {w: i for i, w in enumerate(vocab)}
    cols = np.array([pos[w] for w in model.used_vocabs], dtype=np.int64)
    H = np.zeros((k, len(vocab)))
    for t in range(k):
        H[t, cols] = model.get_topic_word_dist(t)
    W = np.zeros((X.shape[0], k))
    for r, doc in zip(rows, model.docs, strict=True):
        W[r] = doc.get_topic_dist()
    return H, W


def _fit_gsdmm(X: sparse.csr_matrix, k: int, p: TopicParams) -> tuple[np.ndarray, np.ndarray]:
    """Collapsed Gibbs sampling for the Dirichlet multinomial mixture (binary words per post)."""
    rng = np.random.default_rng(p.random_state)
    n_vocab = X.shape[1]
    rows = np.flatnonzero(np.diff(X.indptr))
    words = [X.indices[X.indptr[r] : X.indptr[r + 1]] for r in rows]
    z = rng.integers(k, size=len(rows))
    m_z = np.bincount(z, minlength=k).astype(np.float64)
    n_z = np.zeros(k)
    n_zw = np.zeros((k, n_vocab))
    for d, w in enumerate(words):
        n_zw[z[d], w] += 1
        n_z[z[d]] += len(w)
    vbeta = n_vocab * p.beta
    for _ in range(p.gsdmm_iterations):
        draws = rng.random(len(words))
        for d, w in enumerate(words):
            old = z[d]
            m_z[old] -= 1
            n_z[old] -= len(w)
            n_zw[old, w] -= 1
            lp = (
                np.log(m_z + p.alpha)
                + np.log(n_zw[:, w] + p.beta).sum(axis=1)
                - np.log(n_z[:, None] + vbeta + np.arange(len(w))).sum(axis=1)
            )
            prob = np.exp(lp - lp.max())
            cum = np.cumsum(prob)
            new = min(int(np.searchsorted(cum, draws[d] * cum[-1], side="right")), k - 1)
            z[d] = new
            m_z[new] += 1
            n_z[new] += len(w)
            n_zw[new, w] += 1
    H = (n_zw + p.beta) / (n_z[:, None] + vbeta)
    H[m_z == 0] = 0.0
    # Posterior p(z | post) for every post at the final counts, vectorised.
    lengths = np.diff(X.indptr)
    max_len = int(lengths.max()) if len(lengths) else 0
    steps = np.log(n_z[:, None] + vbeta + np.arange(max_len))  # k x max_len
    cum_len = np.concatenate([np.zeros((k, 1)), np.cumsum(steps, axis=1)], axis=1)
    lp = (
        np.log(m_z + p.alpha)[None, :]
        + np.asarray(X @ np.log(n_zw + p.beta).T)
        - cum_len[:, lengths].T
    )
    lp -= lp.max(axis=1, keepdims=True)
    W = np.exp(lp)
    W /= W.sum(axis=1, keepdims=True)
    W[lengths == 0] = 0.0
    return H, W


def topic_model(
    keywords: Sequence[Sequence[str]], params: TopicParams = TopicParams()
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit `params.method`: (topic x word weights, post x topic weights, vocabulary).

    Returns empty arrays when there are fewer than `min_posts` posts or no vocabulary left.
    """
    H, W, vocab, _ = _fit([_as_list(k) for k in keywords], params)
    return H, W, vocab


def _fit(
    docs: list[list[str]], params: TopicParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray, sparse.csr_matrix]:
    nothing = (
        np.zeros((0, 0)),
        np.zeros((len(docs), 0)),
        np.array([], dtype=object),
        sparse.csr_matrix((len(docs), 0)),
    )
    if len(docs) < params.min_posts:
        return nothing
    X, vocab = _doc_term(docs, params.min_df, params.max_df)
    n_used = int(np.count_nonzero(np.diff(X.indptr)))
    k = min(params.n_topics, len(vocab), n_used)
    if k < 1 or n_used < params.min_posts // 2:
        return nothing
    if params.method == "nmf":
        H, W = _fit_nmf(X, k, params)
    elif params.method == "gsdmm":
        H, W = _fit_gsdmm(X, k, params)
    else:
        H, W = _fit_tomotopy(X, vocab, k, params)
    return H, W, vocab, X


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    dot = sum(v * b[w] for w, v in a.items() if w in b)
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def _to_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()  # type: ignore[arg-type]


def _latest_previous(previous: pd.DataFrame | None, day: date) -> pd.DataFrame:
    """The latest row of every topic id seen before `day` (re-running a day ignores itself)."""
    if previous is None or previous.empty:
        return pd.DataFrame(columns=list(TOPIC_COLUMNS))
    prev = previous.assign(_day=[_to_date(d) for d in previous["day"]])
    prev = prev[prev["_day"] < day]
    prev = prev.sort_values(["_day", "topic_id"]).drop_duplicates("topic_id", keep="last")
    return prev.sort_values("topic_id").reset_index(drop=True)


def _track(
    day: date, found: list[dict[str, float]], previous: pd.DataFrame | None, threshold: float
) -> list[tuple[str, date, bool]]:
    """(topic_id, first_seen, emerging) for each found topic (given in order of size)."""
    prev = _latest_previous(previous, day)
    matched: dict[int, int] = {}
    if len(prev) and found:
        prev_vecs = [
            dict(zip(_as_list(kw), map(float, ws), strict=False))
            for kw, ws in zip(prev["keywords"], prev["weights"], strict=True)
        ]
        sim = np.array([[_cosine(f, q) for q in prev_vecs] for f in found])
        rows, cols = linear_sum_assignment(-sim)
        matched = {
            int(r): int(c) for r, c in zip(rows, cols, strict=True) if sim[r, c] >= threshold
        }
    out: list[tuple[str, date, bool]] = []
    n_new = 0
    for i in range(len(found)):
        if i in matched:
            row = prev.iloc[matched[i]]
            first = row["first_seen"]
            first_seen = _to_date(first) if first is not None and not pd.isna(first) else day
            out.append((str(row["topic_id"]), first_seen, False))
        else:
            out.append((f"T{day:%Y%m%d}-{n_new:02d}", day, True))
            n_new += 1
    return out


LABEL_RELEVANCE_LAMBDA = 0.6


def _label_words(
    top: np.ndarray, row: np.ndarray, word_share: np.ndarray, vocab: np.ndarray, n: int = 3
) -> list[str]:
    """The `n` of a topic's top words that name it best: relevance (Sievert & Shirley 2014,
    λ = 0.6) = λ·log p(w|t) + (1 − λ)·log(p(w|t) / p(w)), so a word every topic uses (이번, 공유)
    gives way to one this topic owns. Only the label changes; `keywords` keep the weight order."""
    if len(top) == 0:
        return []
    pwt = np.maximum(row[top], 1e-12)
    pw = np.maximum(word_share[top], 1e-12)
    lam = LABEL_RELEVANCE_LAMBDA
    rel = lam * np.log(pwt) + (1 - lam) * np.log(pwt / pw)
    order = np.lexsort((vocab[top], -rel))[:n]
    return [str(vocab[top[i]]) for i in order]


def day_topics(
    day: date,
    post_ids: Sequence[str],
    keywords: Sequence[Sequence[str]],
    texts: Sequence[str],
    previous: pd.DataFrame | None,
    params: TopicParams = TopicParams(),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The day's `topics` and `post_topics` (see module docstring for the method and tracking).

    A post is assigned to its strongest topic (`weight` = that topic's share of the post); a post
    with no vocabulary word gets no row. Fewer than `min_posts` posts or no vocabulary: empty frames.
    """
    if not (len(post_ids) == len(keywords) == len(texts)):
        raise ValueError("post_ids, keywords and texts must have the same length")
    day = _to_date(day)
    # Fit on posts in post_id order, so the result does not depend on the input order.
    order = np.argsort(np.asarray([str(p) for p in post_ids], dtype=object), kind="stable")
    ids = [str(post_ids[i]) for i in order]
    kws = [_as_list(keywords[i]) for i in order]
    txt = [str(texts[i] or "") for i in order]
    H, W, vocab, X = _fit(kws, params)
    if H.size == 0:
        return empty_topics()

    totals = W.sum(axis=1)
    assigned = totals > 0
    share = np.divide(W, totals[:, None], out=np.zeros_like(W), where=totals[:, None] > 0)
    best = share.argmax(axis=1)
    best_share = share[np.arange(len(best)), best]

    n_topics = H.shape[0]
    tops: list[np.ndarray] = []
    is_top = np.zeros((len(vocab), n_topics))
    for t in range(n_topics):
        row = H[t] / H[t].sum() if H[t].sum() > 0 else H[t]
        top = np.lexsort((vocab, -row))[: params.top_words]
        top = top[row[top] > 0]
        tops.append(top)
        is_top[top, t] = 1.0
    counts = np.asarray(X.sum(axis=0)).ravel().astype(float)
    word_share = counts / counts.sum() if counts.sum() > 0 else counts
    # Representative: strong share times how many of the topic's top words the post uses;
    # identical texts (copy-paste campaigns) are shown once.
    coverage = np.asarray(X @ is_top)[np.arange(len(best)), best] if len(best) else best_share
    rep_score = best_share * coverage
    ids_arr = np.array(ids, dtype=object)
    topics: list[dict[str, object]] = []
    for t in range(n_topics):
        members = np.flatnonzero(assigned & (best == t))
        if len(members) == 0 or len(tops[t]) == 0:
            continue
        row = H[t] / H[t].sum()
        reps: list[str] = []
        seen: set[str] = set()
        for m in members[np.lexsort((ids_arr[members], -rep_score[members]))]:
            key = " ".join(txt[m].split()) or ids[m]
            if key in seen:
                continue
            seen.add(key)
            reps.append(ids[m])
            if len(reps) >= params.n_representative:
                break
        topics.append(
            {
                "label_words": _label_words(tops[t], row, word_share, vocab),
                "keywords": [str(vocab[j]) for j in tops[t]],
                "weights": [round(float(row[j]), 6) for j in tops[t]],
                "n_posts": len(members),
                "representative_post_ids": reps,
                "_members": members,
            }
        )
    if not topics:
        return empty_topics()
    topics.sort(key=lambda r: (-int(r["n_posts"]), r["keywords"]))  # type: ignore[arg-type]
    found = [dict(zip(r["keywords"], r["weights"], strict=True)) for r in topics]  # type: ignore[arg-type]
    tracked = _track(day, found, previous, params.match_threshold)

    topic_rows = []
    member_parts: list[np.ndarray] = []
    id_parts: list[np.ndarray] = []
    for r, (topic_id, first_seen, emerging) in zip(topics, tracked, strict=True):
        topic_rows.append(
            {
                "day": day,
                "topic_id": topic_id,
                "label": LABEL_SEP.join(r["label_words"]),  # type: ignore[arg-type]
                "keywords": r["keywords"],
                "weights": r["weights"],
                "n_posts": r["n_posts"],
                "representative_post_ids": r["representative_post_ids"],
                "emerging": emerging,
                "first_seen": first_seen,
            }
        )
        members = r["_members"]
        member_parts.append(members)  # type: ignore[arg-type]
        id_parts.append(np.full(len(members), topic_id, dtype=object))  # type: ignore[arg-type]
    members_all = np.concatenate(member_parts)
    topics_df = pd.DataFrame(topic_rows, columns=list(TOPIC_COLUMNS))
    topics_df["n_posts"] = topics_df["n_posts"].astype("int64")
    topics_df["emerging"] = topics_df["emerging"].astype(bool)
    post_df = pd.DataFrame(
        {
            "day": np.full(len(members_all), day, dtype=object),
            "post_id": ids_arr[members_all],
            "topic_id": np.concatenate(id_parts),
            "weight": np.round(best_share[members_all], 6),
        }
    )
    post_df = post_df.sort_values(["topic_id", "post_id"], kind="stable").reset_index(drop=True)
    log.info(
        "%s: %d topics (%d emerging) over %d posts with method %s",
        day,
        len(topics_df),
        int(topics_df["emerging"].sum()),
        len(post_df),
        params.method,
    )
    return topics_df, post_df
