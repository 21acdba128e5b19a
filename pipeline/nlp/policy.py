"""Policy-area classifier (정책 분야) with finer sub-issues, and its safe loader.

`PolicyAreaModel` follows the scikit-learn contract (`__init__` stores parameters, `fit` sets `*_`
attributes and returns self). It scores a post from three sparse feature blocks built from the text and
its Kiwi `Tokens`:

- `w`: content morphemes (`Tokens.terms`, predicates as stems, hashtags included), TF-IDF;
- `b`: pairs of consecutive nouns (공공_임대), TF-IDF — off by default (weight 0: no gain on validation);
- `c`: character 2–3-grams of the text (robust to spacing and unknown compounds), TF-IDF;

each block l2-normalised and weighted (a block weighted 0 is not computed). Two linear models over the same features, a logistic regression
(SGD, log loss, class-balanced) and a Complement Naive Bayes, are folded into a single coefficient matrix,
so prediction is one sparse product. On top, a Seoul keyword prior (`data/sub_issues.json`) adds a fixed
log-odds boost to an area for each of its keywords present in the post (따릉이 → transport_urban): posts of a
Seoul feed name services that national petitions never mention. Confidence is the softmax probability of
the chosen area.

Sub-issues (`SUB_ISSUES`, documented in `data/sub_issues.json` and the model card) are keyword rules under
each area: the sub-issue with most keyword hits inside the predicted area, or None.

Artifacts are plain arrays (`model.npz`, loaded with `allow_pickle=False`) and JSON (`vocab.json`,
`meta.json`): no pickle, so loading a model file cannot run code.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import pairwise, repeat
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from pipeline.schema import POLICY_AREAS
from pipeline.transforms.trie import trie_regex

AREAS: tuple[str, ...] = tuple(POLICY_AREAS)
FORMAT = "minsim-policy-1"
MODEL_FILES = ("meta.json", "vocab.json", "model.npz")
RETRAIN_HINT = "retrain with `minsim train policy`"
_NOUNISH = frozenset({"NNG", "NNP", "SL", "SH", "XR", "W_HASHTAG"})
_SPACES = re.compile(r"\s+")


class ModelLoadError(RuntimeError):
    """A model directory is missing, incomplete or corrupt (`<file>: <problem>; retrain with …`)."""


# --------------------------------------------------------------------------------------- sub-issues
@dataclass(frozen=True)
class SubIssue:
    code: str
    area: str
    label: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class KeywordRules:
    """Sub-issue keyword rules compiled into one regex; `prior` keywords carry area evidence."""

    sub_issues: dict[str, SubIssue]
    pattern: re.Pattern[str] | None
    owner: dict[str, tuple[str, str]]  # keyword (lower-cased) → (area, sub-issue code)
    strong: frozenset[str]  # Seoul-specific keywords that weigh double in the prior


@lru_cache(maxsize=1)
def keyword_rules() -> KeywordRules:
    """The packaged sub-issue table (`pipeline/nlp/data/sub_issues.json`), compiled once."""
    raw = json.loads(
        resources.files("pipeline.nlp").joinpath("data/sub_issues.json").read_text("utf-8")
    )
    subs: dict[str, SubIssue] = {}
    owner: dict[str, tuple[str, str]] = {}
    for area, entries in raw["areas"].items():
        if area not in POLICY_AREAS:
            raise ValueError(f"sub_issues.json: unknown policy area {area!r}")
        for code, entry in entries.items():
            sub = SubIssue(code, area, entry["label"], tuple(entry["keywords"]))
            subs[code] = sub
            for kw in sub.keywords:
                owner.setdefault(kw.lower(), (area, code))
    strong = frozenset(k.lower() for k in raw.get("seoul_terms", []))
    for word in raw.get("ignore", []):  # longer words that hide a keyword: 전세계 is not 전세
        owner[word.lower()] = ("", "")
    words = sorted(owner, key=len, reverse=True)
    pattern = re.compile(trie_regex(words)) if words else None
    return KeywordRules(subs, pattern, owner, strong)


SUB_ISSUES: dict[str, SubIssue] = {}  # filled lazily by sub_issues()


def sub_issues() -> dict[str, SubIssue]:
    """Sub-issue code → SubIssue (area, Korean label, keywords)."""
    if not SUB_ISSUES:
        SUB_ISSUES.update(keyword_rules().sub_issues)
    return SUB_ISSUES


def keyword_hits(texts: Sequence[str], max_chars: int = 2000) -> list[list[tuple[str, str, str]]]:
    """Per text, the (keyword, area, sub-issue) hits of the keyword rules, in text order."""
    rules = keyword_rules()
    out: list[list[tuple[str, str, str]]] = []
    for text in texts:
        hits: list[tuple[str, str, str]] = []
        if text and rules.pattern is not None:
            for m in rules.pattern.finditer(text[:max_chars].lower()):
                kw = m.group(0)
                area, code = rules.owner[kw]
                if area:
                    hits.append((kw, area, code))
        out.append(hits)
    return out


# ----------------------------------------------------------------------------------------- features
def word_features(tokens) -> list[str]:
    """Content morphemes `form/TAG` (the shared `Tokens.terms`)."""
    return list(tokens.terms)


def bigram_features(tokens) -> list[str]:
    """Consecutive noun (and hashtag) pairs."""
    nouns = [f for f, t in tokens.morphs if t in _NOUNISH]
    return [f"{a}_{b}" for a, b in pairwise(nouns)]


def char_features(text: str, max_chars: int = 400) -> list[str]:
    """Character 2- and 3-grams of the lower-cased, space-normalised text (first `max_chars`)."""
    s = " " + " ".join((text or "")[:max_chars].lower().split()) + " "
    if len(s) < 3:
        return []
    return [s[i : i + 2] for i in range(len(s) - 1)] + [s[i : i + 3] for i in range(len(s) - 2)]


def _block(docs: Sequence[list[str]], vocab: dict[str, int], idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear TF-IDF rows (l2-normalised) for docs over a fixed vocabulary."""
    n = len(docs)
    lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=n)
    flat: list[str] = [g for d in docs for g in d]
    get = vocab.get
    ids = np.fromiter(map(get, flat, repeat(-1)), dtype=np.int64, count=len(flat))
    rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
    keep = ids >= 0
    X = sp.csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.float32), (rows[keep], ids[keep])),
        shape=(n, len(vocab)),
    )  # duplicates are summed: term counts
    if X.nnz:
        np.log(X.data, out=X.data)
        X.data += 1.0
        X.data *= idf[X.indices]
        sq = np.bincount(
            np.repeat(np.arange(n), np.diff(X.indptr)), weights=X.data**2, minlength=n
        )
        norms = np.sqrt(sq).astype(np.float32)
        norms[norms == 0] = 1.0
        X.data /= np.repeat(norms, np.diff(X.indptr))
    return X


def _fit_vocab(
    docs: Sequence[list[str]], min_df: int, max_features: int | None
) -> tuple[dict[str, int], np.ndarray]:
    df: dict[str, int] = {}
    for doc in docs:
        for g in set(doc):
            df[g] = df.get(g, 0) + 1
    kept = [(g, c) for g, c in df.items() if c >= min_df]
    kept.sort(key=lambda gc: (-gc[1], gc[0]))
    if max_features is not None:
        kept = kept[:max_features]
    kept.sort(key=lambda gc: gc[0])
    vocab = {g: i for i, (g, _) in enumerate(kept)}
    n = len(docs)
    idf = np.array([math.log((1 + n) / (1 + c)) + 1.0 for _, c in kept], dtype=np.float32)
    return vocab, idf


# ------------------------------------------------------------------------------------------- model
class PolicyAreaModel:
    """Policy area, sub-issue and confidence of posts (scikit-learn style estimator).

    `predict(texts, tokens)` returns (area codes, sub-issue codes or None, confidences in [0, 1]).
    """

    def __init__(
        self,
        *,
        min_df: int = 2,
        max_char_features: int = 150_000,
        max_chars: int = 400,
        block_weights: tuple[float, float, float] = (1.0, 0.0, 1.0),
        alpha: float = 1e-4,
        epochs: int = 20,
        nb_alpha: float = 0.3,
        nb_weight: float = 1.0,
        keyword_weight: float = 1.0,
        class_weight: str | None = "balanced",
        random_state: int = 13,
        version: str = "unversioned",
    ) -> None:
        self.min_df = min_df
        self.max_char_features = max_char_features
        self.max_chars = max_chars
        self.block_weights = block_weights
        self.alpha = alpha
        self.epochs = epochs
        self.nb_alpha = nb_alpha
        self.nb_weight = nb_weight
        self.keyword_weight = keyword_weight
        self.class_weight = class_weight
        self.random_state = random_state
        self.version = version

    # scikit-learn's get_params/set_params without importing BaseEstimator at module import
    _PARAMS = (
        "min_df",
        "max_char_features",
        "max_chars",
        "block_weights",
        "alpha",
        "epochs",
        "nb_alpha",
        "nb_weight",
        "keyword_weight",
        "class_weight",
        "random_state",
        "version",
    )

    def get_params(self, deep: bool = True) -> dict:
        return {k: getattr(self, k) for k in self._PARAMS}

    def set_params(self, **params) -> PolicyAreaModel:
        for k, v in params.items():
            if k not in self._PARAMS:
                raise ValueError(f"unknown parameter {k!r}")
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        return f"PolicyAreaModel(version={self.version!r})"

    # ---- features
    def _docs(self, texts: Sequence[str], tokens: Sequence) -> tuple[list, list, list]:
        """Feature strings per block (a block weighted 0 is skipped: empty docs)."""
        n = len(texts)
        ww, wb, wc = self.block_weights
        w = [word_features(t) for t in tokens] if ww else [[]] * n
        b = [bigram_features(t) for t in tokens] if wb else [[]] * n
        c = [char_features(x or "", self.max_chars) for x in texts] if wc else [[]] * n
        return w, b, c

    def _transform(self, docs: tuple[list, list, list]) -> sp.csr_matrix:
        blocks = []
        for i, (d, vocab, idf) in enumerate(zip(docs, self.vocabs_, self.idfs_, strict=True)):
            X = _block(d, vocab, idf)
            if self.block_weights[i] != 1.0:
                X = X * np.float32(self.block_weights[i])
            blocks.append(X)
        return sp.hstack(blocks, format="csr")

    def transform(self, texts: Sequence[str], tokens: Sequence) -> sp.csr_matrix:
        """The TF-IDF feature matrix of posts."""
        return self._transform(self._docs(texts, tokens))

    # ---- training
    def fit(
        self,
        texts: Sequence[str],
        tokens: Sequence,
        y: Sequence[str],
        sample_weight: np.ndarray | None = None,
    ) -> PolicyAreaModel:
        from sklearn.linear_model import SGDClassifier
        from sklearn.naive_bayes import ComplementNB

        if len(texts) != len(tokens) or len(texts) != len(y):
            raise ValueError("texts, tokens and y must have the same length")
        unknown = sorted(set(y) - set(AREAS))
        if unknown:
            raise ValueError(f"unknown policy areas in y: {unknown}")
        docs = self._docs(texts, tokens)
        limits = (None, None, self.max_char_features)
        fitted = [_fit_vocab(d, self.min_df, lim) for d, lim in zip(docs, limits, strict=True)]
        self.vocabs_ = [v for v, _ in fitted]
        self.idfs_ = [i for _, i in fitted]
        X = self._transform(docs)
        y = np.asarray(y)
        present = [a for a in AREAS if a in set(y.tolist())]
        self.classes_ = np.array(present)
        lr = SGDClassifier(
            loss="log_loss",
            alpha=self.alpha,
            class_weight=self.class_weight,
            max_iter=self.epochs,
            tol=None,
            average=True,
            random_state=self.random_state,
        )
        lr.fit(X, y, sample_weight=sample_weight)
        order = [list(lr.classes_).index(c) for c in present]
        coef = lr.coef_[order].T.astype(np.float64) if len(present) > 2 else None
        intercept = lr.intercept_[order].astype(np.float64) if len(present) > 2 else None
        if coef is None:  # binary: SGD keeps one row
            coef = np.stack([-lr.coef_[0], lr.coef_[0]], axis=1)
            intercept = np.array([-lr.intercept_[0], lr.intercept_[0]])
        if self.nb_weight:
            nb = ComplementNB(alpha=self.nb_alpha).fit(X, y, sample_weight=sample_weight)
            nb_order = [list(nb.classes_).index(c) for c in present]
            # ComplementNB scores X @ feature_log_prob_.T; centre per feature so only class
            # differences remain (an all-zero row then scores equally for every class).
            flp = nb.feature_log_prob_[nb_order].T
            flp = flp - flp.mean(axis=1, keepdims=True)
            coef = coef + self.nb_weight * flp
        self.coef_ = coef.astype(np.float32)
        self.intercept_ = intercept.astype(np.float32)
        self.n_features_in_ = X.shape[1]
        return self

    # ---- prediction
    def _prior(self, hits: list[list[tuple[str, str, str]]]) -> np.ndarray:
        prior = np.zeros((len(hits), len(self.classes_)), dtype=np.float32)
        if not self.keyword_weight:
            return prior
        col = {c: j for j, c in enumerate(self.classes_)}
        strong = keyword_rules().strong
        for i, doc in enumerate(hits):
            seen: set[str] = set()
            for kw, area, _ in doc:
                if kw in seen or area not in col:
                    continue
                seen.add(kw)
                prior[i, col[area]] += self.keyword_weight * (2.0 if kw in strong else 1.0)
        np.minimum(prior, 3.0 * self.keyword_weight, out=prior)
        return prior

    def decision_function(
        self,
        texts: Sequence[str],
        tokens: Sequence,
        hits: list[list[tuple[str, str, str]]] | None = None,
    ) -> np.ndarray:
        """Log-odds per area (columns in `classes_` order), keyword prior included."""
        X = self.transform(texts, tokens)
        scores = np.asarray(X @ self.coef_) + self.intercept_
        if hits is None:
            hits = keyword_hits(texts)
        return scores + self._prior(hits)

    def predict_proba(self, texts: Sequence[str], tokens: Sequence) -> np.ndarray:
        z = self.decision_function(texts, tokens)
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def predict(
        self, texts: Sequence[str], tokens: Sequence
    ) -> tuple[list[str], list[str | None], np.ndarray]:
        """(policy_area codes, sub_issue or None, confidence in [0, 1]) per post."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        if len(texts) != len(tokens):
            raise ValueError("texts and tokens must have the same length")
        if not texts:
            return [], [], np.zeros(0, dtype=np.float32)
        hits = keyword_hits(texts)
        z = self.decision_function(texts, tokens, hits)
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        best = p.argmax(axis=1)
        areas = [str(self.classes_[j]) for j in best]
        subs = [_sub_issue(doc, area) for doc, area in zip(hits, areas, strict=True)]
        return areas, subs, p[np.arange(len(best)), best].astype(np.float32)

    # ---- persistence
    def save(self, directory: Path, meta: dict | None = None) -> Path:
        """Write model.npz (plain arrays), vocab.json and meta.json into `directory`."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            directory / "model.npz",
            coef=self.coef_.astype(np.float16),
            intercept=self.intercept_,
            idf_w=self.idfs_[0],
            idf_b=self.idfs_[1],
            idf_c=self.idfs_[2],
        )
        vocab = {name: sorted(v, key=v.get) for name, v in zip("wbc", self.vocabs_, strict=True)}
        (directory / "vocab.json").write_text(
            json.dumps(vocab, ensure_ascii=False, separators=(",", ":")), "utf-8"
        )
        params = self.get_params()
        params["block_weights"] = list(params["block_weights"])
        body = {
            "format": FORMAT,
            "version": self.version,
            "classes": list(self.classes_),
            "params": params,
            **(meta or {}),
        }
        (directory / "meta.json").write_text(
            json.dumps(body, ensure_ascii=False, indent=2) + "\n", "utf-8"
        )
        return directory


def _sub_issue(hits: list[tuple[str, str, str]], area: str) -> str | None:
    """The sub-issue of `area` with most keyword hits (first mentioned on a tie), or None."""
    counts: dict[str, int] = {}
    for _, a, code in hits:
        if a == area:
            counts[code] = counts.get(code, 0) + 1
    if not counts:
        return None
    return max(counts, key=lambda c: counts[c])  # dicts keep first-hit order for ties


def _fail(path: Path, problem: str) -> ModelLoadError:
    return ModelLoadError(f"{path}: {problem}; {RETRAIN_HINT}")


def resolve_model_dir(path: Path) -> Path:
    """`models/policy` (its DEFAULT file names the version) or a version directory itself."""
    path = Path(path)
    if (path / "meta.json").exists() or (path / "model.npz").exists():
        return path
    default = path / "DEFAULT"
    if default.exists():
        name = default.read_text("utf-8").strip()
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise _fail(default, f"invalid version name {name!r}")
        return path / name
    if not path.exists():
        raise _fail(path, "no such model directory")
    raise _fail(path / "DEFAULT", "missing (no meta.json either)")


def load_policy_model(path: Path) -> PolicyAreaModel:
    """Load a saved model without pickle; ModelLoadError names the bad file and the fix."""
    directory = resolve_model_dir(path)
    for name in MODEL_FILES:
        if not (directory / name).is_file():
            raise _fail(directory / name, "missing")
    try:
        meta = json.loads((directory / "meta.json").read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(directory / "meta.json", f"unreadable ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _fail(directory / "meta.json", f"not a {FORMAT} model")
    try:
        vocab = json.loads((directory / "vocab.json").read_text("utf-8"))
        vocabs = [{g: i for i, g in enumerate(vocab[k])} for k in "wbc"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise _fail(directory / "vocab.json", f"unreadable ({exc})") from exc
    try:
        with np.load(directory / "model.npz", allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in ("coef", "intercept", "idf_w", "idf_b", "idf_c")}
    except Exception as exc:  # zip/npy errors come in many types; all mean a corrupt file
        raise _fail(directory / "model.npz", f"unreadable ({type(exc).__name__}: {exc})") from exc
    classes = meta.get("classes") or []
    n_feat = sum(len(v) for v in vocabs)
    coef = arrays["coef"]
    problems = []
    if not classes or any(c not in POLICY_AREAS for c in classes):
        problems.append(f"classes {classes!r} are not policy areas")
    if coef.ndim != 2 or coef.shape != (n_feat, len(classes)):
        problems.append(f"coef shape {coef.shape} does not fit {n_feat} features × {len(classes)}")
    if arrays["intercept"].shape != (len(classes),):
        problems.append("intercept shape does not fit the classes")
    for k, v in zip(("idf_w", "idf_b", "idf_c"), vocabs, strict=True):
        if arrays[k].shape != (len(v),):
            problems.append(f"{k} does not fit its vocabulary")
    if not problems and not np.isfinite(coef).all():
        problems.append("non-finite coefficients")
    if problems:
        raise _fail(directory / "model.npz", "; ".join(problems))
    params = dict(meta.get("params") or {})
    params["block_weights"] = tuple(params.get("block_weights", (1.0, 0.0, 1.0)))
    model = PolicyAreaModel(**{k: v for k, v in params.items() if k in PolicyAreaModel._PARAMS})
    model.version = str(meta.get("version") or directory.name)
    model.vocabs_ = vocabs
    model.idfs_ = [
        arrays["idf_w"].astype(np.float32),
        arrays["idf_b"].astype(np.float32),
        arrays["idf_c"].astype(np.float32),
    ]
    model.coef_ = coef.astype(np.float32)
    model.intercept_ = arrays["intercept"].astype(np.float32)
    model.classes_ = np.array(classes)
    model.n_features_in_ = n_feat
    model.meta_ = meta
    return model
