"""Three-class sentiment (negative / neutral / positive) with a calibrated score in [-1, 1].

The model is two hashed linear heads over features of the text and of the tokens the pipeline
already computed (a post is never tokenised twice):

* features: character 1–5-grams of the lower-cased text (with a space at each end), the
  `Tokens.terms` unigrams and bigrams and (optional, `morph_ngram`; no shipped version uses it)
  n-grams of all morphemes as `form/TAG` (endings and particles too), hashed into 2**n_bits columns with a
  vectorised hash (no per-n-gram Python work), each row divided by sqrt(its number of n-grams);
* subjectivity head: P(opinionated) — neutral reports/headlines/requests vs. text with an attitude;
* polarity head: P(positive | opinionated), the average of an NB-weighted logistic regression
  (NBSVM-style, the log-count ratio folded into the coefficients) and a plain one.

P(neutral) = 1 - s, P(positive) = s·p, P(negative) = s·(1 - p); the score is
P(positive) - P(negative) = s·(2p - 1), taken after the class biases: the label is
argmax_c(log P(c) + class_bias[c]), where the biases (log prior corrections, neutral fixed at 0) are
tuned on a separate civic development set, since the training mixture (movie reviews, headlines,
templates) does not have civic class priors; the score uses the same corrected probabilities
P(c)·exp(class_bias[c]) (renormalised), so its sign never contradicts the label.

Files (a version directory): `weights.npz` (plain arrays, loaded with `allow_pickle=False`) and
`meta.json` (parameters, data, metrics). Nothing executable is ever loaded. The heads are one
`coef` array (all shipped versions); with `subjectivity_bits` < n_bits the subjectivity head (which
uses the top `subjectivity_bits` of the same hash) and the polarity head are stored at their own
sizes.

Optional (`rating_mix` > 0; no shipped version uses it): a rating head on the same features — the
mean of logistic heads "rating >= k" (ordinal thresholds, e.g. 5, 7, 9) over reviews of every
rating 1–10, the 5–8 ones that the binary labels leave out included — is folded into the polarity
head, polarity = (1 - m)·polarity + m·s·rating with s the ratio of their logits' standard deviations
on the polarity rows; the stored model is still one `coef` row per head, so loading and scoring do
not change.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from pipeline.nlp.tokenizer import Tokens

log = logging.getLogger(__name__)

LABELS = ("negative", "neutral", "positive")
WEIGHTS_FILE = "weights.npz"
META_FILE = "meta.json"
DEFAULT_FILE = "DEFAULT"
RETRAIN_HINT = "retrain with `minsim train sentiment`"

_U64 = np.uint64
_MIX = _U64(0x9E3779B97F4A7C15)  # Fibonacci hashing multiplier
_PRIME = _U64(1_000_003)
_NS_CHAR = _U64(0x51ED270B27F6A4E5)
_NS_TERM = _U64(0x2545F4914F6CDD1D)
_NS_BIGRAM = _U64(0x27BB2EE687B0B0FD)
_NS_TRIGRAM = _U64(0x2F8F5A3C1B6D4E97)
_NS_MORPH = _U64(0x3C6EF372FE94F82B)
_NS_MORPH_BIGRAM = _U64(0x5851F42D4C957F2D)
_NS_MORPH_TRIGRAM = _U64(0x14057B7EF767814F)


class ModelLoadError(RuntimeError):
    """A model file is missing or unreadable; the message names the file and how to retrain."""


def _bucket(h: np.ndarray, n_bits: int) -> np.ndarray:
    return ((h * _MIX) >> _U64(64 - n_bits)).astype(np.int64)


def _char_features(
    texts: Sequence[str], n_min: int, n_max: int, max_chars: int, n_bits: int
) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) pairs of hashed character n-grams of every text, vectorised over the batch."""
    prepared = []
    for t in texts:
        t = t if isinstance(t, str) else ""
        t = " ".join(t[: max_chars * 2].lower().split())[:max_chars]
        prepared.append(f" {t} ")
    lens = np.fromiter((len(p) for p in prepared), dtype=np.int64, count=len(prepared))
    codes = np.frombuffer(
        "".join(prepared).encode("utf-32-le", "surrogatepass"), dtype=np.uint32
    ).astype(_U64)
    doc = np.repeat(np.arange(len(prepared), dtype=np.int32), lens)
    # characters left in the document from each position (n-grams must not cross documents)
    remaining = np.repeat(np.cumsum(lens), lens) - np.arange(codes.size)
    rows, cols = [], []
    h = np.zeros(codes.size, dtype=_U64)
    with np.errstate(over="ignore"):
        for n in range(1, n_max + 1):
            m = codes.size - n + 1
            if m <= 0:
                break
            h = h[:m] * _PRIME + codes[n - 1 :]
            if n < n_min:
                continue
            valid = remaining[:m] >= n
            rows.append(doc[:m][valid])
            cols.append(_bucket(h[valid] + _NS_CHAR * _U64(n), n_bits))
    if not rows:
        return np.zeros(0, np.int32), np.zeros(0, np.int64)
    return np.concatenate(rows), np.concatenate(cols)


_POW = np.cumprod(np.full(4096, _PRIME, dtype=_U64), dtype=_U64) // _PRIME  # P**0 … P**4095
_POW[0] = 1


def _term_hashes(tokens: Sequence[Tokens]) -> tuple[np.ndarray, np.ndarray]:
    """(row, polynomial hash) of every term, vectorised (no per-term Python hashing)."""
    return _string_hashes([tok.terms if tok is not None else () for tok in tokens])


def _morph_strings(tokens: Sequence[Tokens]) -> list[tuple[str, ...]]:
    """Every morpheme (endings and particles too) as `form/TAG`, in text order."""
    return [tuple(f"{f}/{t}" for f, t in tok.morphs) if tok is not None else () for tok in tokens]


def _string_hashes(seqs: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
    """(row, polynomial hash) of every string of every sequence, vectorised."""
    counts = np.zeros(len(seqs), dtype=np.int64)
    parts = []
    for i, terms in enumerate(seqs):
        if terms:
            counts[i] = len(terms)
            parts.append("\x00".join(terms))
    doc = np.repeat(np.arange(len(seqs), dtype=np.int32), counts)
    if not parts:
        return doc, np.zeros(0, _U64)
    codes = np.frombuffer(
        ("\x00".join(parts) + "\x00").encode("utf-32-le", "surrogatepass"), dtype=np.uint32
    ).astype(_U64)
    seps = np.flatnonzero(codes == 0)
    if seps.size != counts.sum():  # a term containing NUL: hash one by one
        flat = [t for terms in seqs for t in terms]
        h = np.asarray([zlib.crc32(t.encode("utf-8", "surrogatepass")) for t in flat], _U64)
        return doc, h
    starts = np.concatenate([[0], seps[:-1] + 1])
    # exponent of each character: distance to the end of its term
    exp = np.repeat(seps, np.diff(np.concatenate([[-1], seps]))) - np.arange(codes.size) - 1
    exp = np.clip(exp, 0, _POW.size - 1)
    with np.errstate(over="ignore"):
        h = np.add.reduceat(codes * _POW[exp], starts)  # separator positions contribute 0
    return doc, h


def _term_features(tokens: Sequence[Tokens], n_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) pairs of hashed term unigrams and adjacent-term bigrams."""
    doc, h = _term_hashes(tokens)
    return _ngram_features(doc, h, 1, 2, (_NS_TERM, _NS_BIGRAM, _NS_TRIGRAM), n_bits)


def _ngram_features(
    doc: np.ndarray,
    h: np.ndarray,
    n_min: int,
    n_max: int,
    namespaces: tuple[np.uint64, np.uint64, np.uint64],
    n_bits: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) pairs of hashed uni-, bi- and trigrams (n_min..n_max <= 3) of a sequence."""
    rows, cols = [], []
    with np.errstate(over="ignore"):
        if n_min <= 1 <= n_max:
            rows.append(doc)
            cols.append(_bucket(h + namespaces[0], n_bits))
        same = doc[1:] == doc[:-1]
        if n_min <= 2 <= n_max:
            rows.append(doc[:-1][same])
            cols.append(_bucket(h[:-1][same] * _PRIME + h[1:][same] + namespaces[1], n_bits))
        if n_min <= 3 <= n_max:
            same3 = same[:-1] & same[1:]
            tri = (h[:-2][same3] * _PRIME + h[1:-1][same3]) * _PRIME + h[2:][same3]
            rows.append(doc[:-2][same3])
            cols.append(_bucket(tri + namespaces[2], n_bits))
    if not rows:
        return np.zeros(0, np.int32), np.zeros(0, np.int64)
    return np.concatenate(rows), np.concatenate(cols)


def _morph_features(
    tokens: Sequence[Tokens], n_min: int, n_max: int, n_bits: int
) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) pairs of hashed n-grams of all morphemes (`form/TAG`, endings included)."""
    doc, h = _string_hashes(_morph_strings(tokens))
    ns = (_NS_MORPH, _NS_MORPH_BIGRAM, _NS_MORPH_TRIGRAM)
    return _ngram_features(doc, h, n_min, n_max, ns, n_bits)


def _feature_pairs(
    texts: Sequence[str],
    tokens: Sequence[Tokens],
    n_bits: int,
    char_ngram: tuple[int, int],
    max_chars: int,
    morph_ngram: tuple[int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, column, value) triplets; value = 1/sqrt(number of features of the row)."""
    if len(texts) != len(tokens):
        raise ValueError(f"{len(texts)} texts but {len(tokens)} token lists")
    r1, c1 = _char_features(texts, char_ngram[0], char_ngram[1], max_chars, n_bits)
    r2, c2 = _term_features(tokens, n_bits)
    parts_r, parts_c = [r1, r2], [c1, c2]
    if morph_ngram is not None:
        r3, c3 = _morph_features(tokens, morph_ngram[0], morph_ngram[1], n_bits)
        parts_r.append(r3)
        parts_c.append(c3)
    rows = np.concatenate(parts_r)
    cols = np.concatenate(parts_c)
    n = np.bincount(rows, minlength=len(texts))
    scale = (1.0 / np.sqrt(np.maximum(n, 1))).astype(np.float32)
    return rows, cols, scale


def sentiment_features(
    texts: Sequence[str],
    tokens: Sequence[Tokens],
    *,
    n_bits: int = 21,
    char_ngram: tuple[int, int] = (1, 5),
    max_chars: int = 1000,
    morph_ngram: tuple[int, int] | None = None,
) -> sp.csr_matrix:
    """Hashed n-gram counts, each row divided by sqrt(its number of n-grams) (CSR, float32)."""
    rows, cols, scale = _feature_pairs(texts, tokens, n_bits, char_ngram, max_chars, morph_ngram)
    X = sp.csr_matrix(
        (scale[rows], (rows, cols)), shape=(len(texts), 1 << n_bits), dtype=np.float32
    )
    X.sum_duplicates()
    return X


def _nb_ratio(X: sp.csr_matrix, y: np.ndarray, w: np.ndarray, alpha: float) -> np.ndarray:
    """Log-count ratio r = log((p/|p|1) / (q/|q|1)) of binary features (Wang & Manning 2012)."""
    B = X.copy()
    B.data[:] = 1.0
    p = alpha + np.asarray(B.T @ (w * (y == 1)), dtype=np.float64).ravel()
    q = alpha + np.asarray(B.T @ (w * (y == 0)), dtype=np.float64).ravel()
    return np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)


def _round_float16(a: np.ndarray, mantissa_bits: int) -> np.ndarray:
    """`a` as float16 rounded to nearest with `mantissa_bits` of its 10 mantissa bits (float32)."""
    if not 1 <= mantissa_bits <= 10:
        raise ValueError(f"weight_mantissa_bits must be in 1..10, got {mantissa_bits}")
    h = a.astype(np.float16).view(np.uint16).astype(np.uint32)
    drop = 10 - mantissa_bits
    if drop:
        h = ((h + (1 << (drop - 1))) >> drop) << drop  # a carry moves into the exponent: exact
    return h.astype(np.uint16).view(np.float16).astype(np.float32)


def _fit_head(
    X: sp.csr_matrix,
    y: np.ndarray,
    w: np.ndarray,
    alpha: float,
    nb_alpha: float | None,
    epochs: int,
    seed: int,
) -> tuple[np.ndarray, float]:
    """One binary logistic head by averaged SGD (deterministic for a seed; classes balanced)."""
    from sklearn.linear_model import SGDClassifier

    w = w.astype(np.float64).copy()
    for c in (0, 1):
        total = w[y == c].sum()
        if total > 0:
            w[y == c] /= total
    w *= len(w) / w.sum()
    Xf, r = X, None
    if nb_alpha is not None:
        r = _nb_ratio(X, y, w, nb_alpha)
        Xf = X @ sp.diags(r)
    clf = SGDClassifier(
        loss="log_loss", alpha=alpha, max_iter=epochs, tol=None, average=True, random_state=seed
    )
    clf.fit(Xf, y, sample_weight=w)
    coef = clf.coef_.ravel().astype(np.float32)
    if r is not None:
        coef = coef * r  # fold the NB scaling into the weights: w·(r∘x) = (w∘r)·x
    return coef, float(clf.intercept_[0])


def _fit_rating_head(
    X: sp.csr_matrix,
    rating: np.ndarray,
    thresholds: Sequence[int],
    alpha: float,
    epochs: int,
    seed: int,
) -> tuple[np.ndarray, float]:
    """Ordinal rating head: the mean of binary logistic heads `rating >= k` for k in thresholds.

    Each threshold head is a plain `_fit_head` (classes balanced by weight); the mean of their
    logits is again one linear model.
    """
    rating = np.asarray(rating, dtype=np.float64)
    coefs, intercepts = [], []
    for k in thresholds:
        y = (rating >= k).astype(int)
        if y.min() == y.max():
            raise ValueError(f"rating threshold {k}: every rating is on one side")
        c, b = _fit_head(X, y, np.ones(y.size), alpha, None, epochs, seed)
        coefs.append(c)
        intercepts.append(b)
    return np.mean(coefs, axis=0).astype(np.float32), float(np.mean(intercepts))


class SentimentModel:
    """Hashed two-head linear sentiment model (scikit-learn estimator contract)."""

    def __init__(
        self,
        *,
        version: str = "sentiment-dev",
        n_bits: int = 21,
        char_ngram: tuple[int, int] = (1, 5),
        max_chars: int = 1000,
        alpha_polarity: float = 1e-6,
        alpha_subjectivity: float = 1e-5,
        nb_alpha: float | None = 1.0,
        epochs: int = 15,
        random_state: int = 13,
        class_bias: tuple[float, float, float] = (0.0, 0.0, 0.0),
        polarity_mix: float = 0.5,
        morph_ngram: tuple[int, int] | None = None,
        subjectivity_bits: int | None = None,
        weight_mantissa_bits: int = 10,
        rating_mix: float = 0.0,
        rating_thresholds: tuple[int, ...] = (5, 7, 9),
        alpha_rating: float = 5e-7,
    ) -> None:
        self.version = version
        self.n_bits = n_bits
        self.char_ngram = char_ngram
        self.max_chars = max_chars
        self.alpha_polarity = alpha_polarity
        self.alpha_subjectivity = alpha_subjectivity
        self.nb_alpha = nb_alpha
        self.epochs = epochs
        self.random_state = random_state
        self.class_bias = class_bias
        self.polarity_mix = polarity_mix
        self.morph_ngram = morph_ngram
        self.subjectivity_bits = subjectivity_bits
        self.weight_mantissa_bits = weight_mantissa_bits
        self.rating_mix = rating_mix
        self.rating_thresholds = rating_thresholds
        self.alpha_rating = alpha_rating

    def get_params(self, deep: bool = True) -> dict[str, object]:
        return {
            k: getattr(self, k)
            for k in (
                "version",
                "n_bits",
                "char_ngram",
                "max_chars",
                "alpha_polarity",
                "alpha_subjectivity",
                "nb_alpha",
                "epochs",
                "random_state",
                "class_bias",
                "polarity_mix",
                "morph_ngram",
                "subjectivity_bits",
                "weight_mantissa_bits",
                "rating_mix",
                "rating_thresholds",
                "alpha_rating",
            )
        }

    def set_params(self, **params: object) -> SentimentModel:
        for k, v in params.items():
            setattr(self, k, v)
        return self

    def features(self, texts: Sequence[str], tokens: Sequence[Tokens]) -> sp.csr_matrix:
        return sentiment_features(
            texts,
            tokens,
            n_bits=self.n_bits,
            char_ngram=tuple(self.char_ngram),
            max_chars=self.max_chars,
            morph_ngram=self._morph_ngram(),
        )

    def _morph_ngram(self) -> tuple[int, int] | None:
        m = self.morph_ngram
        return None if m is None else (int(m[0]), int(m[1]))

    def fit(
        self,
        texts: Sequence[str],
        tokens: Sequence[Tokens],
        y: Sequence[str],
        sample_weight: np.ndarray | None = None,
        subjectivity_weight: np.ndarray | None = None,
        X: sp.csr_matrix | None = None,
        rating: np.ndarray | None = None,
    ) -> SentimentModel:
        """Fit both heads: polarity on negative/positive rows, subjectivity on all rows.

        `subjectivity_weight` (default: `sample_weight`) lets a source count differently in the
        subjectivity head; `X` may pass precomputed `features()` of the same rows. With
        `rating_mix` > 0, `rating` (1–10, NaN where a row has none) teaches the rating head that
        is folded into the polarity head; rows with a rating but zero weights teach only it.
        """
        y = np.asarray(y)
        unknown = set(np.unique(y)) - set(LABELS)
        if unknown:
            raise ValueError(f"unknown labels {sorted(unknown)}")
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
        ws = w if subjectivity_weight is None else np.asarray(subjectivity_weight, float)
        X = self.features(texts, tokens) if X is None else X
        pol = (y != "neutral") & (w > 0)
        yp = (y[pol] == "positive").astype(int)
        coef_p, b_p = _fit_head(
            X[pol], yp, w[pol], self.alpha_polarity, self.nb_alpha, self.epochs, self.random_state
        )
        if self.nb_alpha is not None:
            # mix with a plain (un-weighted) head: still one linear model; the NB share
            # `polarity_mix` is chosen on the validation movies
            coef_q, b_q = _fit_head(
                X[pol], yp, w[pol], self.alpha_polarity, None, self.epochs, self.random_state
            )
            a = float(self.polarity_mix)
            coef_p, b_p = a * coef_p + (1 - a) * coef_q, a * b_p + (1 - a) * b_q
        if float(self.rating_mix) > 0:
            coef_p, b_p = self._mix_rating_head(X, rating, pol, coef_p, b_p)
        subj = ws > 0
        shift = self._subjectivity_shift()
        Xs = X[subj]
        if shift:
            # the subjectivity head uses the top `subjectivity_bits` of the same hash: column
            # c of X falls into column c >> shift (a smaller file for a head that needs fewer)
            Xs = sp.csr_matrix(
                (Xs.data, Xs.indices >> shift, Xs.indptr), shape=(Xs.shape[0], X.shape[1] >> shift)
            )
            Xs.sum_duplicates()
        coef_s, b_s = _fit_head(
            Xs,
            (y[subj] != "neutral").astype(int),
            ws[subj],
            self.alpha_subjectivity,
            self.nb_alpha,
            self.epochs,
            self.random_state,
        )
        # in memory both heads have 2**n_bits columns (the subjectivity weights repeated), so
        # scoring is one gather per head whatever the stored sizes
        coef = np.vstack([np.repeat(coef_s, 1 << shift), coef_p]).astype(np.float32)
        if int(self.weight_mantissa_bits) < 10:
            # float16 with fewer mantissa bits compresses better; the model scored in training
            # is then exactly the stored one
            coef = _round_float16(coef, int(self.weight_mantissa_bits))
        self.coef_ = coef
        self.intercept_ = np.array([b_s, b_p], dtype=np.float32)
        return self

    def _mix_rating_head(
        self,
        X: sp.csr_matrix,
        rating: np.ndarray | None,
        pol: np.ndarray,
        coef_p: np.ndarray,
        b_p: float,
    ) -> tuple[np.ndarray, float]:
        """(1 - m)·polarity + m·s·rating head: one linear model (s: ratio of logit spreads)."""
        m = float(self.rating_mix)
        if not 0 < m <= 1:
            raise ValueError(f"rating_mix must be in [0, 1], got {m}")
        if rating is None or len(rating) != X.shape[0]:
            raise ValueError("rating_mix > 0 needs a `rating` (NaN where none) for every row")
        r = np.asarray(rating, dtype=np.float64)
        has = np.isfinite(r)
        if not ((r[has] >= 1) & (r[has] <= 10)).all() or has.sum() < 2:
            raise ValueError("ratings must be 1–10 (NaN where a row has none), at least two")
        coef_r, b_r = _fit_rating_head(
            X[has],
            r[has],
            tuple(int(k) for k in self.rating_thresholds),
            self.alpha_rating,
            self.epochs,
            self.random_state,
        )
        Xp = X[pol]
        sd_r = float(np.std(Xp @ coef_r))
        s = float(np.std(Xp @ coef_p)) / sd_r if sd_r > 0 else 0.0
        return (
            ((1 - m) * coef_p + (m * s) * coef_r).astype(np.float32),
            (1 - m) * b_p + m * s * b_r,
        )

    def _subjectivity_shift(self) -> int:
        """How many low hash bits the subjectivity head ignores (0: same columns as polarity)."""
        sb = self.n_bits if self.subjectivity_bits is None else int(self.subjectivity_bits)
        if not 1 <= sb <= self.n_bits:
            raise ValueError(f"subjectivity_bits must be in 1..n_bits, got {sb}")
        return self.n_bits - sb

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise RuntimeError("SentimentModel is not fitted")

    def predict_proba_features(self, X: sp.csr_matrix) -> np.ndarray:
        """Columns in LABELS order (negative, neutral, positive)."""
        self._check_fitted()
        z = np.asarray(X @ self.coef_.T, dtype=np.float64) + self.intercept_
        return self._proba_from_logits(z)

    def decision_function(self, texts: Sequence[str], tokens: Sequence[Tokens]) -> np.ndarray:
        """(n, 2) logits of the subjectivity and polarity heads, without building a matrix."""
        self._check_fitted()
        rows, cols, scale = _feature_pairs(
            texts,
            tokens,
            self.n_bits,
            tuple(self.char_ngram),
            self.max_chars,
            self._morph_ngram(),
        )
        n = len(texts)
        z = np.empty((n, 2), dtype=np.float64)
        for k in (0, 1):
            z[:, k] = np.bincount(rows, weights=self.coef_[k][cols], minlength=n) * scale
        return z + self.intercept_

    @staticmethod
    def _proba_from_logits(z: np.ndarray) -> np.ndarray:
        s = 1.0 / (1.0 + np.exp(-np.clip(z[:, 0], -50, 50)))
        p = 1.0 / (1.0 + np.exp(-np.clip(z[:, 1], -50, 50)))
        return np.column_stack([s * (1 - p), 1 - s, s * p])

    def predict_proba(self, texts: Sequence[str], tokens: Sequence[Tokens]) -> np.ndarray:
        """Columns in LABELS order (negative, neutral, positive)."""
        return self._proba_from_logits(self.decision_function(texts, tokens))

    def polarity_proba(self, texts: Sequence[str], tokens: Sequence[Tokens]) -> np.ndarray:
        """P(positive | opinionated): the binary head alone (used for the NSMC benchmark)."""
        self._check_fitted()
        z = self.decision_function(texts, tokens)[:, 1]
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))

    def predict(
        self, texts: Sequence[str], tokens: Sequence[Tokens]
    ) -> tuple[list[str], np.ndarray]:
        """Labels in {'negative','neutral','positive'} and scores P(pos) - P(neg) in [-1, 1]."""
        if len(texts) == 0:
            return [], np.zeros(0, dtype=np.float64)
        if len(texts) != len(tokens):
            raise ValueError(f"{len(texts)} texts but {len(tokens)} token lists")
        step = 2048  # keeps the hashed n-gram arrays in cache; faster than one large batch
        proba = np.vstack(
            [
                self.predict_proba(texts[i : i + step], tokens[i : i + step])
                for i in range(0, len(texts), step)
            ]
        )
        labels = [LABELS[i] for i in self.decide(proba)]
        q = self.adjusted_proba(proba)
        score = np.clip(q[:, 2] - q[:, 0], -1.0, 1.0)
        return labels, score

    def adjusted_proba(self, proba: np.ndarray) -> np.ndarray:
        """Probabilities under the civic class priors: P(c)·exp(class_bias[c]), renormalised.

        The label is their argmax, and the score is computed from them, so a `negative` post never
        has a positive score (nor a `positive` one a negative score).
        """
        bias = np.asarray(self.class_bias, dtype=np.float64).reshape(1, 3)
        q = np.maximum(proba, 1e-12) * np.exp(bias)
        return q / q.sum(axis=1, keepdims=True)

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """Class indices: argmax of log-probability plus the tuned per-class bias."""
        bias = np.asarray(self.class_bias, dtype=np.float64).reshape(1, 3)
        return (np.log(np.maximum(proba, 1e-12)) + bias).argmax(axis=1)

    # -- persistence -------------------------------------------------------------------------

    def save(self, directory: Path, meta: dict | None = None) -> Path:
        """Write weights.npz (plain float16 arrays) and meta.json into `directory`."""
        self._check_fitted()
        directory.mkdir(parents=True, exist_ok=True)
        shift = self._subjectivity_shift()
        if shift:  # the heads stored at their own sizes (float16)
            arrays = {
                "coef_subjectivity": self.coef_[0, :: 1 << shift].astype(np.float16),
                "coef_polarity": self.coef_[1].astype(np.float16),
            }
        else:  # one (2, 2**n_bits) array, as up to 2026.11.3
            arrays = {"coef": self.coef_.astype(np.float16)}
        np.savez_compressed(
            directory / WEIGHTS_FILE,
            **arrays,
            intercept=self.intercept_.astype(np.float32),
        )
        meta = dict(meta or {})
        meta["version"] = self.version
        meta["params"] = {k: v for k, v in self.get_params().items() if k != "version"}
        (directory / META_FILE).write_text(
            json.dumps(meta, ensure_ascii=False, indent=2, default=_json_default) + "\n", "utf-8"
        )
        return directory


def _json_default(o: object) -> object:
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (tuple, set)):
        return list(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _morph_param(value: object) -> tuple[int, int] | None:
    """`morph_ngram` from meta.json: absent/null (no morpheme n-grams) or [n_min, n_max]."""
    if value is None:
        return None
    lo, hi = (int(v) for v in value)  # type: ignore[union-attr]
    if not 1 <= lo <= hi <= 3:
        raise ValueError(f"morph_ngram must be 1 <= n_min <= n_max <= 3, got {value}")
    return (lo, hi)


def resolve_version_dir(path: Path) -> Path:
    """`path` itself when it holds a model, else the version named in `path/DEFAULT`."""
    path = Path(path)
    if (path / META_FILE).exists() or (path / WEIGHTS_FILE).exists():
        return path
    default = path / DEFAULT_FILE
    if not default.is_file():
        raise ModelLoadError(f"{default}: missing (no model version selected); {RETRAIN_HINT}")
    name = default.read_text("utf-8").strip()
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ModelLoadError(f"{default}: does not name a version directory; {RETRAIN_HINT}")
    return path / name


def load_sentiment_model(path: Path) -> SentimentModel:
    """Load a model from `models/sentiment` (version in DEFAULT) or from a version directory."""
    vdir = resolve_version_dir(Path(path))
    meta_path, weights_path = vdir / META_FILE, vdir / WEIGHTS_FILE
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
        params = meta["params"]
        model = SentimentModel(
            version=str(meta["version"]),
            n_bits=int(params["n_bits"]),
            char_ngram=(int(params["char_ngram"][0]), int(params["char_ngram"][1])),
            max_chars=int(params["max_chars"]),
            alpha_polarity=float(params["alpha_polarity"]),
            alpha_subjectivity=float(params["alpha_subjectivity"]),
            epochs=int(params["epochs"]),
            nb_alpha=None if params.get("nb_alpha") is None else float(params["nb_alpha"]),
            random_state=int(params["random_state"]),
            class_bias=tuple(float(b) for b in params.get("class_bias", (0.0, 0.0, 0.0))),
            polarity_mix=float(params.get("polarity_mix", 0.5)),
            morph_ngram=_morph_param(params.get("morph_ngram")),
            subjectivity_bits=(
                None
                if params.get("subjectivity_bits") is None
                else int(params["subjectivity_bits"])
            ),
            weight_mantissa_bits=int(params.get("weight_mantissa_bits", 10)),
            rating_mix=float(params.get("rating_mix", 0.0)),
            rating_thresholds=tuple(int(k) for k in params.get("rating_thresholds", (5, 7, 9))),
            alpha_rating=float(params.get("alpha_rating", 5e-7)),
        )
        shift = model._subjectivity_shift()
        if len(model.class_bias) != 3 or not np.isfinite(model.class_bias).all():
            raise ValueError(f"class_bias must be 3 finite numbers, got {model.class_bias}")
    except FileNotFoundError:
        raise ModelLoadError(f"{meta_path}: missing; {RETRAIN_HINT}") from None
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise ModelLoadError(f"{meta_path}: unreadable ({exc}); {RETRAIN_HINT}") from None
    try:
        with np.load(weights_path, allow_pickle=False) as npz:
            if "coef" in npz.files:
                coef = np.asarray(npz["coef"], dtype=np.float32)
            else:  # heads stored at their own sizes (subjectivity_bits < n_bits)
                cs = np.asarray(npz["coef_subjectivity"], dtype=np.float32)
                cp = np.asarray(npz["coef_polarity"], dtype=np.float32)
                if cs.shape != (1 << (model.n_bits - shift),) or cp.shape != (1 << model.n_bits,):
                    raise ValueError(f"head shapes {cs.shape} and {cp.shape}")
                coef = np.vstack([np.repeat(cs, 1 << shift), cp])
            intercept = np.asarray(npz["intercept"], dtype=np.float32)
    except FileNotFoundError:
        raise ModelLoadError(f"{weights_path}: missing; {RETRAIN_HINT}") from None
    except Exception as exc:  # noqa: BLE001 - zip/npy decoding raises many types: all corrupt
        raise ModelLoadError(
            f"{weights_path}: corrupt ({type(exc).__name__}: {exc}); {RETRAIN_HINT}"
        ) from None
    expected = (2, 1 << model.n_bits)
    if coef.shape != expected or intercept.shape != (2,) or not np.isfinite(coef).all():
        raise ModelLoadError(
            f"{weights_path}: weights have shape {coef.shape}, expected {expected}; {RETRAIN_HINT}"
        )
    model.coef_ = coef
    model.intercept_ = intercept
    model.meta_ = meta
    return model
