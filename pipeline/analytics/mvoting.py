"""Online opinion beside mVoting results: volume, sentiment and main arguments per poll, and where
the two disagree.

A post is about a poll when it falls in the poll's window (from `lead_days` before it opened to
`lag_days` after it closed) and names one of the poll's terms: the poll's `keywords` when given,
else the longer words of its question, matched against the post's keywords, hashtags and text.
`vote_support` is the share of the 찬성-like option (찬성, 동의, 예, yes, ...) when there is one,
else the leading option's share; `online_support` = positive / (positive + negative) posts.
Agreement needs votes and at least `min_posts` relevant posts with a stance, else
'insufficient_data'; with a 찬성 option the poll and online opinion agree when they fall on the same
side of one half or lie within `margin` of each other.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

COMPARISON_COLUMNS = [
    "poll_id",
    "question",
    "policy_area",
    "total_votes",
    "leading_option",
    "vote_support",
    "support_basis",
    "online_posts",
    "online_positive_share",
    "online_negative_share",
    "online_support",
    "positive_keywords",
    "negative_keywords",
    "main_arguments",
    "agreement",
]
_YES = ("찬성", "동의", "예", "네", "yes", "agree", "좋다", "필요하다")
_NO = ("반대", "비동의", "아니오", "no", "disagree")
_WORD = re.compile(r"[0-9A-Za-z가-힣]{2,}")
_STOP = frozenset(
    {
        "서울",
        "서울시",
        "시민",
        "우리",
        "동네",
        "것에",
        "것을",
        "찬성하십니까",
        "반대하십니까",
        "생각하십니까",
        "어떻게",
        "확대",
        "운영",
        "하는",
        "에서",
        "으로",
        "마다",
        "엠보팅",
        "투표",
    }
)
_JOSA = re.compile(r"(을|를|이|가|은|는|의|에|에서|으로|로|과|와|도|까지|부터|마다)$")


@dataclass(frozen=True)
class MVotingParams:
    lead_days: int = 7
    lag_days: int = 3
    min_posts: int = 10
    margin: float = 0.15
    top_keywords: int = 5


def _terms(question: str, keywords: object) -> list[str]:
    kw = [
        k
        for k in (list(keywords) if isinstance(keywords, (list, tuple, np.ndarray)) else [])
        if isinstance(k, str) and k.strip()
    ]
    if kw:
        # "따릉이 요금" -> every word must appear; kept as a phrase of words
        return sorted({k.strip() for k in kw})
    words = [_JOSA.sub("", w) for w in _WORD.findall(question or "")]
    return sorted({w for w in words if len(w) >= 2 and w not in _STOP and not w.isdigit()})


def _relevant(texts: pd.Series, terms: list[str], phrase: bool) -> pd.Series:
    """Posts naming the poll: every word of one keyword phrase, or two of the question's terms."""
    if not terms or texts.empty:
        return pd.Series(False, index=texts.index)
    if phrase:
        hit = pd.Series(False, index=texts.index)
        for t in terms:
            m = pd.Series(True, index=texts.index)
            for w in t.split():
                m &= texts.str.contains(w, regex=False)
            hit |= m
        return hit
    hits = sum(texts.str.contains(t, regex=False).astype(int) for t in terms)
    return hits >= min(2, len(terms))


def _support(options: pd.DataFrame) -> tuple[str | None, float, str]:
    total = float(options["votes"].sum()) if not options.empty else 0.0
    if total <= 0:
        return (None, float("nan"), "none")
    o = options.sort_values(["votes", "label"], ascending=[False, True])
    lead = str(o["label"].iloc[0])
    yes = options.loc[options["label"].astype(str).str.strip().str.lower().isin(_YES)]
    if not yes.empty:
        return lead, float(yes["votes"].sum()) / total, "yes_option"
    return lead, float(o["votes"].iloc[0]) / total, "leading_option"


def _top(counter: Counter, n: int) -> list[str]:
    return [k for k, _ in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def mvoting_comparison(
    polls: pd.DataFrame,
    options: pd.DataFrame,
    posts: pd.DataFrame,
    *,
    params: MVotingParams | None = None,
) -> pd.DataFrame:
    """One row per poll, `COMPARISON_COLUMNS` (shares null where there is nothing to divide)."""
    p = params or MVotingParams()
    if polls is None or polls.empty:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    posts = posts if posts is not None else pd.DataFrame(columns=["post_id", "created_at", "text"])
    created = (
        pd.to_datetime(posts["created_at"], utc=True)
        if not posts.empty
        else pd.Series([], dtype="datetime64[ns, UTC]")
    )
    texts = (
        posts["text"].fillna("").astype(str)
        if "text" in posts.columns
        else pd.Series("", index=posts.index)
    )
    kw_col = (
        posts["keywords"] if "keywords" in posts.columns else pd.Series(None, index=posts.index)
    )
    sent = (
        posts["sentiment"] if "sentiment" in posts.columns else pd.Series(None, index=posts.index)
    )
    dup = (
        posts["duplicate_of"].notna()
        if "duplicate_of" in posts.columns
        else pd.Series(False, index=posts.index)
    )

    rows = []
    for poll in polls.sort_values("poll_id").itertuples(index=False):
        opts = (
            options.loc[options["poll_id"] == poll.poll_id]
            if options is not None and not options.empty
            else pd.DataFrame(columns=["label", "votes"])
        )
        total_votes = int(pd.to_numeric(opts["votes"], errors="coerce").fillna(0).sum())
        lead, support, basis = _support(
            opts.assign(votes=pd.to_numeric(opts["votes"], errors="coerce").fillna(0))
        )
        kws = getattr(poll, "keywords", None)
        terms = _terms(poll.question, kws)
        phrase = isinstance(kws, (list, tuple, np.ndarray)) and len(kws) > 0
        opened = pd.Timestamp(poll.opened)
        closed = pd.Timestamp(poll.closed)
        opened = opened.tz_localize("UTC") if opened.tzinfo is None else opened
        closed = closed.tz_localize("UTC") if closed.tzinfo is None else closed
        lo = opened - pd.Timedelta(days=p.lead_days)
        hi = closed + pd.Timedelta(days=p.lag_days)
        window = (created >= lo) & (created <= hi) & ~dup
        rel = (
            list(posts.index[window & _relevant(texts.where(window, ""), terms, phrase)])
            if not posts.empty
            else []
        )
        s = sent.loc[rel] if rel else pd.Series([], dtype=object)
        n = len(rel)
        pos = int((s == "positive").sum())
        neg = int((s == "negative").sum())
        term_set = {w for t in terms for w in t.split()} | {t.replace(" ", "") for t in terms}
        pos_kw: Counter = Counter()
        neg_kw: Counter = Counter()
        for i in rel:
            v = kw_col.loc[i]
            words = (
                {str(x).lstrip("#") for x in v}
                if isinstance(v, (list, tuple, np.ndarray))
                else set()
            )
            words = {w for w in words if w not in term_set and w not in _STOP and len(w) >= 2}
            if sent.loc[i] == "positive":
                pos_kw.update(words)
            elif sent.loc[i] == "negative":
                neg_kw.update(words)
        pk, nk = _top(pos_kw, p.top_keywords), _top(neg_kw, p.top_keywords)
        stance = pos + neg
        online_support = pos / stance if stance else float("nan")
        if total_votes == 0 or stance < p.min_posts or np.isnan(support):
            agreement = "insufficient_data"
        elif basis == "yes_option":
            same_side = (support >= 0.5) == (online_support >= 0.5)
            agreement = (
                "agree" if same_side or abs(support - online_support) <= p.margin else "disagree"
            )
        else:
            # no 찬성 option: the vote backs one option; read net-negative talk as disagreement
            agreement = "agree" if online_support >= 0.5 else "disagree"
        args = []
        if pk:
            args.append("찬성 측: " + ", ".join(pk))
        if nk:
            args.append("반대 측: " + ", ".join(nk))
        rows.append(
            {
                "poll_id": poll.poll_id,
                "question": poll.question,
                "policy_area": poll.policy_area,
                "total_votes": total_votes,
                "leading_option": lead,
                "vote_support": round(support, 4) if not np.isnan(support) else np.nan,
                "support_basis": basis,
                "online_posts": n,
                "online_positive_share": round(pos / n, 4) if n else np.nan,
                "online_negative_share": round(neg / n, 4) if n else np.nan,
                "online_support": round(online_support, 4) if stance else np.nan,
                "positive_keywords": pk,
                "negative_keywords": nk,
                "main_arguments": " · ".join(args),
                "agreement": agreement,
            }
        )
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
