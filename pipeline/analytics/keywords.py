"""Keyword networks (연관어): sentiment-associated keywords and keyword co-occurrence per day and area.

Counts are of posts: a keyword repeated in one post counts once. Hashtags (`#...`) are keywords like any
other. Every policy area present in the day's posts is summarised, and all posts together as
`policy_area = 'all'`.

- `keyword_sentiment`: for each polarity, the keywords whose share in that polarity's posts most exceeds
  their share in the group's other posts, by the weighted log-odds ratio with an informative Dirichlet
  prior (Monroe, Colaresi & Quinn 2008, "Fightin' Words"). The prior is the day's keyword distribution
  over all posts scaled to `PRIOR_SIZE` pseudo-counts, so rare keywords are shrunk towards "no
  association"; `score` is the z-score of the log-odds difference.
- `keyword_links`: edges between the `top_k` most frequent keywords, weighted by the number of posts
  using both, with normalised PMI. A hashtag and a word it contains (`#따릉이` and `따릉이`) always co-occur
  because the tokeniser splits hashtags, so that trivial edge is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

import numpy as np
import pandas as pd
from scipy import sparse

ALL_AREAS = "all"
PRIOR_SIZE = 500.0
SENTIMENT_COLUMNS = ("day", "policy_area", "polarity", "keyword", "count", "score", "rank")
LINK_COLUMNS = ("day", "policy_area", "source", "target", "weight", "npmi")
_DTYPES = {
    "count": "int64",
    "score": "float64",
    "rank": "int64",
    "weight": "int64",
    "npmi": "float64",
}


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=_DTYPES.get(c, "object")) for c in columns})


def _keyword_sets(values: Iterable[object]) -> list[list[str]]:
    """Each post's distinct keywords (list, tuple, numpy array, None or NaN accepted), in order."""
    out = []
    for value in values:
        if value is None or isinstance(value, float):
            out.append([])
        elif isinstance(value, str):
            out.append([value] if value else [])
        else:
            out.append(list(dict.fromkeys(str(v) for v in value if isinstance(v, str) and v)))
    return out


def _incidence(keywords: list[list[str]]) -> tuple[sparse.csr_matrix, list[str]]:
    """Binary post x keyword matrix with its (sorted) vocabulary."""
    vocab = sorted({w for ks in keywords for w in ks})
    index = {w: i for i, w in enumerate(vocab)}
    indptr = np.zeros(len(keywords) + 1, dtype=np.int64)
    np.cumsum([len(ks) for ks in keywords], out=indptr[1:])
    cols = np.fromiter((index[w] for ks in keywords for w in ks), np.int64, int(indptr[-1]))
    data = np.ones(len(cols), dtype=np.float64)
    return sparse.csr_matrix((data, cols, indptr), shape=(len(keywords), len(vocab))), vocab


def _groups(posts: pd.DataFrame) -> Iterator[tuple[str, np.ndarray]]:
    """('all', every row) then each policy area in code order, as row positions."""
    yield ALL_AREAS, np.arange(len(posts))
    areas = posts["policy_area"].astype("object").where(posts["policy_area"].notna(), None)
    for area in sorted({a for a in areas if a is not None and a != ALL_AREAS}):
        yield str(area), np.flatnonzero((areas == area).to_numpy())


def keyword_sentiment(
    day: date, posts: pd.DataFrame, *, top_n: int = 15, min_count: int = 3
) -> pd.DataFrame:
    """The `top_n` keywords most associated with positive and with negative posts, per policy area.

    `posts` has columns post_id, policy_area, sentiment, keywords. A keyword qualifies for a polarity
    when at least `min_count` posts of that polarity use it and its score is positive.
    """
    if posts.empty:
        return _empty(SENTIMENT_COLUMNS)
    X, vocab = _incidence(_keyword_sets(posts["keywords"]))
    if not vocab:
        return _empty(SENTIMENT_COLUMNS)
    sentiment = posts["sentiment"].astype("object").to_numpy()
    bg = np.asarray(X.sum(axis=0)).ravel()
    alpha = PRIOR_SIZE * bg / bg.sum()
    alpha0 = alpha.sum()

    rows: list[tuple[date, str, str, str, int, float, int]] = []
    for area, members in _groups(posts):
        sub = X[members]
        counts = {
            pol: np.asarray(sub[sentiment[members] == pol].sum(axis=0)).ravel()
            for pol in ("positive", "negative")
        }
        total = np.asarray(sub.sum(axis=0)).ravel()
        for polarity in ("positive", "negative"):
            y_i = counts[polarity]
            y_j = total - y_i
            n_i, n_j = y_i.sum(), y_j.sum()
            if n_i == 0 or n_j == 0:
                continue
            delta = np.log((y_i + alpha) / (n_i + alpha0 - y_i - alpha)) - np.log(
                (y_j + alpha) / (n_j + alpha0 - y_j - alpha)
            )
            z = delta / np.sqrt(1.0 / (y_i + alpha) + 1.0 / (y_j + alpha))
            ok = np.flatnonzero((y_i >= min_count) & (z > 0))
            ranked = sorted(ok, key=lambda j: (-z[j], vocab[j]))[:top_n]
            rows.extend(
                (day, area, polarity, vocab[j], int(y_i[j]), round(float(z[j]), 6), r)
                for r, j in enumerate(ranked, start=1)
            )
    if not rows:
        return _empty(SENTIMENT_COLUMNS)
    out = pd.DataFrame(rows, columns=list(SENTIMENT_COLUMNS))
    return out.astype({"count": "int64", "score": "float64", "rank": "int64"})


def _contains(hashtag: str, word: str) -> bool:
    return hashtag.startswith("#") and not word.startswith("#") and word in hashtag[1:]


def keyword_links(
    day: date,
    posts: pd.DataFrame,
    *,
    top_k: int = 40,
    min_count: int = 3,
    max_edges: int | None = None,
) -> pd.DataFrame:
    """Keyword co-occurrence network per policy area (and 'all') among its `top_k` keywords.

    Nodes: the `top_k` keywords used by the most posts (at least `min_count`). Edges: pairs used
    together by at least `min_count` posts with positive NPMI, strongest first, at most `max_edges`
    (default `2 * top_k`) per area; `source < target`.
    """
    if posts.empty:
        return _empty(LINK_COLUMNS)
    max_edges = 2 * top_k if max_edges is None else max_edges
    X, vocab = _incidence(_keyword_sets(posts["keywords"]))
    rows: list[tuple[date, str, str, str, int, float]] = []
    for area, members in _groups(posts):
        n = len(members)
        sub = X[members]
        df = np.asarray(sub.sum(axis=0)).ravel()
        ok = np.flatnonzero(df >= min_count)
        chosen = ok[np.lexsort((np.array(vocab, dtype=object)[ok], -df[ok]))][:top_k]
        chosen = np.sort(chosen)  # vocabulary order is sorted, so source < target below
        if len(chosen) < 2:
            continue
        nodes = [vocab[j] for j in chosen]
        inc = sub[:, chosen]
        co = (inc.T @ inc).toarray()
        p = df[chosen] / n
        edges = []
        for a in range(len(nodes)):
            for b in range(a + 1, len(nodes)):
                weight = int(co[a, b])
                if (
                    weight < min_count
                    or _contains(nodes[a], nodes[b])
                    or _contains(nodes[b], nodes[a])
                ):
                    continue
                p_ab = weight / n
                npmi = 1.0 if p_ab >= 1.0 else float(np.log(p_ab / (p[a] * p[b])) / -np.log(p_ab))
                if npmi > 0:
                    edges.append((nodes[a], nodes[b], weight, round(npmi, 6)))
        edges.sort(key=lambda e: (-e[2], -e[3], e[0], e[1]))
        rows.extend((day, area, *e) for e in edges[:max_edges])
    if not rows:
        return _empty(LINK_COLUMNS)
    out = pd.DataFrame(rows, columns=list(LINK_COLUMNS))
    return out.astype({"weight": "int64", "npmi": "float64"})
