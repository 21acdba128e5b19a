"""The city's own accounts: activity, reach, overlap between accounts, responsiveness to citizens.

`official` is the inventory (`pipeline/analytics/data/official_accounts.csv`, editable by staff) with
the pseudonym of each handle added by the caller: columns handle, author_hash, display_name,
department, policy_area, platform. Handles are compared without '@' and case-insensitively.

Responsiveness: a citizen post *asks* an official account when it mentions its handle or replies to
one of its posts. It is *answered* by the first later post of any official account whose reply_to
chain (followed upwards through the posts given) reaches it. A reply to a post that is not in the
frame (deleted, outside the window) ends the chain there: no crash, no answer found through it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

INVENTORY_PATH = Path(__file__).parent / "data" / "official_accounts.csv"
INVENTORY_COLUMNS = ["handle", "display_name", "department", "policy_area", "platform"]
OFFICIAL_COLUMNS = [
    "handle",
    "author_hash",
    "display_name",
    "department",
    "policy_area",
    "platform",
]
ACTIVITY_COLUMNS = OFFICIAL_COLUMNS + [
    "posts",
    "original_posts",
    "replies_sent",
    "followers",
    "views",
    "reach",
    "engagement",
    "engagement_per_post",
    "mentions_received",
    "audience",
    "questions",
    "answered",
    "answer_rate",
    "median_response_minutes",
    "closest_handle",
    "audience_jaccard",
    "content_cosine",
    "merge_candidate",
]
OVERLAP_COLUMNS = [
    "handle_a",
    "handle_b",
    "audience_a",
    "audience_b",
    "audience_shared",
    "audience_jaccard",
    "content_cosine",
    "merge_candidate",
]
RESPONSE_COLUMNS = [
    "post_id",
    "official_handle",
    "department",
    "policy_area",
    "asked_at",
    "answered_at",
    "answer_post_id",
    "answered_by",
    "response_minutes",
    "answered",
]
SUMMARY_COLUMNS = [
    "department",
    "policy_area",
    "questions",
    "answered",
    "answer_rate",
    "median_response_minutes",
    "p90_response_minutes",
]


@dataclass(frozen=True)
class OfficialParams:
    max_chain: int = 20  # reply_to hops followed upwards from an official reply
    answer_within_hours: float = 72.0
    merge_min_jaccard: float = 0.25
    merge_min_cosine: float = 0.5
    min_audience: int = 5


def _norm_handle(h: object) -> str:
    return str(h).strip().lstrip("@").lower() if isinstance(h, str) else ""


def _as_list(v: object) -> list:
    return list(v) if isinstance(v, (list, tuple, np.ndarray)) else []


def _prepare(official: pd.DataFrame) -> pd.DataFrame:
    o = official.copy()
    for c in OFFICIAL_COLUMNS:
        if c not in o.columns:
            o[c] = None
    o["handle"] = o["handle"].map(_norm_handle)
    o = o.loc[o["handle"] != ""].drop_duplicates("handle").sort_values("handle")
    return o[OFFICIAL_COLUMNS].reset_index(drop=True)


def _num(posts: pd.DataFrame, col: str) -> pd.Series:
    if col not in posts.columns:
        return pd.Series(np.nan, index=posts.index)
    return pd.to_numeric(posts[col], errors="coerce").astype(float)


def _audiences(posts: pd.DataFrame, o: pd.DataFrame) -> dict[str, set[str]]:
    """Non-official accounts interacting with each official handle (mention/reply/repost/quote)."""
    hash_to_handle = {h: a for a, h in zip(o["handle"], o["author_hash"]) if isinstance(h, str)}
    handles = set(o["handle"])
    author_of = dict(zip(posts["post_id"], posts["author_hash"]))
    aud: dict[str, set[str]] = {h: set() for h in o["handle"]}
    authors = posts["author_hash"]
    citizen = ~authors.isin(set(hash_to_handle)) & authors.notna()
    for col in ("reply_to", "repost_of", "quote_of"):
        if col not in posts.columns:
            continue
        tgt = posts[col].map(
            lambda v: hash_to_handle.get(author_of.get(v)) if isinstance(v, str) else None
        )
        for a, h in zip(authors[citizen & tgt.notna()], tgt[citizen & tgt.notna()]):
            aud[h].add(a)
    if "mentions" in posts.columns:
        for a, ms in zip(authors[citizen], posts.loc[citizen, "mentions"]):
            for m in _as_list(ms):
                h = _norm_handle(m)
                if h in handles:
                    aud[h].add(a)
    return aud


def official_overlap(
    posts: pd.DataFrame, official: pd.DataFrame, *, params: OfficialParams | None = None
) -> pd.DataFrame:
    """Pairs of official accounts: audience Jaccard and content TF-IDF cosine, `OVERLAP_COLUMNS`.

    `merge_candidate` when both exceed the thresholds (similar function, shared audience).
    """
    p = params or OfficialParams()
    o = _prepare(official)
    if len(o) < 2 or posts is None or posts.empty:
        return pd.DataFrame(columns=OVERLAP_COLUMNS)
    aud = _audiences(posts, o)
    texts = []
    for h in o["author_hash"]:
        t = posts.loc[posts["author_hash"] == h, "text"] if isinstance(h, str) else pd.Series([])
        texts.append(" ".join(t.dropna().astype(str).sort_values()))
    cos = np.zeros((len(o), len(o)))
    if any(texts):
        vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True, min_df=1)
        try:
            m = vec.fit_transform(texts)
            cos = cosine_similarity(m)
        except ValueError:  # nothing but whitespace
            pass
    rows = []
    handles = list(o["handle"])
    for i, j in itertools.combinations(range(len(o)), 2):
        a, b = aud[handles[i]], aud[handles[j]]
        union = len(a | b)
        jac = len(a & b) / union if union else 0.0
        c = float(cos[i, j]) if texts[i] and texts[j] else 0.0
        cand = (
            jac >= p.merge_min_jaccard
            and c >= p.merge_min_cosine
            and min(len(a), len(b)) >= p.min_audience
        )
        rows.append(
            {
                "handle_a": handles[i],
                "handle_b": handles[j],
                "audience_a": len(a),
                "audience_b": len(b),
                "audience_shared": len(a & b),
                "audience_jaccard": round(jac, 4),
                "content_cosine": round(c, 4),
                "merge_candidate": bool(cand),
            }
        )
    return pd.DataFrame(rows, columns=OVERLAP_COLUMNS)


def official_responses(
    posts: pd.DataFrame, official: pd.DataFrame, *, params: OfficialParams | None = None
) -> pd.DataFrame:
    """One row per (citizen post, official account asked), `RESPONSE_COLUMNS`.

    `policy_area`: the post's own policy area when the NLP columns are there, else the account's.
    Unanswered: answered_at, answer_post_id, response_minutes null and answered False.
    """
    p = params or OfficialParams()
    o = _prepare(official)
    if posts is None or posts.empty or o.empty:
        return pd.DataFrame(columns=RESPONSE_COLUMNS)
    by_handle = o.set_index("handle")
    hash_to_handle = {h: a for a, h in zip(o["handle"], o["author_hash"]) if isinstance(h, str)}
    created = pd.to_datetime(posts["created_at"], utc=True)
    pid = posts["post_id"].astype(str)
    author = posts["author_hash"]
    reply_to = (
        posts["reply_to"] if "reply_to" in posts.columns else pd.Series(None, index=posts.index)
    )
    parent_of = {k: v for k, v in zip(pid, reply_to) if isinstance(v, str)}
    author_of = dict(zip(pid, author))
    time_of = dict(zip(pid, created))
    area_of = dict(zip(pid, posts["policy_area"])) if "policy_area" in posts.columns else {}
    is_official = author.isin(set(hash_to_handle))

    # questions: citizen posts mentioning an official handle or replying to an official post
    asked: dict[tuple[str, str], None] = {}
    mentions = (
        posts["mentions"] if "mentions" in posts.columns else pd.Series(None, index=posts.index)
    )
    for i, ms, rt in zip(pid[~is_official], mentions[~is_official], reply_to[~is_official]):
        for m in _as_list(ms):
            h = _norm_handle(m)
            if h in by_handle.index:
                asked[(i, h)] = None
        if isinstance(rt, str):
            h = hash_to_handle.get(author_of.get(rt))
            if h:
                asked[(i, h)] = None
    if not asked:
        return pd.DataFrame(columns=RESPONSE_COLUMNS)
    question_ids = {q for q, _ in asked}

    # answers: walk each official reply's chain upwards; the earliest official reply wins
    answer: dict[str, tuple[pd.Timestamp, str, str]] = {}
    limit = pd.Timedelta(hours=p.answer_within_hours)
    off = pd.DataFrame(
        {"pid": pid[is_official], "t": created[is_official], "a": author[is_official]}
    ).sort_values(["t", "pid"])
    for rid, t, a in zip(off["pid"], off["t"], off["a"]):
        node = parent_of.get(rid)
        hops = 0
        while isinstance(node, str) and hops < p.max_chain:
            if node in question_ids and node not in answer:
                qt = time_of.get(node)
                if qt is not None and qt <= t <= qt + limit:
                    answer[node] = (t, rid, hash_to_handle[a])
            if node not in parent_of:  # top of the thread, or a deleted/missing post
                break
            node = parent_of[node]
            hops += 1

    rows = []
    for q, h in asked:
        acc = by_handle.loc[h]
        ans = answer.get(q)
        asked_at = time_of[q]
        area = area_of.get(q)
        rows.append(
            {
                "post_id": q,
                "official_handle": h,
                "department": acc["department"],
                "policy_area": area if isinstance(area, str) else acc["policy_area"],
                "asked_at": asked_at,
                "answered_at": ans[0] if ans else pd.NaT,
                "answer_post_id": ans[1] if ans else None,
                "answered_by": ans[2] if ans else None,
                "response_minutes": round((ans[0] - asked_at).total_seconds() / 60.0, 2)
                if ans
                else np.nan,
                "answered": ans is not None,
            }
        )
    out = pd.DataFrame(rows, columns=RESPONSE_COLUMNS)
    out["asked_at"] = pd.to_datetime(out["asked_at"], utc=True)
    out["answered_at"] = pd.to_datetime(out["answered_at"], utc=True)
    out["response_minutes"] = out["response_minutes"].astype(float)
    return out.sort_values(["asked_at", "post_id", "official_handle"], ignore_index=True)


def responsiveness_summary(
    responses: pd.DataFrame, *, by: tuple[str, ...] = ("department", "policy_area")
) -> pd.DataFrame:
    """Questions, answers, answer rate and response times per group (`SUMMARY_COLUMNS` for the
    default grouping); a group with no answers has null times, not an error."""
    cols = list(by) + SUMMARY_COLUMNS[2:]
    if responses is None or responses.empty:
        return pd.DataFrame(columns=cols)
    r = responses.copy()
    for c in by:
        r[c] = r[c].fillna("미상")
    g = r.groupby(list(by), sort=True)
    out = g.agg(
        questions=("post_id", "size"),
        answered=("answered", "sum"),
        median_response_minutes=("response_minutes", "median"),
        p90_response_minutes=(
            "response_minutes",
            lambda s: s.quantile(0.9) if s.notna().any() else np.nan,
        ),
    ).reset_index()
    out["answered"] = out["answered"].astype("int64")
    out["answer_rate"] = (out["answered"] / out["questions"]).round(4)
    return out[cols]


def official_activity(
    posts: pd.DataFrame,
    official: pd.DataFrame,
    *,
    responses: pd.DataFrame | None = None,
    overlap: pd.DataFrame | None = None,
    params: OfficialParams | None = None,
) -> pd.DataFrame:
    """Per official account over the posts given, `ACTIVITY_COLUMNS`: activity (posts, replies
    sent), reach (max followers; views summed; reach = views where known, else followers x posts),
    engagement, audience size, questions received / answered, and its closest other account."""
    p = params or OfficialParams()
    o = _prepare(official)
    if o.empty:
        return pd.DataFrame(columns=ACTIVITY_COLUMNS)
    posts = posts if posts is not None else pd.DataFrame(columns=["post_id", "author_hash"])
    if responses is None:
        responses = official_responses(posts, o, params=p)
    if overlap is None:
        overlap = official_overlap(posts, o, params=p)
    aud = _audiences(posts, o) if not posts.empty else {h: set() for h in o["handle"]}
    mention_counts: dict[str, int] = {h: 0 for h in o["handle"]}
    if "mentions" in posts.columns:
        for ms in posts["mentions"]:
            for m in _as_list(ms):
                h = _norm_handle(m)
                if h in mention_counts:
                    mention_counts[h] += 1
    rows = []
    for r in o.itertuples(index=False):
        mine = (
            posts.loc[posts["author_hash"] == r.author_hash]
            if isinstance(r.author_hash, str)
            else posts.iloc[0:0]
        )
        n = len(mine)
        replies_sent = int(mine["reply_to"].notna().sum()) if "reply_to" in mine.columns else 0
        fol = _num(mine, "author_followers").max() if n else np.nan
        views = _num(mine, "views")
        views_sum = float(views.sum()) if views.notna().any() else np.nan
        eng = float(sum(_num(mine, c).fillna(0).sum() for c in ("likes", "shares", "replies")))
        reach = (
            views_sum if not np.isnan(views_sum) else (fol * n if not np.isnan(fol) else np.nan)
        )
        q = (
            responses.loc[responses["official_handle"] == r.handle]
            if not responses.empty
            else responses
        )
        nq = len(q)
        na = int(q["answered"].sum()) if nq else 0
        best = None
        if overlap is not None and not overlap.empty:
            ov = overlap.loc[(overlap["handle_a"] == r.handle) | (overlap["handle_b"] == r.handle)]
            if not ov.empty:
                ov = ov.assign(
                    other=np.where(ov["handle_a"] == r.handle, ov["handle_b"], ov["handle_a"]),
                    s=ov["audience_jaccard"] + ov["content_cosine"],
                )
                best = ov.sort_values(["s", "other"], ascending=[False, True]).iloc[0]
        rows.append(
            {
                **r._asdict(),
                "posts": n,
                "original_posts": n - replies_sent,
                "replies_sent": replies_sent,
                "followers": fol,
                "views": views_sum,
                "reach": reach,
                "engagement": eng,
                "engagement_per_post": round(eng / n, 3) if n else np.nan,
                "mentions_received": mention_counts[r.handle],
                "audience": len(aud[r.handle]),
                "questions": nq,
                "answered": na,
                "answer_rate": round(na / nq, 4) if nq else np.nan,
                "median_response_minutes": float(q["response_minutes"].median()) if na else np.nan,
                "closest_handle": best["other"] if best is not None else None,
                "audience_jaccard": float(best["audience_jaccard"])
                if best is not None
                else np.nan,
                "content_cosine": float(best["content_cosine"]) if best is not None else np.nan,
                "merge_candidate": bool(best["merge_candidate"]) if best is not None else False,
            }
        )
    out = pd.DataFrame(rows, columns=ACTIVITY_COLUMNS)
    out["followers"] = out["followers"].round().astype("Int64")
    return out


def load_inventory(path: Path | str = INVENTORY_PATH) -> pd.DataFrame:
    """The official-account inventory CSV (I/O helper for flows; handles normalised)."""
    inv = pd.read_csv(path, dtype=str, encoding="utf-8-sig", comment=None).fillna("")
    missing = [c for c in INVENTORY_COLUMNS if c not in inv.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing} (need {INVENTORY_COLUMNS})")
    inv["handle"] = inv["handle"].map(_norm_handle)
    inv = inv.loc[inv["handle"] != ""].drop_duplicates("handle")
    return inv[INVENTORY_COLUMNS].reset_index(drop=True)
