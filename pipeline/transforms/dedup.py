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
    max_candidates: int = 24  # band collisions verified per post (template-like text collides often)
    seed: int = 7


def _shingles(text: str, k: int) -> np.ndarray:
    core = "".join(text.split()).lower()
    if len(core) < k:
        return np.array([zlib.crc32(core.encode())], dtype=np.uint64)
    grams = {core[i : i + k] for i in range(len(core) - k + 1)}
    return np.fromiter((zlib.crc32(g.encode()) for g in grams), dtype=np.uint64, count=len(grams))


def _mod_prime(x: np.ndarray) -> np.ndarray:
    """x % (2**61 - 1) for uint64 x, without integer division (2**61 = 1 mod the prime)."""
    y = (x & _PRIME) + (x >> np.uint64(61))
    return np.where(y >= _PRIME, y - _PRIME, y)


class _MinHasher:
    def __init__(self, params: DedupParams) -> None:
        rng = np.random.default_rng(params.seed)
        self.a = rng.integers(1, (1 << 31) - 1, size=params.num_perm, dtype=np.uint64)
        self.b = rng.integers(0, (1 << 31) - 1, size=params.num_perm, dtype=np.uint64)
        self.mix = rng.integers(1, (1 << 31) - 1, size=params.num_perm, dtype=np.uint64)
        self.params = params

    def bands(self, shingles: np.ndarray) -> list[int]:
        """LSH band keys of a shingle set (stored with the post as `lsh_bands`)."""
        sig = ((np.outer(shingles, self.a) + self.b) % _PRIME).min(axis=0)
        rows = self.params.num_perm // self.params.bands
        mixed = (sig * self.mix) % _PRIME
        return [int(mixed[i * rows : (i + 1) * rows].sum() % _PRIME) for i in range(self.params.bands)]


    def bands_many(self, shingle_sets: list[np.ndarray], chunk: int = 8192) -> np.ndarray:
        """`bands` of many shingle sets at once: (n, bands) uint64, equal value for value.

        The same uint64 arithmetic (including its wrap-around) as `bands`, vectorised over
        chunks of about `chunk` shingles (small enough to stay in cache): signatures are per-set
        minima of one stacked product (`np.minimum.reduceat`).
        """
        n, nb = len(shingle_sets), self.params.bands
        rows = self.params.num_perm // nb
        out = np.zeros((n, nb), dtype=np.uint64)
        start = 0
        while start < n:
            stop, size = start, 0
            while stop < n and (size == 0 or size + len(shingle_sets[stop]) <= chunk):
                size += len(shingle_sets[stop])
                stop += 1
            part = shingle_sets[start:stop]
            flat = np.concatenate(part)
            offsets = np.cumsum([0] + [len(x) for x in part[:-1]])
            hashed = _mod_prime(np.multiply.outer(flat, self.a) + self.b)
            sig = np.minimum.reduceat(hashed, offsets, axis=0)
            mixed = _mod_prime(sig * self.mix)
            out[start:stop] = _mod_prime(mixed.reshape(len(part), nb, rows).sum(axis=2))
            start = stop
        return out


def band_keys(texts: list[str], params: DedupParams = DedupParams()) -> list[list[int] | None]:
    """LSH band keys of each text (None for texts too short to compare), as `link_duplicates`
    stores them; computed ahead (e.g. in a worker process) they are reused, not recomputed."""
    long = [i for i, t in enumerate(texts) if len(t or "") >= params.min_chars]
    bands = _MinHasher(params).bands_many([_shingles(texts[i], params.shingle) for i in long])
    out: list[list[int] | None] = [None] * len(texts)
    for i, row in zip(long, bands.tolist(), strict=True):
        out[i] = row
    return out


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    inter = np.intersect1d(a, b, assume_unique=True).size
    union = a.size + b.size - inter
    return inter / union if union else 0.0


def link_duplicates(
    posts: pd.DataFrame, previous: pd.DataFrame | None = None, params: DedupParams = DedupParams()
) -> pd.DataFrame:
    """`posts` with `duplicate_of` / `duplicate_kind` (repost, exact, near) and `lsh_bands` filled.

    `previous`: already stored posts (post_id, created_at, text_norm, text_key, duplicate_of and,
    when stored, lsh_bands) that new posts may duplicate; `posts` may carry `lsh_bands` from
    `band_keys` too. The original is always the earliest post
    of a group. Band keys of stored posts are reused, so old posts are not hashed again; shingles
    are computed only for the few candidates a band collision proposes.
    """
    out = posts.copy()
    none = [None] * len(out)
    given = out["lsh_bands"] if "lsh_bands" in out.columns else pd.Series(none, index=out.index)
    out["duplicate_of"] = pd.Series(none, index=out.index, dtype=object)
    out["duplicate_kind"] = pd.Series(none, index=out.index, dtype=object)
    out["lsh_bands"] = pd.Series(none, index=out.index, dtype=object)
    if out.empty:
        return out
    prev = previous if previous is not None else pd.DataFrame(
        columns=["post_id", "created_at", "text_norm", "text_key", "duplicate_of"]
    )
    if "lsh_bands" not in prev.columns:
        prev = prev.assign(lsh_bands=None)
    pool = pd.concat(
        [prev.assign(_new=False), out[["post_id", "created_at", "text_norm", "text_key"]]
         .assign(duplicate_of=None, lsh_bands=given.to_numpy(dtype=object), _new=True)],
        ignore_index=True,
    ).sort_values(["created_at", "post_id"], kind="stable")

    root: dict[str, str] = {}  # post_id -> original post_id
    by_key: dict[str, str] = {}
    buckets: dict[tuple[int, int], list[str]] = {}
    texts: dict[str, str] = {}
    shingle_cache: dict[str, np.ndarray] = {}
    hasher = _MinHasher(params)
    result: dict[str, tuple[str, str]] = {}
    new_bands: dict[str, list[int]] = {}
    # columns read as Python lists: iterating a pandas (Arrow-backed) column is several times slower
    out_ids = out["post_id"].tolist()
    reposts = out["repost_of"].tolist() if "repost_of" in out.columns else [None] * len(out)
    repost = dict(zip(out_ids, reposts, strict=True))
    pool_ids, pool_texts, pool_bands = (pool[c].tolist() for c in ("post_id", "text_norm", "lsh_bands"))

    def shingles_of(pid: str) -> np.ndarray:
        if pid not in shingle_cache:
            shingle_cache[pid] = _shingles(texts[pid], params.shingle)
        return shingle_cache[pid]

    # Band keys of every post that has none stored yet, in one vectorised pass.
    need = [
        (pid, text) for pid, text, stored in zip(pool_ids, pool_texts, pool_bands, strict=True)
        if not (isinstance(stored, (list, tuple, np.ndarray)) and len(stored))
        and len(text or "") >= params.min_chars
    ]
    for pid, text in need:
        shingle_cache[pid] = _shingles(text, params.shingle)
    computed = dict(zip((pid for pid, _ in need),
                        hasher.bands_many([shingle_cache[pid] for pid, _ in need]).tolist(),
                        strict=True))

    for post_id, text, key, dup, stored_bands, is_new in zip(
        pool_ids, pool_texts, pool["text_key"].tolist(), pool["duplicate_of"].tolist(),
        pool_bands, pool["_new"].tolist(), strict=True,
    ):
        text = text or ""
        texts[post_id] = text
        if not is_new:
            root[post_id] = dup if isinstance(dup, str) else post_id
            by_key.setdefault(key, root[post_id])
        original, kind = None, None
        target = repost.get(post_id) if is_new else None
        if isinstance(target, str) and target:
            original, kind = root.get(target, target), "repost"
        elif is_new and key in by_key:
            original, kind = by_key[key], "exact"
        long_enough = len(text) >= params.min_chars
        if isinstance(stored_bands, (list, tuple, np.ndarray)) and len(stored_bands):
            bands = [int(b) for b in stored_bands]
        elif long_enough:
            bands = computed[post_id]
        else:
            bands = []
        if is_new and original is None and bands:
            seen: set[str] = set()
            for i, band in enumerate(bands):
                for cand in buckets.get((i, band), ()):
                    if cand in seen or len(seen) >= params.max_candidates:
                        continue
                    seen.add(cand)
                    if _jaccard(shingles_of(post_id), shingles_of(cand)) >= params.threshold:
                        original, kind = root.get(cand, cand), "near"
                        break
                if original is not None:
                    break
        if is_new:
            root[post_id] = original or post_id
            if original is not None:
                result[post_id] = (original, kind)
            by_key.setdefault(key, root[post_id])
            new_bands[post_id] = bands
        if original is None and bands:
            for i, band in enumerate(bands):
                buckets.setdefault((i, band), []).append(post_id)

    out["duplicate_of"] = pd.Series([result.get(p, (None, None))[0] for p in out_ids],
                                    index=out.index, dtype=object)
    out["duplicate_kind"] = pd.Series([result.get(p, (None, None))[1] for p in out_ids],
                                      index=out.index, dtype=object)
    out["lsh_bands"] = pd.Series([new_bands.get(p) or None for p in out_ids],
                                 index=out.index, dtype=object)
    return out
