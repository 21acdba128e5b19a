"""The daily and weekly briefing: one self-contained HTML page (fonts and charts inline) and a PDF.

`render_briefing` reads the warehouse only. Every figure is aggregated in SQL (`queries.sql`), so a day
of 50,000 posts renders in a few seconds. Tables a later stage fills (alerts, opinion leaders, …) are
optional: a missing or empty table gives a section that says so.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import logging
import math
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb
import jinja2
import pandas as pd

from pipeline.nlp.policy import sub_issues
from pipeline.reports import charts
from pipeline.schema import DISTRICTS, NO_DISTRICT, POLICY_AREAS

log = logging.getLogger(__name__)

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BASELINE_DAYS = 7
WEEKDAYS_KO = "월화수목금토일"
SENTIMENT_KO = {"negative": "부정", "neutral": "중립", "positive": "긍정"}
CHANNEL_KO = {
    "x": "X(트위터)",
    "news": "뉴스",
    "blog": "블로그",
    "petition": "청원",
    "mvoting": "엠보팅",
    "community": "커뮤니티",
    "feed": "피드",
    "inbox": "수신함",
    "file": "파일",
}
# Tile-grid map of the 25 자치구: (row, column), roughly where each lies.
DISTRICT_TILES: dict[str, tuple[int, int]] = {
    "강북구": (0, 3),
    "도봉구": (0, 4),
    "노원구": (0, 5),
    "은평구": (1, 1),
    "종로구": (1, 2),
    "성북구": (1, 3),
    "동대문구": (1, 4),
    "중랑구": (1, 5),
    "마포구": (2, 0),
    "서대문구": (2, 1),
    "중구": (2, 2),
    "성동구": (2, 3),
    "광진구": (2, 4),
    "강동구": (2, 5),
    "강서구": (3, 0),
    "양천구": (3, 1),
    "영등포구": (3, 2),
    "용산구": (3, 3),
    "송파구": (3, 5),
    "구로구": (4, 1),
    "동작구": (4, 2),
    "서초구": (4, 3),
    "강남구": (4, 4),
    "금천구": (5, 1),
    "관악구": (5, 2),
}
MIN_POSTS_FOR_SHARE = 5  # below this a share is too noisy to call out
# A negative share becomes a headline only with at least this many posts in the period and in the
# baseline, and (for a rise) only when a two-proportion z-test puts it above the baseline at
# p < 0.05: with 10 or 20 posts a swing of 20-30 %p is ordinary noise.
MIN_POSTS_HEADLINE = 30
Z_RISE = 1.96
SEOUL = dt.timezone(dt.timedelta(hours=9))
RESPONSE_TARGET_HOURS = 48  # an unanswered citizen question is overdue after this long
RESPONSE_WINDOW_DAYS = 7  # questions of the last 7 days, like the opinion leaders
COORDINATED_TAG_SHARE = 0.5  # a hashtag mostly pushed by flagged accounts is not an organic trend


# ---------------------------------------------------------------------------------------------
# periods and queries


@dataclass(frozen=True)
class Period:
    """The reported days and the 7 days before them (the baseline)."""

    start: dt.date
    end: dt.date
    weekly: bool

    @classmethod
    def of(cls, day: dt.date, *, weekly: bool) -> Period:
        return cls(day - dt.timedelta(days=6 if weekly else 0), day, weekly)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def base_start(self) -> dt.date:
        return self.start - dt.timedelta(days=BASELINE_DAYS)

    @property
    def base_end(self) -> dt.date:
        return self.start - dt.timedelta(days=1)

    @property
    def trend_start(self) -> dt.date:
        return self.end - dt.timedelta(days=27 if self.weekly else 13)

    @property
    def as_of(self) -> dt.datetime:
        """The end of the period (midnight after its last day, Seoul): 'as of' for open items."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), SEOUL)

    def params(self) -> dict[str, object]:
        return {
            "start": self.start,
            "end": self.end,
            "base_start": self.base_start,
            "base_end": self.base_end,
            "trend_start": self.trend_start,
            "resp_start": min(self.start, self.end - dt.timedelta(days=RESPONSE_WINDOW_DAYS - 1)),
            "as_of": self.as_of,
            "due_before": self.as_of - dt.timedelta(hours=RESPONSE_TARGET_HOURS),
        }

    @property
    def label(self) -> str:
        if self.weekly:
            return f"{korean_date(self.start)} ~ {korean_date(self.end)}"
        return korean_date(self.end)


def _as_list(value: object) -> list:
    """A list column value from DuckDB (list, numpy array or None) as a list."""
    return [] if value is None else list(value)


def korean_date(d: dt.date) -> str:
    return f"{d.year}년 {d.month}월 {d.day}일 ({WEEKDAYS_KO[d.weekday()]})"


def _load_queries() -> dict[str, str]:
    text = resources.files("pipeline.reports").joinpath("queries.sql").read_text("utf-8")
    out: dict[str, str] = {}
    for block in re.split(r"^-- name: ", text, flags=re.MULTILINE)[1:]:
        name, _, body = block.partition("\n")
        out[name.strip()] = body.strip().rstrip(";")
    return out


QUERIES = _load_queries()
_PARAM = re.compile(r"\$([a-z_]+)")


def _query(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object]) -> pd.DataFrame:
    sql = QUERIES[name]
    used = set(_PARAM.findall(sql))
    return con.execute(sql, {k: v for k, v in params.items() if k in used}).df()


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
    ).fetchall()
    return {r[0] for r in rows}


# ---------------------------------------------------------------------------------------------
# small formatting helpers (also jinja filters)


def fmt_num(x: object) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if isinstance(x, float) and not x.is_integer():
        return f"{x:,.1f}"
    return f"{int(x):,}"


def fmt_pct(x: float | None, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x * 100:.{digits}f}%"


def fmt_change(x: float | None) -> str:
    """A relative change as '+35%' / '−12%' / '0%' (rounds to none) / '신규'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "신규"
    return _signed(round(x * 100), "{:+.0f}%")


def fmt_pp(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return _signed(round(x * 100, 1), "{:+.1f}%p")


def _signed(value: float, fmt: str) -> str:
    """`value` with its sign and a typographic minus; a value rounded to zero carries no sign."""
    if value == 0:
        return fmt.format(0.0).lstrip("+")
    return fmt.format(value).replace("-", "−")


def area_ko(code: str | None) -> str:
    if code is None:
        return "–"
    if code in ("all", "*", "전체"):
        return "전체"
    return POLICY_AREAS.get(code, code)


def _change(now: float, base: float | None) -> float | None:
    if base is None or base <= 0:
        return None
    return now / base - 1.0


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


_PII = [
    (re.compile(r"\b\d{6}\s*-\s*[1-4]\d{6}\b"), "******-*******"),
    (re.compile(r"\b01[016789][-. ]?\d{3,4}[-. ]?\d{4}\b"), "010-****-****"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "***@***"),
    (re.compile(r"\b(?:\d[ -]?){13,16}\b"), "****"),
]


def scrub(text: str, limit: int = 220) -> str:
    """Defence in depth: stored text is already masked; mask again and shorten for display."""
    for rx, repl in _PII:
        text = rx.sub(repl, text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# sections


def _records(df: pd.DataFrame) -> list[dict[str, object]]:
    return [
        {k: (None if _isna(v) else v) for k, v in row.items()} for row in df.to_dict("records")
    ]


def _isna(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT or v is pd.NA


def _areas(con: duckdb.DuckDBPyConnection, period: Period, base_days: int) -> list[dict]:
    df = _query(con, "area_totals", period.params())
    rows = []
    for r in _records(df):
        posts = int(r["posts"] or 0)
        base_avg = (r["base_posts"] or 0) / base_days if base_days else None
        per_day = posts / period.days
        neg_share = _share(r["negative"] or 0, posts)
        base_neg_share = _share(r["base_negative"] or 0, r["base_posts"] or 0)
        rows.append(
            {
                "code": r["policy_area"],
                "name": area_ko(r["policy_area"]),
                "posts": posts,
                "per_day": per_day,
                "negative": int(r["negative"] or 0),
                "neutral": int(r["neutral"] or 0),
                "positive": int(r["positive"] or 0),
                "mean_score": r["mean_score"],
                "base_avg": base_avg,
                "change": _change(per_day, base_avg) if base_days else None,
                "neg_share": neg_share,
                "base_neg_share": base_neg_share,
                "neg_delta": (neg_share - base_neg_share)
                if neg_share is not None and base_neg_share is not None
                else None,
                "base_posts": int(r["base_posts"] or 0),
                "base_negative": int(r["base_negative"] or 0),
                "neg_per_day": (r["negative"] or 0) / period.days,
                "base_neg_avg": (r["base_negative"] or 0) / base_days if base_days else None,
            }
        )
    order = {c: i for i, c in enumerate(POLICY_AREAS)}
    rows.sort(key=lambda a: (-a["posts"], order.get(a["code"], 99)))
    return [a for a in rows if a["posts"] > 0 or (a["base_avg"] or 0) > 0]


def _districts(con: duckdb.DuckDBPyConnection, period: Period, base_days: int) -> dict:
    df = _query(con, "district_totals", period.params())
    by = {r["district"]: r for r in _records(df)}
    rows = []
    for name in (*DISTRICTS, NO_DISTRICT):
        r = by.get(name, {})
        posts = int(r.get("posts") or 0)
        base_posts = int(r.get("base_posts") or 0)
        neg_share = _share(int(r.get("negative") or 0), posts)
        base_neg_share = _share(int(r.get("base_negative") or 0), base_posts)
        base_avg = base_posts / base_days if base_days else None
        rows.append(
            {
                "name": name,
                "posts": posts,
                "negative": int(r.get("negative") or 0),
                "base_posts": base_posts,
                "base_negative": int(r.get("base_negative") or 0),
                "neg_share": neg_share,
                "base_neg_share": base_neg_share,
                "neg_delta": (neg_share - base_neg_share)
                if neg_share is not None and base_neg_share is not None
                else None,
                "change": _change(posts / period.days, base_avg),
                "top_area": area_ko(r.get("top_area")) if posts else "–",
            }
        )
    tiles = []
    for row in rows:
        if row["name"] not in DISTRICT_TILES:
            continue
        r_, c_ = DISTRICT_TILES[row["name"]]
        tiles.append(
            {
                **row,
                "row": r_ + 1,
                "col": c_ + 1,
                "color": _neg_color(row["neg_share"]),
                "short": row["name"][:-1] if len(row["name"]) > 2 else row["name"],
            }
        )
    # Busiest districts first; posts naming no district (미상) close the table, not lead it.
    table = sorted(rows, key=lambda d: (d["name"] == NO_DISTRICT, -d["posts"], d["name"]))
    return {"rows": table, "tiles": tiles, "any": any(r["posts"] for r in rows)}


def _neg_color(share: float | None) -> str:
    """White → red by negative share (0 … 60%+); grey when there are no posts."""
    if share is None:
        return "#eeeeee"
    t = max(0.0, min(1.0, share / 0.6))
    r = round(255 + (178 - 255) * t)
    g = round(247 + (24 - 247) * t)
    b = round(243 + (43 - 243) * t)
    return f"#{r:02x}{g:02x}{b:02x}"


def _text_color(share: float | None) -> str:
    return "#ffffff" if share is not None and share > 0.36 else "#1a1a1a"


def _area_details(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    base_days: int,
    areas: list[dict],
    kw_sent: dict[str, dict[str, list[dict]]],
) -> list[dict]:
    p = period.params()
    subs = _records(_query(con, "sub_issues", p))
    labels = sub_issues()
    kws = _records(_query(con, "area_keywords", p))
    reps = _records(_query(con, "representative_posts", p))
    out = []
    for a in areas:
        if a["posts"] == 0:
            continue
        code = a["code"]
        keywords = []
        for k in kws:
            if k["policy_area"] != code:
                continue
            base_avg = (k["base_posts"] or 0) / base_days if base_days else None
            per_day = k["posts"] / period.days
            change = _change(per_day, base_avg) if base_days else None
            rising = base_days > 0 and (change is None or change >= 1.0) and k["posts"] >= 3
            keywords.append(
                {"keyword": k["keyword"], "posts": k["posts"], "change": change, "rising": rising}
            )
        posts = sorted(
            (r for r in reps if r["policy_area"] == code),
            key=lambda r: (
                ("negative", "positive", "neutral").index(r["sentiment"])
                if r["sentiment"] in SENTIMENT_KO
                else 3
            ),
        )
        out.append(
            {
                **a,
                "sub_issues": [
                    {
                        **s,
                        "label": labels[s["sub_issue"]].label
                        if s["sub_issue"] in labels
                        else s["sub_issue"],
                    }
                    for s in subs
                    if s["policy_area"] == code
                ],
                "keywords": keywords,
                "posts_shown": [
                    {
                        "sentiment": r["sentiment"],
                        "sentiment_ko": SENTIMENT_KO.get(r["sentiment"], "–"),
                        "channel": CHANNEL_KO.get(r["channel"], r["channel"]),
                        "time": _seoul_time(r["created_at"]),
                        "text": scrub(str(r["text"])),
                        "engagement": r["engagement"],
                        "districts": ", ".join(
                            str(x)
                            for x in (r["districts"] if r["districts"] is not None else [])
                            if x
                        ),
                    }
                    for r in posts
                ],
                "neg_words": kw_sent.get(code, {}).get("negative", []),
                "pos_words": kw_sent.get(code, {}).get("positive", []),
            }
        )
    return out


def _seoul_time(ts: object) -> str:
    if ts is None:
        return ""
    t = pd.Timestamp(ts)
    if t.tzinfo is not None:
        t = t.tz_convert("Asia/Seoul")
    return t.strftime("%m-%d %H:%M")


def _hashtags(con: duckdb.DuckDBPyConnection, period: Period, base_days: int) -> dict:
    """Most used and emerging tags; a tag whose posts (copies included) come mostly from accounts
    flagged in `coordinated_accounts` is marked `coordinated`, not presented as an organic trend."""
    df = _query(con, "hashtags", period.params())
    pushed: dict[str, tuple[int, int]] = {}
    if {"day", "author_hash"} <= _columns(con, "coordinated_accounts"):
        pushed = {
            t: (int(n), int(c))
            for t, n, c in _query(con, "hashtag_coordination", period.params()).itertuples(
                index=False, name=None
            )
        }
    rows = []
    for r in _records(df):
        all_posts, by_flagged = pushed.get(r["tag"], (0, 0))
        per_day = r["posts"] / period.days
        base_avg = (r["base_posts"] or 0) / base_days if base_days else 0.0
        # How far above its own baseline (Poisson-like z, so rare tags need real volume to rank).
        score = (per_day - base_avg) / math.sqrt(base_avg + 1.0)
        new = base_days > 0 and r["base_posts"] == 0
        emerging = base_days > 0 and r["posts"] >= 3 and (new or per_day >= 2.0 * base_avg)
        rows.append(
            {
                "tag": r["tag"],
                "posts": r["posts"],
                "base_avg": base_avg,
                "score": score,
                "new": new,
                "emerging": emerging,
                "change": _change(per_day, base_avg) if base_days else None,
                "all_posts": all_posts,
                "coordinated_posts": by_flagged,
                "coordinated": all_posts >= 3 and by_flagged >= COORDINATED_TAG_SHARE * all_posts,
            }
        )
    top = sorted(rows, key=lambda r: (-r["posts"], r["tag"]))[:10]
    emerging = sorted((r for r in rows if r["emerging"]), key=lambda r: (-r["score"], r["tag"]))
    return {
        "top": top,
        "emerging": emerging[:10],
        "organic": [h for h in emerging if not h["coordinated"]],
        "coordinated": [h for h in emerging if h["coordinated"]],
    }


def _keyword_sentiment(con: duckdb.DuckDBPyConnection, period: Period) -> dict | None:
    if not {"policy_area", "polarity", "keyword", "count"} <= _columns(con, "keyword_sentiment"):
        return None
    out: dict[str, dict[str, list[dict]]] = {}
    for r in _records(_query(con, "keyword_sentiment", period.params())):
        out.setdefault(r["policy_area"], {}).setdefault(r["polarity"], []).append(
            {"keyword": r["keyword"], "posts": r["posts"]}
        )
    return out


def _networks(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    areas: list[dict],
    kw_sent: dict[str, dict[str, list[dict]]],
) -> dict:
    if not {"policy_area", "source", "target", "weight"} <= _columns(con, "keyword_links"):
        return {"status": "missing", "charts": []}
    links = _query(con, "keyword_links", period.params())
    if links.empty:
        return {"status": "empty", "charts": []}
    present = set(links["policy_area"])
    wanted = [c for c in ("all", "전체") if c in present]
    wanted += [a["code"] for a in areas if a["code"] in present][: 2 - len(wanted)]
    out = []
    for code in wanted:
        sub = links[links["policy_area"] == code]
        edges = list(zip(sub["source"], sub["target"], sub["weight"], strict=True))
        sent = kw_sent.get(code, {})
        neg = [w["keyword"] for w in sent.get("negative", [])]
        pos = [w["keyword"] for w in sent.get("positive", [])]
        out.append(
            {
                "area": area_ko(code),
                "src": charts.keyword_network(
                    edges, title=f"{area_ko(code)} 연관어 네트워크", negative=neg, positive=pos
                ),
            }
        )
    return {"status": "ok", "charts": out}


def _topics(con: duckdb.DuckDBPyConnection, period: Period) -> dict:
    if not {"day", "label", "n_posts"} <= _columns(con, "topics"):
        return {"status": "missing", "rows": []}
    rows = _records(_query(con, "topics", period.params()))
    for r in rows:
        r["keywords"] = list(r["keywords"]) if r["keywords"] is not None else []
        r["first_seen"] = pd.Timestamp(r["first_seen"]).date() if r["first_seen"] else None
    return {"status": "ok" if rows else "empty", "rows": rows}


SEVERITY_ORDER = {"high": 0, "critical": 0, "medium": 1, "low": 2}
SEVERITY_KO = {"high": "높음", "critical": "높음", "medium": "중간", "low": "낮음"}
ALERT_KIND_KO = {
    "negativity_spike": "부정 여론 급증",
    "volume_burst": "언급량 급증",
    "hashtag_burst": "해시태그 급증",
    "new_hashtag": "새 해시태그",
}
STATUS_KO = {
    "open": "미처리",
    "new": "신규",
    "acknowledged": "확인",
    "resolved": "해결",
    "closed": "종료",
}


def _alert_where(r: dict) -> str:
    """Where an alert is, in Korean: '교통·도시 · 강남구' for the stored key 'transport_urban|강남구'."""
    parts = [x for x in str(r.get("key") or "").split("|") if x]
    if not parts:
        parts = [str(x) for x in (r.get("policy_area"), r.get("district")) if x]
    return " · ".join(
        area_ko(x)
        if x in POLICY_AREAS or x == "all"
        else ("자치구 미상" if x == NO_DISTRICT else x)
        for x in parts
    )


def _alerts(con: duckdb.DuckDBPyConnection, period: Period, *, by_date: bool = False) -> dict:
    """Alerts of the period: the 12 most severe, ordered by severity (or, `by_date`, newest day
    first and by severity within a day)."""
    cols = _columns(con, "alerts")
    if not cols:
        return {"status": "missing", "rows": []}
    time_col = next((c for c in ("bucket", "detected_at", "day") if c in cols), None)
    if time_col is None:
        return {"status": "missing", "rows": []}
    wanted = [
        c
        for c in (
            "alert_id",
            "kind",
            "policy_area",
            "district",
            "key",
            "observed",
            "expected",
            "score",
            "severity",
            "status",
            "message_ko",
            "sample_post_ids",
            time_col,
        )
        if c in cols
    ]
    sql = (
        f"SELECT {', '.join(wanted)} FROM alerts "
        f"WHERE ({time_col} AT TIME ZONE 'Asia/Seoul')::DATE BETWEEN ? AND ?"
        if time_col != "day"
        else f"SELECT {', '.join(wanted)} FROM alerts WHERE day BETWEEN ? AND ?"
    )
    df = con.execute(sql, [period.start, period.end]).df()
    rows = _records(df)
    samples: dict[str, str] = {}
    ids = sorted({i for r in rows for i in (_as_list(r.get("sample_post_ids"))[:2])})
    if ids:
        probe = pd.DataFrame({"post_id": ids})  # noqa: F841 - referenced by name in SQL
        for pid, text in con.execute(
            "SELECT p.post_id, p.text FROM posts p JOIN probe USING (post_id)"
        ).fetchall():
            samples[pid] = scrub(text, 140)
    out = []
    for r in rows:
        sev = str(r.get("severity") or "low")
        out.append(
            {
                "severity": sev,
                "severity_ko": SEVERITY_KO.get(sev, sev),
                "kind": ALERT_KIND_KO.get(str(r.get("kind")), str(r.get("kind") or "")),
                "area": area_ko(r.get("policy_area")) if r.get("policy_area") else "",
                "district": r.get("district") or "",
                "where": _alert_where(r),
                "message": r.get("message_ko") or "",
                "observed": r.get("observed"),
                "expected": r.get("expected"),
                "score": r.get("score"),
                "status": STATUS_KO.get(str(r.get("status")), r.get("status") or ""),
                "open": str(r.get("status") or "open") in ("open", "new"),
                "when": _seoul_time(r.get(time_col)) if time_col != "day" else str(r.get("day")),
                "at": pd.Timestamp(r.get(time_col)),
                "samples": [
                    samples[i] for i in _as_list(r.get("sample_post_ids"))[:2] if i in samples
                ],
            }
        )
    out.sort(key=lambda a: (SEVERITY_ORDER.get(a["severity"], 3), -(a["score"] or 0)))
    shown = out[:12]
    if by_date:
        shown.sort(
            key=lambda a: (
                -_seoul_day(a["at"]).toordinal(),
                SEVERITY_ORDER.get(a["severity"], 3),
                a["at"],
            )
        )
    return {"status": "ok" if out else "empty", "rows": shown, "total": len(out)}


def _seoul_day(t: pd.Timestamp) -> dt.date:
    return (t.tz_convert("Asia/Seoul") if t.tzinfo is not None else t).date()


def _generic_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    period: Period,
    order: Iterable[str],
    labels: dict[str, str],
    limit: int = 10,
) -> dict:
    """First rows of an optional per-day table for the period, with Korean column labels."""
    cols = _columns(con, table)
    if not cols:
        return {"status": "missing", "header": [], "rows": [], "numeric": []}
    day_col = next((c for c in ("day", "window_end", "end_day") if c in cols), None)
    shown = [c for c in labels if c in cols]
    if not shown:
        return {"status": "missing", "header": [], "rows": [], "numeric": []}
    where, params = "", []
    if day_col:
        where, params = f"WHERE {day_col}::DATE BETWEEN ? AND ?", [period.start, period.end]
    order_by = [c for c in order if c.split()[0] in cols]
    sql = (
        f"SELECT {', '.join(shown)} FROM {table} {where} "
        + (f"ORDER BY {', '.join(order_by)} " if order_by else "")
        + f"LIMIT {int(limit)}"
    )
    df = con.execute(sql, params).df()
    rows = []
    for r in _records(df):
        rows.append([_cell(c, r[c]) for c in shown])
    return {
        "status": "ok" if rows else "empty",
        "header": [labels[c] for c in shown],
        "rows": rows,
        "numeric": [i for i, c in enumerate(shown) if pd.api.types.is_numeric_dtype(df[c])],
    }


def _cell(col: str, v: object) -> str:
    if v is None:
        return "–"
    if col == "policy_area":
        return area_ko(str(v))
    if col == "channel":
        return CHANNEL_KO.get(str(v), str(v))
    if col == "kind":
        return KIND_KO.get(str(v), str(v))
    if col == "reason":
        return COORDINATION_REASON_KO.get(str(v), str(v))
    if isinstance(v, bool):
        return "예" if v else "아니오"
    if isinstance(v, float):
        if col.endswith(("share", "rate", "ratio")) and 0 <= v <= 1:
            return fmt_pct(v, 1)
        return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, (list, tuple)) or hasattr(v, "tolist"):
        items = list(v.tolist() if hasattr(v, "tolist") else v)
        return ", ".join(str(i) for i in items[:5])
    return scrub(str(v), 120)


STAGE_KO = {
    "ingest": "수집",
    "ingest_x_batch": "수집(X 일괄)",
    "nlp": "언어 분석",
    "aggregate": "집계",
    "signals": "신호 분석",
    "report": "브리핑",
}
# What 'stored' counts, where it is not posts.
STAGE_STORED_UNIT = {"aggregate": "집계 행"}
# Stored quarantine reasons (English, kept as written in the warehouse) by prefix, in Korean.
QUARANTINE_REASON_KO = (
    ("malformed JSON", "JSON 형식 오류"),
    ("JSON line is not an object", "JSON 객체가 아닌 행"),
    ("row is not an object", "객체가 아닌 행"),
    ("tweet is a", "객체가 아닌 행"),
    ("invalid UTF-8", "문자 인코딩 오류"),
    ("unreadable row", "읽을 수 없는 행"),
    ("a text field has the wrong type", "필드 형식 오류"),
    ("missing required field: id", "ID 누락"),
    ("entry has no id", "ID 누락"),
    ("missing channel", "채널 미지정"),
    ("missing required field: text", "본문 누락"),
    ("missing text", "본문 누락"),
    ("text is not a string", "본문 형식 오류"),
    ("text:", "본문 형식 오류"),
    ("empty text", "빈 본문"),
    ("text too long", "본문이 너무 김"),
    ("created_at in the future", "미래 시각"),
    ("created_at outside the run window", "수집 기간 밖의 작성 시각"),
    ("created_at is missing", "작성 시각 누락"),
    ("missing created_at", "작성 시각 누락"),
    ("no published/updated date", "작성 시각 누락"),
    ("created_at", "작성 시각 형식 오류"),
    ("unreadable date", "작성 시각 형식 오류"),
    ("poll_id is missing", "투표 ID 누락"),
)


def quarantine_reason_ko(reason: str | None) -> str:
    """A Korean explanation of a stored quarantine reason (by prefix); the stored text otherwise."""
    text = str(reason or "").strip()
    for prefix, ko in QUARANTINE_REASON_KO:
        if text.startswith(prefix):
            return ko
    return text or "사유 없음"


def _quarantine_reasons(con: duckdb.DuckDBPyConnection, p: dict[str, object]) -> list[dict]:
    """Quarantine counts by Korean reason, with the stored reasons behind each (for a tooltip)."""
    out: dict[str, dict] = {}
    for r in _records(_query(con, "quarantine_reasons", p)):
        ko = quarantine_reason_ko(r["reason"])
        row = out.setdefault(ko, {"reason": ko, "rows": 0, "stored": []})
        row["rows"] += int(r["rows"])
        row["stored"].append(str(r["reason"]))
    return sorted(out.values(), key=lambda r: (-r["rows"], r["reason"]))


def _coverage(con: duckdb.DuckDBPyConnection, period: Period) -> dict:
    p = period.params()
    channels = _records(_query(con, "channels", p))
    for c in channels:
        c["name"] = CHANNEL_KO.get(c["channel"], c["channel"])
    runs = _records(_query(con, "runs", p))
    for r in runs:
        r["last_finished"] = _seoul_time(r["last_finished"])
        r["name"] = STAGE_KO.get(r["stage"], r["stage"])
        r["stored_unit"] = STAGE_STORED_UNIT.get(r["stage"], "")
    return {
        "channels": channels,
        "stored": sum(c["stored"] for c in channels),
        "duplicates": sum(c["duplicates"] for c in channels),
        "analysed": sum(c["analysed"] for c in channels),
        "analysed_originals": sum(c["analysed_originals"] for c in channels),
        "runs": runs,
        "quarantined": sum(int(r["quarantined"] or 0) for r in runs),
        "reasons": _quarantine_reasons(con, p),
        "excluded": int(_query(con, "excluded", p)["excluded"].iloc[0]),
        "models": _records(_query(con, "model_versions", p)),
    }


# ---------------------------------------------------------------------------------------------
# the summary in plain Korean


def _summary(
    period: Period,
    base_days: int,
    totals: dict,
    areas: list[dict],
    districts: dict,
    alerts: dict,
    topics: dict,
    hashtags: dict,
    responses: dict,
) -> dict[str, list[str]]:
    when = "이번 주" if period.weekly else "오늘"
    changed, unusual, respond = [], [], []
    per_day = totals["posts"] / period.days
    if base_days:
        ch = _change(per_day, totals["base_avg"])
        vol = (
            f"하루 평균 {fmt_num(round(per_day))}건"
            if period.weekly
            else f"{fmt_num(totals['posts'])}건"
        )
        ref = f"지난 {base_days}일 하루 평균({fmt_num(round(totals['base_avg']))}건)"
        changed.append(f"{when} 분석된 게시물은 {vol}으로, {_compared(ref, ch)}.")
        if totals["neg_share"] is not None and totals["base_neg_share"] is not None:
            d = totals["neg_share"] - totals["base_neg_share"]
            ref = f"지난 {base_days}일({fmt_pct(totals['base_neg_share'])})"
            if abs(d) > 0.005:
                trend = "높아졌습니다" if d > 0 else "낮아졌습니다"
                versus = f"{ref}보다 {abs(d) * 100:.1f}%p {trend}"
            else:
                versus = f"{_with(ref)} 비슷합니다"
            changed.append(f"부정 비율은 {fmt_pct(totals['neg_share'])}로 {versus}.")
    else:
        changed.append(
            f"{when} 분석된 게시물은 {fmt_num(totals['posts'])}건이며, 비교할 지난 7일 자료가 없습니다."
        )
    # The area whose negative posts grew most against its own baseline.
    if base_days:
        cands = [
            a
            for a in areas
            if a["negative"] >= MIN_POSTS_FOR_SHARE and a["posts"] >= MIN_POSTS_HEADLINE
        ]

        def grow(a: dict) -> float:
            return a["neg_per_day"] / max(a["base_neg_avg"] or 0.0, 1.0)

        if cands:
            top = max(cands, key=grow)
            g = grow(top)
            if g >= 1.5:
                unusual.append(
                    f"{top['name']} 분야의 부정 게시물이 하루 {fmt_num(round(top['neg_per_day']))}건으로 "
                    f"평소(하루 평균 {fmt_num(round(top['base_neg_avg'] or 0))}건)의 {g:.1f}배입니다"
                    f"(분야 게시물 n={fmt_num(top['posts'])}건)."
                )
            biggest = max(areas, key=lambda a: a["posts"], default=None)
            if biggest is not None:
                changed.append(
                    f"가장 많이 언급된 분야는 {biggest['name']}({fmt_num(biggest['posts'])}건, "
                    f"부정 {fmt_pct(biggest['neg_share'])})입니다."
                )
        # A district's rise is named only when it is material (10 %p or more) and significant.
        rising = [
            d
            for d in districts["rows"]
            if d["name"] != NO_DISTRICT
            and d["neg_delta"] is not None
            and d["neg_delta"] >= 0.10
            and significant_rise(d["negative"], d["posts"], d["base_negative"], d["base_posts"])
        ]
        if rising:
            d = max(rising, key=lambda x: x["neg_delta"])
            unusual.append(
                f"자치구 중 {d['name']}의 부정 비율이 {fmt_pct(d['neg_share'])}"
                f"(n={fmt_num(d['posts'])}건)로 가장 크게 올랐습니다"
                f"({fmt_pp(d['neg_delta'])}, 주요 분야: {d['top_area']})."
            )
    new_topics = [t["label"] for t in topics["rows"] if t.get("emerging")]
    if new_topics:
        unusual.append("새로 떠오른 토픽: " + ", ".join(new_topics[:3]) + ".")
    if hashtags["organic"]:
        unusual.append(
            "급증한 해시태그: " + ", ".join("#" + h["tag"] for h in hashtags["organic"][:4]) + "."
        )
    if hashtags["coordinated"]:
        unusual.append(
            "조직적 확산 의심 해시태그: "
            + ", ".join(
                f"#{h['tag']}(게시물 {fmt_num(h['all_posts'])}건 중 "
                f"{fmt_num(h['coordinated_posts'])}건이 조직적·봇 의심 계정)"
                for h in hashtags["coordinated"][:3]
            )
            + ". 자연스러운 관심 증가로 보기 어렵습니다."
        )
    if alerts["status"] == "ok":
        open_alerts = [a for a in alerts["rows"] if a["open"]] or alerts["rows"]
        for a in open_alerts[:3]:
            where = " ".join(x for x in (a["district"], a["area"]) if x)
            respond.append(
                f"[경보·{a['severity_ko']}] {a['message'] or (where + ' ' + a['kind'])}"
            )
    # Half or more negative, on enough posts, and (where the baseline is large enough to tell)
    # significantly more negative than usual.
    hot = [
        a
        for a in areas
        if a["neg_share"] is not None
        and a["neg_share"] >= 0.5
        and a["posts"] >= MIN_POSTS_HEADLINE
        and (
            significant_rise(a["negative"], a["posts"], a["base_negative"], a["base_posts"])
            if a["base_posts"] >= MIN_POSTS_HEADLINE
            else True
        )
    ]
    for a in hot[:2]:
        respond.append(
            f"{a['name']} 분야는 게시물 절반 이상({fmt_pct(a['neg_share'])}, "
            f"n={fmt_num(a['posts'])}건)이 부정적입니다. 관련 부서의 확인이 필요합니다."
        )
    if responses.get("unanswered"):
        respond.append(responses["unanswered"])
    return {
        "changed": changed,
        "unusual": unusual or ["눈에 띄는 이상 징후는 없습니다."],
        "respond": respond or ["즉시 대응이 필요한 사항은 없습니다."],
    }


def _compared(ref: str, ch: float | None) -> str:
    """'지난 7일 하루 평균(1,200건)보다 12% 많습니다' / '…과 비슷합니다' against `ref`."""
    if ch is None:
        return f"{_with(ref)} 비교할 수 없습니다"
    if abs(ch) < 0.05:
        return f"{_with(ref)} 비슷합니다"
    return f"{ref}보다 {abs(ch) * 100:.0f}% {'많습니다' if ch > 0 else '적습니다'}"


# Whether the Korean reading of a final digit ends in a consonant (영 일 삼 육 칠 팔: yes).
_DIGIT_BATCHIM = dict(zip("0123456789", (1, 1, 0, 1, 0, 0, 1, 1, 1, 0), strict=True))


def _with(word: str) -> str:
    """`word` with the particle 과 (after a final consonant) or 와; a trailing (…) is skipped."""
    base = re.sub(r"\s*\([^()]*\)$", "", word)
    last = base[-1:] or "가"
    if last.isdigit():
        batchim = _DIGIT_BATCHIM[last]
    elif "가" <= last <= "힣":
        batchim = (ord(last) - 0xAC00) % 28 != 0
    else:
        batchim = False
    return word + ("과" if batchim else "와")


def significant_rise(neg: int, n: int, base_neg: int, base_n: int) -> bool:
    """Whether a negative share of neg/n is above base_neg/base_n beyond chance.

    Both samples need `MIN_POSTS_HEADLINE` posts; then a pooled two-proportion z-test, one-sided
    at z >= 1.96 (p < 0.025, i.e. p < 0.05 two-sided).
    """
    if n < MIN_POSTS_HEADLINE or base_n < MIN_POSTS_HEADLINE:
        return False
    pooled = (neg + base_neg) / (n + base_n)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / base_n))
    return se > 0 and (neg / n - base_neg / base_n) / se >= Z_RISE


# ---------------------------------------------------------------------------------------------
# signals (issue 7): opinion leaders, official responsiveness, mVoting, coordinated accounts

KIND_KO = {
    "official": "공식 계정",
    "media": "언론",
    "organisation": "단체",
    "individual": "개인",
    "unknown": "미분류",
}
# Accounts whose public handle may be shown; individuals stay pseudonymous (their hash).
PUBLIC_KINDS = ("official", "media", "organisation")
COORDINATION_REASON_KO = {
    "copy_cluster": "같은 글 복사·붙여넣기",
    "regular_rhythm": "기계적으로 일정한 게시 간격",
    "high_rate": "한 시간에 과도한 게시",
}
AGREEMENT_KO = {"agree": "일치", "disagree": "불일치", "insufficient_data": "자료 부족"}
MIN_UNANSWERED = 3  # unanswered citizen questions that make the "대응이 필요한 사항" list
COORDINATED_LABELS = {
    "cluster_id": "묶음",
    "author_hash": "계정(가명)",
    "accounts": "계정 수",
    "posts": "게시물",
    "reason": "사유",
    "score": "점수",
}


def _responses(con: duckdb.DuckDBPyConnection, period: Period) -> dict:
    """Citizen questions to official accounts per department over the last 7 days, as of the end
    of the period: answered, how fast, still within the response target ('pending', not alarming)
    or past it unanswered ('overdue'); a line for the summary when enough are overdue."""
    empty = {"status": "missing", "header": [], "rows": [], "numeric": [], "unanswered": None}
    needed = {
        "department",
        "official_handle",
        "policy_area",
        "answered",
        "response_minutes",
        "asked_at",
        "day",
    }
    if not needed <= _columns(con, "official_responses"):
        return {**empty, "note": ""}
    p = period.params()
    df = _query(con, "official_responses", p)
    rows = []
    for r in _records(df):
        settled = int(r["answered"]) + int(r["overdue"])  # pending questions are not due yet
        rows.append(
            [
                r["department"],
                _first_areas(str(r["policy_areas"] or "")),
                fmt_num(r["asked"]),
                fmt_num(r["answered"]),
                fmt_pct(_share(r["answered"], settled)),
                "–" if r["median_minutes"] is None else f"{r['median_minutes']:,.0f}분",
                fmt_num(r["pending"]),
                fmt_num(r["overdue"]),
            ]
        )
    as_of = _seoul_datetime(period.as_of)
    overdue = int(df["overdue"].sum()) if not df.empty else 0
    line = None
    if overdue >= MIN_UNANSWERED:
        top = df.iloc[0]
        line = (
            f"공식 계정에 온 시민 질문·민원 중 {fmt_num(overdue)}건이 "
            f"{RESPONSE_TARGET_HOURS}시간이 지나도록 답변되지 않았습니다"
            f"(가장 많은 곳: {top['department']} {fmt_num(int(top['overdue']))}건, {as_of} 기준)."
        )
    start = p["resp_start"]
    return {
        "status": "ok" if rows else "empty",
        "header": [
            "부서",
            "분야",
            "시민 질문",
            "응답",
            "응답률",
            "응답 시간 중앙값",
            f"답변 대기({RESPONSE_TARGET_HOURS}시간 이내)",
            f"기한 초과 미응답({RESPONSE_TARGET_HOURS}시간 경과)",
        ],
        "rows": rows[:10],
        "numeric": [2, 3, 4, 5, 6, 7],
        "unanswered": line,
        "note": (
            f"{start.month}월 {start.day}일부터 {as_of}까지 공식 계정에 온 시민 질문입니다. "
            f"답변 목표는 {RESPONSE_TARGET_HOURS}시간입니다: 그보다 최근의 질문은 '답변 대기'로, "
            f"{RESPONSE_TARGET_HOURS}시간이 지나도 답이 없는 질문만 '기한 초과'로 셉니다. "
            "응답률은 답변 대기 중인 질문을 뺀 나머지 가운데 답변된 비율입니다."
        ),
    }


def _seoul_datetime(t: dt.datetime) -> str:
    """'11월 29일 24:00' for midnight after the 29th (the end of a period reads as that day's)."""
    t = t.astimezone(SEOUL)
    if t.time() == dt.time():
        d = t.date() - dt.timedelta(days=1)
        return f"{d.month}월 {d.day}일 24:00"
    return f"{t.month}월 {t.day}일 {t:%H:%M}"


def _first_areas(codes: str, shown: int = 3) -> str:
    """'a,b,c,d' as '교통·도시, … 외 1개' (a department's posts may touch every area)."""
    names = [area_ko(c) for c in codes.split(",") if c]
    more = f" 외 {len(names) - shown}개" if len(names) > shown else ""
    return (", ".join(names[:shown]) + more) or "–"


def _mvoting(con: duckdb.DuckDBPyConnection, period: Period) -> dict:
    """Each poll's vote against what posts about it say (latest comparison in the period)."""
    needed = {
        "day",
        "poll_id",
        "question",
        "policy_area",
        "total_votes",
        "leading_option",
        "vote_support",
        "online_posts",
        "online_support",
        "agreement",
        "main_arguments",
    }
    if not needed <= _columns(con, "mvoting_comparison"):
        return {"status": "missing", "header": [], "rows": [], "numeric": []}
    rows = [
        [
            r["question"],
            area_ko(r["policy_area"]),
            fmt_num(r["total_votes"]),
            fmt_pct(r["vote_support"]),
            fmt_num(r["online_posts"]),
            fmt_pct(r["online_support"]),
            AGREEMENT_KO.get(r["agreement"], r["agreement"]),
            r["main_arguments"] or "–",
        ]
        for r in _records(_query(con, "mvoting_comparison", period.params()))
    ]
    return {
        "status": "ok" if rows else "empty",
        "header": [
            "질문",
            "분야",
            "투표 수",
            "찬성(투표)",
            "온라인 게시물",
            "찬성(온라인)",
            "투표와 온라인",
            "주요 논거",
        ],
        "rows": rows,
        "numeric": [2, 3, 4, 5],
    }


def _leaders(con: duckdb.DuckDBPyConnection, period: Period) -> dict:
    """The ten leading accounts of the latest ranking in the period, over all areas first.

    The stored score averages percentiles, so the top accounts all sit near 1.0 and it does not
    tell them apart: the table shows the figures behind it instead, PageRank scaled to the first
    row's (= 100). Official, media and organisation accounts are shown by handle where known.
    """
    needed = {"day", "window_days", "policy_area", "rank", "author_hash", "kind", "posts"}
    needed |= {"followers", "engagement", "pagerank", "score"}
    if not needed <= _columns(con, "opinion_leaders"):
        return {
            "status": "missing",
            "header": [],
            "rows": [],
            "numeric": [],
            "heading": "오피니언 리더",
        }
    p = period.params()
    recs = _records(_query(con, "leaders", p))
    handles: dict[str, str] = {}
    if {"author_hash", "handle", "day"} <= _columns(con, "official_accounts"):
        handles = dict(_query(con, "official_handles", p).itertuples(index=False, name=None))
    window = int(recs[0]["window_days"]) if recs else 7
    top_pr = max((float(r["pagerank"] or 0.0) for r in recs), default=0.0)
    rows = []
    for r in recs:
        who = str(r["author_hash"])
        if r["kind"] in PUBLIC_KINDS and who in handles:
            who = "@" + str(handles[who]).lstrip("@")
        rows.append(
            [
                fmt_num(r["rank"]),
                area_ko(r["policy_area"]),
                who,
                KIND_KO.get(str(r["kind"]), str(r["kind"])),
                fmt_num(r["posts"]),
                fmt_num(r["followers"]),
                fmt_num(round(r["engagement"] or 0)),
                "–" if top_pr <= 0 else f"{100 * float(r['pagerank'] or 0) / top_pr:.0f}",
            ]
        )
    return {
        "status": "ok" if rows else "empty",
        "heading": f"최근 {window}일 오피니언 리더",
        "header": [
            "순위",
            "분야",
            "계정",
            "유형",
            "게시물",
            "팔로워",
            "반응(좋아요·공유·댓글)",
            "영향력(PageRank, 1위=100)",
        ],
        "rows": rows,
        "numeric": [0, 4, 5, 6, 7],
        "note": (
            f"순위는 최근 {window}일의 팔로워·반응·PageRank(리포스트·인용·답글·언급 관계)를 "
            "함께 본 결과입니다. 공식·언론·단체 계정은 계정명으로, 개인은 가명으로 표시합니다."
        ),
    }


def _signals(con: duckdb.DuckDBPyConnection, period: Period) -> dict:
    leaders = _leaders(con, period)
    responses = _responses(con, period)
    mvoting = _mvoting(con, period)
    coordinated = _generic_table(
        con, "coordinated_accounts", period, ("posts DESC",), COORDINATED_LABELS
    )
    return {
        "leaders": leaders,
        "responses": responses,
        "mvoting": mvoting,
        "coordinated": coordinated,
    }


# ---------------------------------------------------------------------------------------------
# rendering


def briefing_context(
    con: duckdb.DuckDBPyConnection, day: dt.date, *, weekly: bool = False
) -> dict[str, object]:
    """Everything the template shows, as plain Python values (charts as data URIs)."""
    period = Period.of(day, weekly=weekly)
    p = period.params()
    base_days = int(_query(con, "base_days", p)["n"].iloc[0])
    areas = _areas(con, period, base_days)
    posts = sum(a["posts"] for a in areas)
    base_posts_avg = sum(a["base_avg"] or 0 for a in areas) if base_days else None
    neg = sum(a["negative"] for a in areas)
    base_neg = sum((a["base_neg_avg"] or 0) for a in areas) if base_days else None
    totals = {
        "posts": posts,
        "negative": neg,
        "neg_share": _share(neg, posts),
        "base_avg": base_posts_avg,
        "base_neg_share": _share(base_neg, base_posts_avg) if base_posts_avg else None,
        "change": _change(posts / period.days, base_posts_avg) if base_days else None,
        "mean_score": None,
    }
    totals["neg_delta"] = (
        totals["neg_share"] - totals["base_neg_share"]
        if totals["neg_share"] is not None and totals["base_neg_share"] is not None
        else None
    )
    ctx: dict[str, object] = {
        "period": period,
        "title": ("주간 민심 브리핑" if weekly else "일일 민심 브리핑"),
        "period_label": period.label,
        "base_days": base_days,
        "weekly": weekly,
        "generated": dt.datetime.now(dt.UTC)
        .astimezone(dt.timezone(dt.timedelta(hours=9)))
        .strftime("%Y-%m-%d %H:%M KST"),
        "has_data": posts > 0,
        "totals": totals,
        "coverage": _coverage(con, period),
    }
    if not posts:
        return ctx
    alerts = _alerts(con, period)
    # The week's earlier alerts, so an official sees what was flagged and whether it is still open.
    recent_alerts = (
        _alerts(
            con,
            Period(day - dt.timedelta(days=6), day - dt.timedelta(days=1), False),
            by_date=True,
        )
        if not weekly
        else {"status": "empty", "rows": []}
    )
    kw_sent = _keyword_sentiment(con, period)
    districts = _districts(con, period, base_days)
    topics = _topics(con, period)
    hashtags = _hashtags(con, period, base_days)
    signals = _signals(con, period)
    trend_chart = _trend_chart(con, period)
    area_chart = charts.area_sentiment_bars(
        [a["name"] for a in areas],
        [a["negative"] / period.days for a in areas],
        [a["neutral"] / period.days for a in areas],
        [a["positive"] / period.days for a in areas],
        [a["base_avg"] or 0.0 for a in areas],
        baseline_label=f"지난 {base_days}일 하루 평균" if base_days else "이전 자료 없음",
    )
    ctx.update(
        {
            "areas": areas,
            "area_chart": area_chart,
            "trend_chart": trend_chart,
            "area_details": _area_details(con, period, base_days, areas, kw_sent or {}),
            "districts": districts,
            "topics": topics,
            "kw_status": "ok" if kw_sent else ("missing" if kw_sent is None else "empty"),
            "networks": _networks(con, period, areas, kw_sent or {}),
            "alerts": alerts,
            "recent_alerts": recent_alerts,
            "hashtags": hashtags,
            "signals": signals,
            "summary": _summary(
                period,
                base_days,
                totals,
                areas,
                districts,
                alerts,
                topics,
                hashtags,
                signals["responses"],
            ),
        }
    )
    return ctx


def _trend_chart(con: duckdb.DuckDBPyConnection, period: Period) -> str | None:
    """Daily volume and negative share from the first day with data (at most 14/28 days back)."""
    series = _query(con, "daily_series", period.params())
    if series.empty:
        return None
    by_day = {
        pd.Timestamp(d).date(): (int(n), int(neg))
        for d, n, neg in zip(series["day"], series["posts"], series["negative"], strict=True)
    }
    first = min(by_day)
    days = [first + dt.timedelta(days=i) for i in range((period.end - first).days + 1)]
    posts = [by_day.get(d, (0, 0))[0] for d in days]
    shares = [(by_day[d][1] / by_day[d][0]) if by_day.get(d, (0, 0))[0] else 0.0 for d in days]
    return charts.daily_trend(
        [d.isoformat() for d in days],
        posts,
        shares,
        [period.start <= d <= period.end for d in days],
    )


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        num=fmt_num, pct=fmt_pct, change=fmt_change, pp=fmt_pp, textcolor=_text_color
    )
    return env


FONT_PLACEHOLDER = "/*@@MINSIM_FONT_FACE@@*/"


def font_face_css(text: str) -> str:
    """@font-face for NanumGothic subset to the characters of `text`, as a base64 WOFF."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    logging.getLogger("fontTools").setLevel(logging.ERROR)
    chars = set(text) | set("가나다라마바사아자차카타파하") | {chr(c) for c in range(0x20, 0x7F)}
    font = TTFont(str(charts.korean_font_path()), lazy=True)
    opts = subset.Options()
    opts.hinting = False
    opts.desubroutinize = True
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    opts.drop_tables += [
        "kern",
        "hdmx",
        "LTSH",
        "VDMX",
        "DSIG",
        "TSI0",
        "TSI1",
        "TSI2",
        "TSI3",
        "TSI5",
    ]
    sub = subset.Subsetter(opts)
    sub.populate(text="".join(sorted(chars)))
    sub.subset(font)
    font.flavor = "woff"
    buf = io.BytesIO()
    font.save(buf)
    b64 = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        "@font-face { font-family: 'NanumGothic'; font-style: normal; font-weight: 400; "
        f"font-display: block; src: url(data:font/woff;base64,{b64}) format('woff'); }}"
    )


def render_html(ctx: dict[str, object]) -> str:
    """The briefing page for a context from `briefing_context`, with the font embedded."""
    page = _environment().get_template("briefing.html.j2").render(**ctx)
    visible = html.unescape(
        re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL))
    )
    return page.replace(FONT_PLACEHOLDER, font_face_css(visible), 1)


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_args(binary: str, profile: Path) -> list[str]:
    return [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
    ]


def print_pdf(html_path: Path, pdf_path: Path, *, timeout: float = 90.0) -> bool:
    """Print `html_path` to `pdf_path` with headless Chromium; False (logged) when impossible."""
    binary = find_chromium()
    if binary is None:
        log.warning("no chromium found (%s): PDF skipped", ", ".join(CHROMIUM_NAMES))
        return False
    with tempfile.TemporaryDirectory(prefix="minsim-chromium-") as profile:
        args = chromium_args(binary, Path(profile)) + [
            "--no-pdf-header-footer",
            "--virtual-time-budget=5000",
            f"--print-to-pdf={pdf_path}",
            html_path.resolve().as_uri(),
        ]
        try:
            proc = subprocess.run(
                args, capture_output=True, text=True, timeout=timeout, check=False
            )
        except (subprocess.TimeoutExpired, OSError) as exc:
            log.warning("chromium could not print %s: %s", html_path, exc)
            return False
    if proc.returncode != 0 or not pdf_path.is_file() or pdf_path.stat().st_size == 0:
        tail = (proc.stderr or "").strip().splitlines()[-1:] or [""]
        log.warning(
            "chromium failed to print %s (exit %s): %s", html_path, proc.returncode, tail[0]
        )
        return False
    return True


def render_briefing(
    con: duckdb.DuckDBPyConnection,
    day: dt.date,
    out_dir: Path,
    *,
    weekly: bool = False,
    pdf: bool = True,
) -> dict[str, Path]:
    """Write `briefing.html` (or `weekly.html`) and a PDF beside it; returns {'html', 'pdf'}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "weekly" if weekly else "briefing"
    page = render_html(briefing_context(con, day, weekly=weekly))
    html_path = out_dir / f"{stem}.html"
    tmp = html_path.with_suffix(".html.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(html_path)
    out = {"html": html_path}
    if pdf:
        pdf_path = out_dir / f"{stem}.pdf"
        if print_pdf(html_path, pdf_path):
            out["pdf"] = pdf_path
    log.info("briefing for %s written to %s", day, html_path)
    return out
