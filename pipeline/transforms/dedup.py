"""Duplicate linking: reposts, exact copies and near copies point at their original via duplicate_of.

Nothing is dropped: a duplicate is stored with `duplicate_of` and `duplicate_kind` set, and the
aggregates decide what to count. Near copies are found with MinHash LSH over character 3-grams.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

_PRIME = np.uint64((1 << 61) - 1)


@dataclass(frozen=True)
class DedupParams:
    num_perm: int = 32
    bands: int = 8
    threshold: float = 0.7
    shingle: int = 3
    min_chars: int = 12
    seed: int = 7


def _shingles(text: str, k: int) -> np.ndarray:
    core = "".join(text.split()).lower()
    if len(core) < k:
        return np.array([zlib.crc32(core.encode())], dtype=np.uint64)
    grams = {core[i : i + k] for i in range(len(core) - k + 1)}
    return np.fromiter((zlib.crc32(g.encode()) for g in grams), dtype=np.uint64, count=len(grams))


class _MinHasher:
    def __init__(self, params: DedupParams) -> None:
        rng = np.random.default_rng(params.seed)
        self.a = rng.integers(1, (1 << 31) - 1, size=params.num_perm, dtype=np.uint64)
        self.b = rng.integers(0, (1 << 31) - 1, size=params.num_perm, dtype=np.uint64)
        self.params = params

    def signature(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        sh = _shingles(text, self.params.shingle)
        sig = ((np.outer(sh, self.a) + self.b) % _PRIME).min(axis=0)
        return sig, sh


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    inter = np.intersect1d(a, b, assume_unique=True).size
    union = a.size + b.size - inter
    return inter / union if union else 0.0


def link_duplicates(
    posts: pd.DataFrame, previous: pd.DataFrame | None = None, params: DedupParams = DedupParams()
) -> pd.DataFrame:
    """`posts` with `duplicate_of` / `duplicate_kind` (repost, exact, near) filled.

    `previous`: already stored posts (post_id, created_at, text_norm, text_key, duplicate_of) that
    new posts may duplicate. The original is always the earliest post of a group.
    """
    out = posts.copy()
    out["duplicate_of"] = pd.Series([None] * len(out), index=out.index, dtype=object)
    out["duplicate_kind"] = pd.Series([None] * len(out), index=out.index, dtype=object)
    if out.empty:
        return out
    prev = previous if previous is not None else pd.DataFrame(
        columns=["post_id", "created_at", "text_norm", "text_key", "duplicate_of"]
    )
    pool = pd.concat(
        [prev.assign(_new=False), out[["post_id", "created_at", "text_norm", "text_key"]]
         .assign(duplicate_of=None, _new=True)],
        ignore_index=True,
    ).sort_values(["created_at", "post_id"], kind="stable")

    root: dict[str, str] = {}  # post_id -> original post_id
    by_key: dict[str, str] = {}
    bands: dict[tuple[int, bytes], list[str]] = {}
    shingles: dict[str, np.ndarray] = {}
    hasher = _MinHasher(params)
    rows = params.num_perm // params.bands
    result: dict[str, tuple[str, str]] = {}
    repost = dict(zip(out["post_id"], out.get("repost_of", pd.Series(index=out.index)), strict=True))

    for post_id, text, key, dup, is_new in zip(
        pool["post_id"], pool["text_norm"], pool["text_key"], pool["duplicate_of"], pool["_new"],
        strict=True,
    ):
        if not is_new:
            root[post_id] = dup if isinstance(dup, str) else post_id
            if key not in by_key:
                by_key[key] = root[post_id]
        original, kind = None, None
        target = repost.get(post_id) if is_new else None
        if isinstance(target, str) and target:
            original, kind = root.get(target, target), "repost"
        elif key in by_key:
            original, kind = by_key[key], "exact"
        sig, sh = hasher.signature(text or "")
        if original is None and len(text or "") >= params.min_chars:
            seen: set[str] = set()
            for i in range(params.bands):
                for cand in bands.get((i, sig[i * rows : (i + 1) * rows].tobytes()), ()):
                    if cand in seen:
                        continue
                    seen.add(cand)
                    if _jaccard(sh, shingles[cand]) >= params.threshold:
                        original, kind = root.get(cand, cand), "near"
                        break
                if original is not None:
                    break
        if is_new:
            root[post_id] = original or post_id
            if original is not None:
                result[post_id] = (original, kind)
            by_key.setdefault(key, root[post_id])
        if original is None and len(text or "") >= params.min_chars:
            shingles[post_id] = sh
            for i in range(params.bands):
                bands.setdefault((i, sig[i * rows : (i + 1) * rows].tobytes()), []).append(post_id)

    out["duplicate_of"] = pd.Series([result.get(p, (None, None))[0] for p in out["post_id"]],
                                    index=out.index, dtype=object)
    out["duplicate_kind"] = pd.Series([result.get(p, (None, None))[1] for p in out["post_id"]],
                                      index=out.index, dtype=object)
    return out
