"""Seeded simulator of Seoul civic social-media posts: Minsim's embedded default source.

``simulate(config)`` returns canonical post dicts (interfaces.md) together with the ground truth
the pipeline is judged against: each post's true sentiment, policy area and districts, the planted
events (outage, 미세먼지, festival, hashtag trend, welfare delay, bot campaign), the accounts and a
few mVoting polls. Everything comes from one seed: no clock, no global randomness.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.schema import SENTIMENTS
from pipeline.sources import simulator_phrases as ph

__all__ = ["Simulation", "SimulationConfig", "bad_rows", "simulate", "write_simulation"]

KST = dt.timezone(dt.timedelta(hours=9))
DAY_S = 86_400

# Relative posting activity per hour (Asia/Seoul): quiet at night, commute/lunch/evening peaks.
_HOUR_WEEKDAY = np.array(
    [
        0.9,
        0.5,
        0.3,
        0.2,
        0.2,
        0.4,
        1.0,
        2.2,
        3.2,
        2.6,
        1.9,
        2.0,
        2.8,
        2.4,
        1.9,
        1.9,
        2.1,
        2.6,
        3.2,
        3.3,
        3.4,
        3.5,
        3.1,
        2.0,
    ]
)
_HOUR_WEEKEND = np.array(
    [
        1.6,
        1.1,
        0.7,
        0.4,
        0.3,
        0.3,
        0.4,
        0.7,
        1.1,
        1.6,
        2.2,
        2.6,
        2.9,
        3.0,
        3.0,
        2.9,
        2.8,
        2.8,
        3.0,
        3.2,
        3.3,
        3.2,
        2.9,
        2.3,
    ]
)
_DAY_FACTOR = {False: 1.04, True: 0.90}  # weekend?

# Shares of the daily volume. Derived posts (replies, reposts, ...) come on top of originals;
# _ORIGINAL_SHARE is chosen so the total lands near posts_per_day.
_ORIGINAL_SHARE = 0.80
_REPLY_RATE, _REPOST_RATE, _QUOTE_RATE, _DUP_RATE = 0.085, 0.065, 0.01, 0.03
_CHANNELS = ("x", "community", "blog", "news")
_CHANNEL_P = (0.80, 0.075, 0.045, 0.08)
_DISTRICT_P = {"x": 0.52, "community": 0.62, "blog": 0.6, "news": 0.45}
_PII_P = 0.025
_MENTION_P = {"negative": 0.11, "neutral": 0.06, "positive": 0.05}
_OFFICIAL_REPLY_P = 0.55

_SENT_KEY = {"negative": "neg", "neutral": "neu", "positive": "pos"}
_JOSA = {
    "이": ("이", "가"),
    "은": ("은", "는"),
    "을": ("을", "를"),
    "과": ("과", "와"),
    "으로": ("으로", "로"),
    "이랑": ("이랑", "랑"),
    "이야": ("이야", "야"),
}
_JOSA_RE = re.compile(r"(.)\[(이|은|을|과|으로|이랑|이야)\]")
_SPACES_RE = re.compile(r" {2,}")
_DIGIT_BATCHIM = {
    "0": True,
    "1": True,
    "2": False,
    "3": True,
    "4": False,
    "5": False,
    "6": True,
    "7": True,
    "8": True,
    "9": False,
}
_END_PUNCT = set("?!.~^)") | {"ㅠ", "ㅋ", "ㅎ", "ㅡ", ";"}
_JOINERS = {
    "negative": (". ", " ", "! ", ".. ", "\n", " ㅡㅡ "),
    "neutral": (". ", " ", "\n"),
    "positive": (". ", " ", "! ", "~ ", "\n", " ㅎㅎ "),
}
_PLACE_CONTEXT_PRE = (
    "{place} ",
    "{place}에서 ",
    "{place} 쪽인데 ",
    "[{place}] ",
    "여기 {place}인데 ",
    "{place} 사는데 ",
    "{place} 근처 ",
)
_PLACE_CONTEXT_POST = (" ({place})", " - {place}에서", " #{place}")


@dataclass(frozen=True)
class SimulationConfig:
    """What to simulate: the window (Asia/Seoul days), the volume and the seed."""

    start_day: dt.date
    days: int = 14
    posts_per_day: int = 2000
    seed: int = 42
    planted_events: bool = True


@dataclass
class Simulation:
    """Simulated posts with their ground truth."""

    posts: list[dict]
    events: list[dict]
    truth: dict[str, dict]
    accounts: list[dict]
    polls: list[dict]


@dataclass
class _Draft:
    t: float  # seconds since start_day 00:00 Asia/Seoul
    channel: str
    author: str
    text: str
    sentiment: str
    area: str
    districts: list[str]
    kind: str
    event_id: str | None = None
    bot: bool = False
    pii: list[str] = field(default_factory=list)
    parent: int | None = None
    rel: str | None = None  # reply_to | repost_of | quote_of
    mentions: tuple[str, ...] = ()
    lang: str = "ko"
    poll_id: str | None = None
    place: str | None = None


# ------------------------------------------------------------------------------------------------
# Text composition
# ------------------------------------------------------------------------------------------------
def _has_batchim(ch: str) -> bool:
    code = ord(ch) - 0xAC00
    if 0 <= code <= 11171:
        return code % 28 != 0
    if ch in _DIGIT_BATCHIM:
        return _DIGIT_BATCHIM[ch]
    return ch.lower() in "lmnr"


def _resolve_josa(text: str) -> str:
    def fix(m: re.Match[str]) -> str:
        prev, marker = m.group(1), m.group(2)
        with_b, without_b = _JOSA[marker]
        if (
            marker == "으로"
            and 0 <= ord(prev) - 0xAC00 <= 11171
            and (ord(prev) - 0xAC00) % 28 == 8
        ):
            return prev + "로"  # ㄹ-final takes 로
        return prev + (with_b if _has_batchim(prev) else without_b)

    return _JOSA_RE.sub(fix, text)


class _Composer:
    """Builds post texts from the phrase banks with one random.Random."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.used: set[str] = set()  # templates used in the post being composed
        self.district_names = list(ph.DISTRICT_PLACES)
        self.district_cum = list(np.cumsum([w for w, _ in ph.DISTRICT_PLACES.values()]))
        forms = sorted(
            ((f, d) for d, (_, fs) in ph.DISTRICT_PLACES.items() for f in fs),
            key=lambda x: -len(x[0]),
        )
        self.form_to_district = dict(forms)
        self.place_re = re.compile("|".join(re.escape(f) for f, _ in forms))  # longest first
        self.split: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
        for area, bank in ph.AREAS.items():
            for key in ("neg", "neu", "pos", "news", "official"):
                tpls = bank[key]
                self.split[(area, key)] = (
                    [t for t in tpls if "{place}" in t],
                    [t for t in tpls if "{place}" not in t],
                )

    # -- places -----------------------------------------------------------------------------
    def pick_district(self, exclude: str | None = None) -> str:
        while True:
            d = self.rnd.choices(self.district_names, cum_weights=self.district_cum)[0]
            if d != exclude:
                return d

    def surface(self, district: str) -> str:
        forms = ph.DISTRICT_PLACES[district][1]
        r = self.rnd.random()
        if r < 0.3:
            return forms[0]  # the full 구 name
        return self.rnd.choice(forms)

    def districts_in(self, text: str) -> list[str]:
        """The Seoul districts a text names (other cities' 중구/강서구 excluded)."""
        for other in ph.OTHER_CITY_PLACES:
            if other in text:
                text = text.replace(other, " ")
        found: list[str] = []
        for form in self.place_re.findall(text):
            d = self.form_to_district[form]
            if d not in found:
                found.append(d)
        return found

    # -- slots --------------------------------------------------------------------------------
    def fill(self, tpl: str, area: str, places: list[str], media: bool = False) -> str:
        rnd = self.rnd
        if "{" in tpl:
            if "{place}" in tpl:
                generic = ph.GENERIC_PLACES_MEDIA if media else ph.GENERIC_PLACES_CITIZEN
                tpl = tpl.replace("{place}", places[0] if places else rnd.choice(generic))
            if "{place2}" in tpl:
                tpl = tpl.replace("{place2}", places[1] if len(places) > 1 else "시내")
            if "{subj}" in tpl:
                tpl = tpl.replace("{subj}", rnd.choice(ph.AREAS[area]["subjects"]))
            if "{int}" in tpl:
                tpl = tpl.replace("{int}", rnd.choice(ph.INTENSIFIERS))
            if "{n}" in tpl:
                tpl = tpl.replace("{n}", str(rnd.randint(2, 9)))
            if "{time}" in tpl:
                tpl = tpl.replace("{time}", rnd.choice(ph.TIMES))
            if "{line}" in tpl:
                tpl = tpl.replace("{line}", rnd.choice(ph.SUBWAY_LINES))
            if "{other_city}" in tpl:
                tpl = tpl.replace("{other_city}", rnd.choice(ph.OTHER_CITY_PLACES))
        if "[" in tpl:
            tpl = _resolve_josa(tpl)
        return _SPACES_RE.sub(" ", tpl).strip()

    def clause(
        self,
        area: str,
        sentiment: str,
        places: list[str],
        bank: dict[str, tuple[str, ...]] | None = None,
    ) -> str:
        """One clause of the given sentiment; names places[0] when places is non-empty."""
        rnd = self.rnd
        key = _SENT_KEY[sentiment]
        if bank is not None:
            tpls = bank.get(sentiment) or bank.get(key) or ()
            with_p = [t for t in tpls if "{place}" in t]
            without = [t for t in tpls if "{place}" not in t]
        else:
            with_p, without = self.split[(area, key)]
            r = rnd.random()
            if sentiment == "negative" and r < 0.10:
                without = list(ph.GENERIC["sarcasm"])
                with_p = []
            elif r < 0.38:
                without = list(ph.GENERIC[sentiment])
                with_p = [] if not places else with_p
        if places and with_p and rnd.random() < 0.7:
            tpl = self._pick(with_p)
            if "{place2}" in tpl and len(places) < 2:
                places = [places[0], self.pick_district(exclude=places[0])]
                # the caller re-scans the text, so an extra district is picked up there
            return self.fill(tpl, area, places)
        pool = without or with_p
        tpl = self._pick(pool)
        text = self.fill(tpl, area, places if "{place}" in tpl else [])
        if places and "{place}" not in tpl:
            if rnd.random() < 0.75:
                text = rnd.choice(_PLACE_CONTEXT_PRE).replace("{place}", places[0]) + text
            else:
                text = text + rnd.choice(_PLACE_CONTEXT_POST).replace("{place}", places[0])
        return text

    def _pick(self, pool: list[str] | tuple[str, ...]) -> str:
        """A template not yet used in the current post (if the pool allows)."""
        for _ in range(4):
            tpl = self.rnd.choice(pool)
            if tpl not in self.used:
                break
        self.used.add(tpl)
        return tpl

    def more(
        self,
        area: str,
        sentiment: str,
        bank: dict[str, tuple[str, ...]] | None,
        k: int,
        first: str,
    ) -> list[str]:
        """k further clauses without places, none repeating an earlier one."""
        out: list[str] = []
        for _ in range(k * 3):
            c = self.clause(area, sentiment, [], bank)
            if c not in first and c not in out:
                out.append(c)
            if len(out) == k:
                break
        return out

    def join(self, clauses: list[str], sentiment: str) -> str:
        """Clauses joined the way people type them: '.', '!', a space, a newline."""
        rnd = self.rnd
        out = clauses[0] if clauses else ""
        for c in clauses[1:]:
            if out[-1:] in _END_PUNCT:
                sep = rnd.choice((" ", " ", "\n"))
            else:
                sep = rnd.choice(_JOINERS[sentiment])
            out += sep + c
        return out

    def pii(self) -> tuple[str, str]:
        rnd = self.rnd
        kind = rnd.choices(
            ("phone", "rrn", "email", "card", "account"), weights=(0.4, 0.15, 0.2, 0.12, 0.13)
        )[0]
        if kind == "phone":
            mid, last = rnd.randint(1000, 9999), rnd.randint(1000, 9999)
            value = rnd.choice(
                (f"010-{mid}-{last}", f"010{mid}{last}", f"010 {mid} {last}", f"010.{mid}.{last}")
            )
        elif kind == "rrn":
            yy, mm, dd = rnd.randint(50, 99), rnd.randint(1, 12), rnd.randint(1, 28)
            value = f"{yy:02d}{mm:02d}{dd:02d}-{rnd.choice('12')}{rnd.randint(0, 999999):06d}"
        elif kind == "email":
            value = (
                f"{rnd.choice(ph.EMAIL_USERS)}{rnd.randint(1, 99)}@{rnd.choice(ph.EMAIL_DOMAINS)}"
            )
        elif kind == "card":
            value = "-".join(f"{rnd.randint(0, 9999):04d}" for _ in range(4))
            value = rnd.choice(("4", "5", "9")) + value[1:]
        else:
            value = (
                f"{rnd.choice(ph.BANKS)} {rnd.randint(100, 999)}-{rnd.randint(10, 99)}-"
                f"{rnd.randint(100000, 999999)}"
            )
        return kind, rnd.choice(ph.PII_TEMPLATES[kind]).replace("{pii}", value)

    def decorate(self, body: str, sentiment: str, channel: str) -> str:
        """Opener, tail, slang and occasional missing spaces around a clause."""
        rnd = self.rnd
        if rnd.random() < 0.45:
            pool = ph.OPENERS[sentiment] if rnd.random() < 0.6 else ph.OPENERS["any"]
            body = rnd.choice(pool) + body
        if rnd.random() < 0.62:
            tail = rnd.choice(ph.TAILS[sentiment])
            if tail:
                body = body + (" " if rnd.random() < 0.8 else "") + tail
        if rnd.random() < 0.12:
            body += " " + rnd.choice(ph.SLANG_SUFFIX)
        if channel == "x" and rnd.random() < 0.12:  # typing fast: spaces dropped
            body = "".join(c for c in body if c != " " or rnd.random() < 0.45)
        return body

    def citizen_text(
        self,
        area: str,
        sentiment: str,
        channel: str,
        places: list[str],
        bank: dict[str, tuple[str, ...]] | None = None,
        hashtags: tuple[str, ...] = (),
        hashtag_p: float = 0.3,
        with_pii: bool = False,
        mention: str | None = None,
    ) -> tuple[str, str, list[str]]:
        """Returns (text, text-before-despacing for district truth, pii kinds)."""
        rnd = self.rnd
        pii_kinds: list[str] = []
        self.used.clear()
        first = self.clause(area, sentiment, places, bank)
        if channel == "x":
            core = first
            if rnd.random() < 0.22:
                core = self.join([first, *self.more(area, sentiment, bank, 1, first)], sentiment)
        elif channel == "community":
            head = rnd.choice(ph.COMMUNITY_TAGS[sentiment]) + " "
            extra = self.more(area, sentiment, bank, rnd.randint(1, 3), first)
            core = f"{first}\n" + self.join(extra, sentiment)
        else:  # blog
            head = rnd.choice(ph.BLOG_TITLES[sentiment])
            extra = self.more(area, sentiment, bank, rnd.randint(2, 3), first)
            fillers = rnd.sample(ph.BLOG_FILLERS[sentiment], 2)
            core = f"{first}\n\n" + self.join([*extra, *fillers], sentiment)
        plain = core
        core = self.decorate(core, sentiment, channel)
        if channel != "x":
            core, plain = head + core, head + plain
        if with_pii:
            kind, sentence = self.pii()
            pii_kinds.append(kind)
            plain += " " + sentence
            core += (" " if rnd.random() < 0.7 else "\n") + sentence
        tags: list[str] = []
        if hashtags and rnd.random() < (hashtag_p if channel == "x" else hashtag_p * 0.5):
            k = 1 if rnd.random() < 0.6 else 2
            tags = rnd.sample(hashtags, min(k, len(hashtags)))
        if tags:
            core += " " + " ".join(tags)
            plain += " " + " ".join(tags)
        if mention:
            if rnd.random() < 0.5:
                core, plain = f"@{mention} {core}", f"@{mention} {plain}"
            else:
                core, plain = f"{core} @{mention}", f"{plain} @{mention}"
        if channel == "x" and rnd.random() < 0.04:
            url = rnd.choice(
                (
                    f"https://bit.ly/{self._slug(7)}",
                    f"https://news.example.com/article/{rnd.randint(10**6, 10**7)}",
                    f"https://blog.example.com/{self._slug(8)}",
                )
            )
            core += " " + url
        return core, plain, pii_kinds

    def _slug(self, n: int) -> str:
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
        return "".join(self.rnd.choice(alphabet) for _ in range(n))

    def headline(self, area: str, places: list[str], bank: tuple[str, ...] | None = None) -> str:
        rnd = self.rnd
        tpls = bank if bank is not None else ph.AREAS[area]["news"]
        if not places:
            tpls = [t for t in tpls if "{place}" not in t] or tpls
        tpl = rnd.choice(tpls)
        prefix = "" if tpl.startswith("[") else rnd.choice(ph.NEWS_PREFIXES)
        return prefix + self.fill(tpl, area, places, media=True)

    def announcement(
        self, area: str, places: list[str], bank: tuple[str, ...] | None = None
    ) -> str:
        rnd = self.rnd
        tpls = bank if bank is not None else ph.AREAS[area]["official"]
        if not places:
            tpls = [t for t in tpls if "{place}" not in t] or tpls
        text = self.fill(rnd.choice(tpls), area, places, media=True)
        text += rnd.choice(ph.OFFICIAL_SUFFIXES)
        if rnd.random() < 0.5:
            text += " " + " ".join(rnd.sample(ph.AREAS[area]["hashtags"], 1))
            if "#서울시" not in text:
                text += " #서울시"
        if rnd.random() < 0.3:
            text += " https://www.seoul.go.kr"
        return text

    def near_duplicate(self, text: str) -> str:
        rnd = self.rnd
        r = rnd.random()
        if r < 0.3:
            return text
        new = rnd.choice(ph.DUP_PREFIXES) + text
        if r < 0.6:
            new = new.rstrip() + rnd.choice(ph.DUP_SUFFIXES)
        elif r < 0.8:
            new = new.replace("ㅠㅠ", "ㅠ").replace("ㅋㅋㅋ", "ㅋㅋ").replace("!!", "!")
            if new == text:
                new = text + " " + rnd.choice(ph.SLANG_SUFFIX)
        else:
            words = new.split(" ")
            if len(words) > 3:
                i = rnd.randrange(len(words) - 1)
                words[i] = words[i] + words[i + 1]
                del words[i + 1]
            new = " ".join(words)
        return new


# ------------------------------------------------------------------------------------------------
# Accounts
# ------------------------------------------------------------------------------------------------
def _build_accounts(
    rng: np.random.Generator, rnd: random.Random, n_citizens: int, n_bots: int
) -> list[dict]:
    accounts: list[dict] = []
    taken: set[str] = set()

    def unique(handle: str) -> str:
        base, i = handle, 1
        while handle in taken:
            handle = f"{base}{i}"
            i += 1
        taken.add(handle)
        return handle

    for handle, display, dept, area in ph.OFFICIAL_ACCOUNTS:
        followers = 1_200_000 if handle == "seoulcity" else int(rng.integers(15_000, 250_000))
        accounts.append(
            {
                "author": unique(handle),
                "display_name": display,
                "kind": "official",
                "followers": followers,
                "department": dept,
                "policy_area": area,
            }
        )
    for handle, display in ph.MEDIA_ACCOUNTS:
        accounts.append(
            {
                "author": unique(handle),
                "display_name": display,
                "kind": "media",
                "followers": int(rng.lognormal(12.3, 0.8)),
            }
        )
    for handle, display, area in ph.INFLUENCERS:
        accounts.append(
            {
                "author": unique(handle),
                "display_name": display,
                "kind": "influencer",
                "followers": int(rng.integers(40_000, 400_000)),
                "policy_area": area,
            }
        )
    followers = rng.lognormal(4.6, 1.6, size=n_citizens).astype(int)
    missing = rng.random(n_citizens) < 0.08
    for i in range(n_citizens):
        r = rnd.random()
        if r < 0.4:
            handle = (
                rnd.choice(ph.HANDLE_PARTS)
                + rnd.choice(ph.HANDLE_PARTS)
                + str(rnd.randint(1, 9999))
            )
        elif r < 0.75:
            handle = (
                f"{rnd.choice(ph.HANDLE_WORDS)}_{rnd.choice(ph.HANDLE_PARTS)}{rnd.randint(0, 99)}"
            )
        else:
            handle = f"{rnd.choice(ph.HANDLE_PARTS)}.{rnd.choice(ph.HANDLE_WORDS)}"
        if rnd.random() < 0.5:
            display = rnd.choice(ph.DISPLAY_FIRST) + rnd.choice(("", "", "이", "💙", "🌸", "_"))
        else:
            display = rnd.choice(ph.DISPLAY_NICK)
        accounts.append(
            {
                "author": unique(handle),
                "display_name": display,
                "kind": "citizen",
                "followers": None if missing[i] else int(followers[i]),
            }
        )
    for _ in range(n_bots):
        handle = f"user{rnd.randint(10**7, 10**8 - 1)}"
        display = (
            rnd.choice(ph.DISPLAY_NICK) if rnd.random() < 0.5 else rnd.choice(ph.DISPLAY_FIRST)
        )
        accounts.append(
            {
                "author": unique(handle),
                "display_name": display,
                "kind": "bot",
                "followers": int(rng.integers(0, 40)),
            }
        )
    return accounts


# ------------------------------------------------------------------------------------------------
# Simulation
# ------------------------------------------------------------------------------------------------
class _Sim:
    def __init__(self, config: SimulationConfig) -> None:
        if config.days < 1 or config.posts_per_day < 1:
            raise ValueError("days and posts_per_day must be positive")
        self.cfg = config
        self.rng = np.random.default_rng(config.seed)
        self.rnd = random.Random(int(self.rng.integers(0, 2**62)))
        self.comp = _Composer(self.rnd)
        self.days = config.days
        self.end = float(config.days * DAY_S)
        self.weekend = [
            (config.start_day + dt.timedelta(days=d)).weekday() >= 5 for d in range(config.days)
        ]
        n_cit = int(min(60_000, max(400, config.posts_per_day * config.days * 0.045)))
        self.accounts = _build_accounts(
            self.rng, self.rnd, n_cit, n_bots=max(40, config.posts_per_day // 500)
        )
        by_kind: dict[str, list[dict]] = {}
        for a in self.accounts:
            by_kind.setdefault(a["kind"], []).append(a)
        self.by_kind = by_kind
        self.account = {a["author"]: a for a in self.accounts}
        cit = by_kind["citizen"]
        # Heavy-tailed activity, capped: uncapped, Pareto(1.3) lets one citizen write a tenth of
        # all citizen posts (100–200 a day), which no opinion-leader table should show as normal.
        # At 40× the least active, the busiest write about 15 a day on the demo's scale.
        act = np.minimum(self.rng.pareto(1.3, size=len(cit)) + 1.0, 40.0)
        self.citizen_handles = [a["author"] for a in cit]
        self.citizen_cum = np.cumsum(act / act.sum())
        self._buf: list[str] = []
        self.drafts: list[_Draft] = []
        self.events: list[dict] = []
        self.polls: list[dict] = []
        self.area_codes = list(ph.AREA_WEIGHTS)
        w = np.array([ph.AREA_WEIGHTS[a] for a in self.area_codes])
        self.area_p = w / w.sum()
        self.scale = config.posts_per_day / 2000

    # -- helpers ------------------------------------------------------------------------------
    def hour_weights(self, day: int) -> np.ndarray:
        w = _HOUR_WEEKEND if self.weekend[min(day, self.days - 1)] else _HOUR_WEEKDAY
        return w / w.sum()

    def citizens(self, n: int) -> list[str]:
        idx = np.searchsorted(self.citizen_cum, self.rng.random(n) * self.citizen_cum[-1])
        idx = np.minimum(idx, len(self.citizen_handles) - 1)
        return [self.citizen_handles[i] for i in idx]

    def citizen(self) -> str:
        """One citizen handle, drawn from a pre-sampled buffer (numpy per call is slow)."""
        if not self._buf:
            self._buf = self.citizens(4096)
            self._buf.reverse()
        return self._buf.pop()

    def times_in(self, start: float, end: float, n: int, shape: str = "flat") -> np.ndarray:
        """n instants in [start, end) following the daily rhythm and an intensity shape."""
        minutes = max(1, int((end - start) // 60))
        grid = start + 60.0 * np.arange(minutes)
        day = np.minimum((grid // DAY_S).astype(int), self.days - 1)
        hour = ((grid % DAY_S) // 3600).astype(int)
        w = np.where(np.array(self.weekend)[day], _HOUR_WEEKEND[hour], _HOUR_WEEKDAY[hour])
        frac = (grid - start) / max(end - start, 1.0)
        if shape == "spike":  # sharp rise, slow decay
            w = w * np.where(frac < 0.15, 0.3 + frac / 0.15, np.exp(-(frac - 0.15) * 2.2))
        elif shape == "ramp":  # emerging trend
            w = w * (0.05 + frac**2)
        w = w / w.sum()
        pick = self.rng.choice(minutes, size=n, p=w)
        return np.minimum(grid[pick] + self.rng.random(n) * 60.0, end - 1.0)

    def expected_originals(self, start: float, end: float) -> float:
        """Expected baseline original posts in a window (any area, any district)."""
        total, t = 0.0, start
        while t < end:
            day = min(int(t // DAY_S), self.days - 1)
            hour = int((t % DAY_S) // 3600)
            step = min(end, (t // 3600 + 1) * 3600) - t
            per_day = self.cfg.posts_per_day * _ORIGINAL_SHARE * _DAY_FACTOR[self.weekend[day]]
            total += per_day * self.hour_weights(day)[hour] * step / 3600
            t += step
        return total

    def add(self, draft: _Draft) -> int:
        self.drafts.append(draft)
        return len(self.drafts) - 1

    def citizen_post(
        self,
        t: float,
        author: str,
        area: str,
        sentiment: str,
        channel: str,
        places: list[str],
        kind: str = "original",
        event_id: str | None = None,
        bank: dict | None = None,
        hashtags: tuple[str, ...] | None = None,
        hashtag_p: float = 0.3,
        mention_p: float | None = None,
        bot: bool = False,
        poll_id: str | None = None,
        pii_p: float = _PII_P,
        officials: tuple[str, ...] | None = None,
    ) -> int:
        rnd = self.rnd
        mention = None
        mp = _MENTION_P[sentiment] if mention_p is None else mention_p
        if channel == "x" and rnd.random() < mp:
            mention = rnd.choice(officials or ph.AREAS[area]["officials"])
        tags = ph.AREAS[area]["hashtags"] if hashtags is None else hashtags
        text, plain, pii = self.comp.citizen_text(
            area,
            sentiment,
            channel,
            places,
            bank=bank,
            hashtags=tags,
            hashtag_p=hashtag_p,
            with_pii=rnd.random() < pii_p,
            mention=mention,
        )
        districts = self.comp.districts_in(plain)
        place = None
        if channel == "x" and districts and rnd.random() < 0.1:
            place = f"서울특별시 {districts[0]}"
        return self.add(
            _Draft(
                t,
                channel,
                author,
                text,
                sentiment,
                area,
                districts,
                kind,
                event_id=event_id,
                bot=bot,
                pii=pii,
                mentions=(mention,) if mention else (),
                poll_id=poll_id,
                place=place,
            )
        )

    def media_post(
        self,
        t: float,
        area: str,
        places: list[str],
        event_id: str | None = None,
        bank: tuple[str, ...] | None = None,
        channel: str | None = None,
    ) -> int:
        rnd = self.rnd
        media = rnd.choice(self.by_kind["media"])["author"]
        text = self.comp.headline(area, places, bank)
        ch = channel or ("news" if rnd.random() < 0.75 else "x")
        if ch == "x":
            text += f" https://news.example.com/{media}/{rnd.randint(10**5, 10**6)}"
        return self.add(
            _Draft(
                t,
                ch,
                media,
                text,
                "neutral",
                area,
                self.comp.districts_in(text),
                "news",
                event_id=event_id,
            )
        )

    def official_post(
        self,
        t: float,
        handle: str,
        area: str,
        places: list[str],
        event_id: str | None = None,
        bank: tuple[str, ...] | None = None,
    ) -> int:
        text = self.comp.announcement(area, places, bank)
        return self.add(
            _Draft(
                t,
                "x",
                handle,
                text,
                "neutral",
                area,
                self.comp.districts_in(text),
                "official",
                event_id=event_id,
            )
        )

    # -- baseline -----------------------------------------------------------------------------
    def baseline(self) -> None:
        rng, rnd, comp = self.rng, self.rnd, self.comp
        for day in range(self.days):
            mean = self.cfg.posts_per_day * _ORIGINAL_SHARE * _DAY_FACTOR[self.weekend[day]]
            n = round(mean * rng.lognormal(0.0, 0.03))
            if n <= 0:
                continue
            hours = rng.choice(24, size=n, p=self.hour_weights(day))
            ts = (day * DAY_S + hours * 3600 + rng.random(n) * 3600).tolist()
            channels = rng.choice(len(_CHANNELS), size=n, p=_CHANNEL_P).tolist()
            areas = rng.choice(len(self.area_codes), size=n, p=self.area_p).tolist()
            u_sent, u_dist, u_author = (
                rng.random(n).tolist(),
                rng.random(n).tolist(),
                rng.random(n),
            )
            authors = self.citizens(n)
            influencers = self.by_kind["influencer"]
            for i in range(n):
                channel = _CHANNELS[channels[i]]
                area = self.area_codes[areas[i]]
                p_d = _DISTRICT_P[channel] * (0.25 if area == "other" else 1.0)
                places = [comp.surface(comp.pick_district())] if u_dist[i] < p_d else []
                if channel == "news":
                    self.media_post(ts[i], area, places, channel="news")
                    continue
                neg, neu, _ = ph.AREA_SENTIMENT[area]
                s = u_sent[i]
                sentiment = "negative" if s < neg else "neutral" if s < neg + neu else "positive"
                if channel == "x" and rnd.random() < 0.006:
                    self.english_post(ts[i], authors[i], sentiment)
                    continue
                author = authors[i]
                if u_author[i] < 0.025:
                    author = rnd.choice(influencers)["author"]
                if places and rnd.random() < 0.06 and area == "transport_urban":
                    places.append(comp.surface(comp.pick_district()))
                self.citizen_post(ts[i], author, area, sentiment, channel, places)
        self.official_announcements()
        self.spam_bursts()

    def english_post(self, t: float, author: str, sentiment: str) -> None:
        area, text = self.rnd.choice(ph.ENGLISH_POSTS[sentiment])
        if self.rnd.random() < 0.3:
            text += " #Seoul"
        self.add(_Draft(t, "x", author, text, sentiment, area, [], "original", lang="en"))

    def official_announcements(self) -> None:
        rng, rnd = self.rng, self.rnd
        for acc in self.by_kind["official"]:
            rate = 1.5 if acc["author"] == "seoulcity" else 0.7
            for day in range(self.days):
                k = rng.poisson(rate * (0.5 if self.weekend[day] else 1.0))
                for _ in range(k):
                    t = day * DAY_S + rnd.uniform(8.5, 19.0) * 3600
                    area = acc["policy_area"]
                    if acc["author"] == "seoulcity":
                        area = rnd.choice(self.area_codes[:-1])
                    places = (
                        [self.comp.surface(self.comp.pick_district())]
                        if rnd.random() < 0.4
                        else []
                    )
                    self.official_post(t, acc["author"], area, places)

    def spam_bursts(self) -> None:
        rng, rnd = self.rng, self.rnd
        bots = [a["author"] for a in self.by_kind["bot"]]
        for _ in range(int(rng.poisson(0.5 * self.days))):
            t0 = rnd.uniform(0, self.end - 3600)
            tpl = rnd.choice(ph.SPAM_TEMPLATES)
            n_val = str(rnd.randint(2, 9))
            for author in rnd.sample(bots, rnd.randint(4, 8)):
                url = f"https://bit.ly/{self.comp._slug(7)}"
                text = tpl.replace("{n}", n_val).replace("{url}", url)
                if rnd.random() < 0.4:
                    text = rnd.choice(("", "📢", "✅", "💰")) + text
                t = t0 + rnd.uniform(0, 600)
                self.add(
                    _Draft(t, "x", author, text, "neutral", "economy_jobs", [], "spam", bot=True)
                )

    # -- planted events ---------------------------------------------------------------------------
    def _event_day(self, frac: float, want: str | None = None) -> int:
        day = round(frac * (self.days - 1))
        for d in range(day, self.days):
            if want == "weekday" and not self.weekend[d]:
                return d
            if want == "saturday" and (self.cfg.start_day + dt.timedelta(days=d)).weekday() == 5:
                return d
            if want is None:
                return d
        return day

    def _iso(self, t: float) -> str:
        start = dt.datetime.combine(self.cfg.start_day, dt.time(0), tzinfo=KST)
        return (start + dt.timedelta(seconds=int(t))).isoformat()

    def planted(self) -> None:
        specs = [
            # key, kind, area, district, hashtag, day frac, day rule, start h, hours, multiplier,
            # min posts, shape, sentiment mix (neg, neu, pos), place probability, description
            (
                "subway_outage",
                "negativity_spike",
                "transport_urban",
                "강남구",
                None,
                0.2,
                "weekday",
                7.75,
                4.0,
                6.0,
                20,
                "spike",
                (0.94, 0.05, 0.01),
                0.9,
                "출근 시간 지하철 2호선 강남역 일대 신호장애로 열차 운행 중단: 교통 분야 부정 여론 급증",
            ),
            (
                "fine_dust",
                "negativity_spike",
                "safety_environment",
                None,
                None,
                0.4,
                None,
                6.0,
                14.0,
                3.0,
                40,
                "flat",
                (0.78, 0.2, 0.02),
                0.25,
                "서울 전역 초미세먼지 주의보 발령: 안전·환경 분야 부정 여론 급증",
            ),
            (
                "festival",
                "volume_burst",
                "culture_sports",
                "마포구",
                "#레드로드페스티벌",
                0.3,
                "saturday",
                14.0,
                9.0,
                6.0,
                20,
                "flat",
                (0.06, 0.12, 0.82),
                0.85,
                "마포구 홍대 레드로드 페스티벌 개최: 문화·체육 분야 긍정 게시물 급증",
            ),
            (
                "hashtag_trend",
                "hashtag_burst",
                "transport_urban",
                None,
                "#한강버스출근챌린지",
                0.55,
                None,
                7.0,
                64.0,
                0.0,
                0,
                "ramp",
                (0.12, 0.18, 0.70),
                0.35,
                "신규 해시태그 #한강버스출근챌린지 확산: 한강버스 출근 인증 유행",
            ),
            (
                "welfare_delay",
                "negativity_spike",
                "health_welfare",
                "노원구",
                None,
                0.7,
                "weekday",
                9.0,
                9.0,
                6.0,
                20,
                "spike",
                (0.94, 0.05, 0.01),
                0.85,
                "노원구 기초생활 생계급여 지급 지연(전산 오류): 보건·복지 분야 부정 여론 급증",
            ),
            (
                "bot_campaign",
                "coordinated",
                "transport_urban",
                "강북구",
                "#모아타운결사반대",
                0.85,
                None,
                21.0,
                2.5,
                0.0,
                0,
                "flat",
                (1.0, 0.0, 0.0),
                0.6,
                "강북구 모아타운 반대 조직적 계정 캠페인: 다수 계정이 거의 같은 글을 수 분 간격으로 게시",
            ),
        ]
        for n, spec in enumerate(specs, start=1):
            (
                key,
                kind,
                area,
                district,
                hashtag,
                frac,
                rule,
                h0,
                hours,
                mult,
                min_posts,
                shape,
                mix,
                place_p,
                desc,
            ) = spec
            day = self._event_day(frac, rule)
            start = day * DAY_S + h0 * 3600
            end = min(start + hours * 3600, self.end)
            if end - start < 3600:
                start = max(0.0, end - hours * 3600)
            event_id = f"ev-{n:02d}-{key.replace('_', '-')}"
            before = len(self.drafts)
            baseline = self._plant(
                event_id,
                key,
                kind,
                area,
                district,
                hashtag,
                start,
                end,
                mult,
                min_posts,
                shape,
                mix,
                place_p,
            )
            self.events.append(
                {
                    "event_id": event_id,
                    "kind": kind,
                    "policy_area": area,
                    "district": district,
                    "hashtag": hashtag,
                    "start": self._iso(start),
                    "end": self._iso(end),
                    "expected_sentiment": "negative"
                    if mix[0] >= max(mix)
                    else ("positive" if mix[2] >= max(mix) else "neutral"),
                    "description": desc,
                    "planted_posts": len(self.drafts) - before,
                    "baseline_posts": round(baseline, 1),
                }
            )

    def _plant(
        self,
        event_id: str,
        key: str,
        kind: str,
        area: str,
        district: str | None,
        hashtag: str | None,
        start: float,
        end: float,
        mult: float,
        min_posts: int,
        shape: str,
        mix: tuple[float, float, float],
        place_p: float,
    ) -> float:
        """Adds the event's posts; returns the expected baseline posts of its slice."""
        rng, rnd, comp = self.rng, self.rnd, self.comp
        bank = ph.EVENT_PHRASES[key]
        base = self.expected_originals(start, end) * ph.AREA_WEIGHTS[area] * _CHANNEL_P[0]
        if district is not None:
            w = ph.DISTRICT_PLACES[district][0]
            base *= _DISTRICT_P["x"] * w / sum(v[0] for v in ph.DISTRICT_PLACES.values())
        if kind == "hashtag_burst":
            n = int(max(40, 0.05 * self.cfg.posts_per_day * (end - start) / DAY_S))
        elif kind == "coordinated":
            n = int(max(45, 0.006 * self.cfg.posts_per_day))
        else:
            n = int(max(min_posts, round(mult * base)))
        tags = tuple(bank["hashtags"])
        if hashtag:
            tags = tags + (hashtag,) * 3
        if kind == "coordinated":
            self._coordinated(event_id, bank, area, district, hashtag, start, end, n)
            return base
        ts = self.times_in(start, end, n, shape).tolist()
        authors = self.citizens(n)
        u = rng.random(n).tolist()
        place_forms = bank.get("places") or (ph.DISTRICT_PLACES[district][1] if district else ())
        officials = bank.get("officials") or ph.AREAS[area]["officials"]
        for i in range(n):
            s = u[i]
            sentiment = (
                "negative" if s < mix[0] else "neutral" if s < mix[0] + mix[1] else "positive"
            )
            places: list[str] = []
            if rnd.random() < place_p:
                if place_forms:
                    places = [rnd.choice(place_forms)]
                else:
                    places = [comp.surface(comp.pick_district())]
            r = rnd.random()
            if r < 0.035 and sentiment != "positive" and kind != "hashtag_burst":
                self.media_post(ts[i], area, places, event_id, bank["news"])
                continue
            if r < 0.05:
                self.official_post(ts[i], officials[0], area, places, event_id, bank["official"])
                continue
            hp = 0.85 if kind == "hashtag_burst" else 0.45
            ev_bank = {k: v for k, v in bank.items() if k in ("negative", "neutral", "positive")}
            if sentiment not in ev_bank:
                sentiment = max(ev_bank, key=lambda k: len(ev_bank[k]))
            idx = self.citizen_post(
                ts[i],
                authors[i],
                area,
                sentiment,
                "x",
                places,
                event_id=event_id,
                bank=ev_bank,
                hashtags=tags,
                hashtag_p=hp,
                officials=officials,
                mention_p=0.15 if sentiment == "negative" else 0.03,
            )
            d = self.drafts[idx]
            if (
                hashtag
                and kind == "hashtag_burst"
                and hashtag not in d.text
                and rnd.random() < 0.8
            ):
                d.text += " " + hashtag
        return base

    def _coordinated(
        self,
        event_id: str,
        bank: dict,
        area: str,
        district: str | None,
        hashtag: str | None,
        start: float,
        end: float,
        n: int,
    ) -> None:
        rnd, comp = self.rnd, self.comp
        bots = [a["author"] for a in self.by_kind["bot"]]
        crew = rnd.sample(bots, min(len(bots), max(25, n // 3)))
        waves = max(3, n // 12)
        wave_t = sorted(rnd.uniform(start, end - 900) for _ in range(waves))
        for i in range(n):
            tpl = bank["negative"][i % waves % len(bank["negative"])]  # each wave one script
            places = [rnd.choice(ph.DISTRICT_PLACES[district][1])] if district else []
            text = comp.fill(tpl, area, places)
            if "{place}" not in tpl and district and rnd.random() < 0.5:
                text = f"{places[0]} 주민입니다. {text}"
            text += rnd.choice(("", "!", "!!", " 😡", ".", " ‼️"))
            if hashtag:
                text += " " + hashtag
            if rnd.random() < 0.7:
                text += " @seoulcity"
            t = wave_t[i % waves] + rnd.uniform(0, 600)
            self.add(
                _Draft(
                    min(t, end - 1),
                    "x",
                    crew[i % len(crew)],
                    text,
                    "negative",
                    area,
                    comp.districts_in(text),
                    "original",
                    event_id=event_id,
                    bot=True,
                    mentions=("seoulcity",) if "@seoulcity" in text else (),
                )
            )

    # -- mVoting polls ----------------------------------------------------------------------------
    def mvoting(self) -> None:
        rng, rnd = self.rng, self.rnd
        for k, spec in enumerate(ph.POLL_SPECS, start=1):
            poll_id = f"mv-{k:03d}"
            open_day = round(spec["open_frac"] * (self.days - 1))
            length = max(1, min(spec["length"], self.days - open_day))
            opened = self.cfg.start_day + dt.timedelta(days=open_day)
            closed = opened + dt.timedelta(days=length - 1)
            total = int(rng.integers(3_000, 40_000))
            shares = np.array(spec["share"])
            age_p = np.array([0.05, 0.22, 0.28, 0.22, 0.14, 0.09])
            by_age = rng.multinomial(total, age_p / age_p.sum())
            age_break: dict[str, dict[str, int]] = {}
            totals = np.zeros(len(shares), dtype=int)
            for g, n_g in zip(ph.AGE_GROUPS, by_age, strict=True):
                p = rng.dirichlet(shares * 60)
                votes = rng.multinomial(int(n_g), p)
                totals += votes
                age_break[g] = dict(zip(spec["options"], map(int, votes), strict=True))
            gender_break: dict[str, dict[str, int]] = {g: {} for g in ph.GENDERS}
            for label, v in zip(spec["options"], totals, strict=True):
                male = int(rng.binomial(int(v), float(rng.uniform(0.4, 0.6))))
                gender_break["남성"][label] = male
                gender_break["여성"][label] = int(v) - male
            poll = {
                "poll_id": poll_id,
                "question": spec["question"],
                "policy_area": spec["policy_area"],
                "opened": opened.isoformat(),
                "closed": closed.isoformat(),
                "total_votes": int(totals.sum()),
                "options": [
                    {"label": lab, "votes": int(v)}
                    for lab, v in zip(spec["options"], totals, strict=True)
                ],
                "breakdown": {} if k == 4 else {"age": age_break, "gender": gender_break},
                "keyword": spec["keyword"],
                "keywords": [spec["keyword"]],
                "online_alignment": spec["alignment"],
                "online_sentiment": dict(zip(SENTIMENTS, spec["online"], strict=True)),
                "url": "https://mvoting.seoul.go.kr",
            }
            if poll["breakdown"]:  # also per option, the shape pipeline.sources.mvoting reads
                for opt in poll["options"]:
                    lab = opt["label"]
                    opt["breakdown"] = {
                        "age": {g: age_break[g][lab] for g in ph.AGE_GROUPS},
                        "gender": {g: gender_break[g][lab] for g in ph.GENDERS},
                    }
            self.polls.append(poll)
            n = int(max(12, 0.004 * self.cfg.posts_per_day * length))
            start, end = open_day * DAY_S, (open_day + length) * DAY_S
            ts = self.times_in(float(start), float(min(end, self.end)), n).tolist()
            authors = self.citizens(n)
            mix = spec["online"]
            for i in range(n):
                s = rnd.random()
                sentiment = (
                    "negative" if s < mix[0] else "neutral" if s < mix[0] + mix[1] else "positive"
                )
                tags = ("#엠보팅", "#서울시", "#" + spec["keyword"].replace(" ", ""))
                idx = self.citizen_post(
                    ts[i],
                    authors[i],
                    spec["policy_area"],
                    sentiment,
                    "x",
                    [],
                    bank=spec["posts"],
                    hashtags=tags,
                    hashtag_p=0.4,
                    poll_id=poll_id,
                )
                if rnd.random() < 0.15:
                    self.drafts[idx].text += " https://mvoting.seoul.go.kr"

    # -- derived posts ----------------------------------------------------------------------------
    def derived(self) -> None:
        rng, rnd = self.rng, self.rnd
        originals = [
            i for i, d in enumerate(self.drafts) if d.kind in ("original", "news", "official")
        ]
        n_orig = len(originals)
        followers = np.array([self._followers(self.drafts[i].author) for i in originals], float)
        channel = np.array([self.drafts[i].channel for i in originals])
        sent = np.array([self.drafts[i].sentiment for i in originals])
        w = (followers + 20.0) ** 0.35 * np.where(sent == "neutral", 0.6, 1.2)
        can_reply = np.isin(channel, ("x", "community"))
        is_x = channel == "x"

        def lam(mask: np.ndarray, rate: float) -> np.ndarray:
            ww = np.where(mask, w, 0.0)
            return ww * (rate * n_orig / max(ww.sum(), 1e-9))

        n_replies = rng.poisson(lam(can_reply, _REPLY_RATE))
        n_reposts = rng.poisson(lam(is_x, _REPOST_RATE))
        n_quotes = rng.poisson(lam(is_x, _QUOTE_RATE))
        dup_mask = np.isin(channel, ("x", "community", "blog"))
        n_dups = rng.poisson(np.where(dup_mask, _DUP_RATE * n_orig / max(dup_mask.sum(), 1), 0))
        for j, i in enumerate(originals):
            parent = self.drafts[i]
            for _ in range(int(n_replies[j])):
                self._reply(i, parent, parent.t + 30 + rng.exponential(35 * 60))
            for _ in range(int(n_reposts[j])):
                self._repost(i, parent, parent.t + 20 + rng.exponential(90 * 60))
            for _ in range(int(n_quotes[j])):
                self._quote(i, parent, parent.t + 60 + rng.exponential(120 * 60))
            for _ in range(int(n_dups[j])):
                t = parent.t + 120 + rng.exponential(6 * 3600)
                if t < self.end:
                    author = self.citizen()
                    ch = parent.channel if rnd.random() < 0.7 else rnd.choice(("x", "community"))
                    self.add(
                        _Draft(
                            t,
                            ch,
                            author,
                            self.comp.near_duplicate(parent.text),
                            parent.sentiment,
                            parent.area,
                            list(parent.districts),
                            "duplicate",
                            event_id=self._inherit_event(parent, t),
                            pii=list(parent.pii),
                            poll_id=parent.poll_id,
                        )
                    )
            if (
                parent.mentions
                and self.account[parent.author]["kind"] != "official"
                and rnd.random() < _OFFICIAL_REPLY_P
            ):
                self._official_reply(i, parent)

    def _followers(self, author: str) -> float:
        f = self.account[author]["followers"]
        return 50.0 if f is None else float(f)

    def _inherit_event(self, parent: _Draft, t: float) -> str | None:
        if parent.event_id is None:
            return None
        ev = next(e for e in self.events if e["event_id"] == parent.event_id)
        start = dt.datetime.fromisoformat(ev["start"])
        end = dt.datetime.fromisoformat(ev["end"])
        t0 = dt.datetime.combine(self.cfg.start_day, dt.time(0), tzinfo=KST)
        return parent.event_id if start <= t0 + dt.timedelta(seconds=t) <= end else None

    def _reply(self, i: int, parent: _Draft, t: float) -> None:
        if t >= self.end:
            return
        rnd = self.rnd
        s = parent.sentiment if rnd.random() < 0.68 else "neutral"
        author = self.citizen()
        if author == parent.author:
            author = self.citizen()
        text = rnd.choice(ph.CITIZEN_REPLIES[s])
        if parent.channel == "x":
            text = f"@{parent.author} {text}"
        if rnd.random() < 0.25:
            text += " " + rnd.choice(ph.TAILS[s])
        self.add(
            _Draft(
                t,
                parent.channel,
                author,
                text.strip(),
                s,
                parent.area,
                self.comp.districts_in(text),
                "reply",
                event_id=self._inherit_event(parent, t),
                parent=i,
                rel="reply_to",
                poll_id=parent.poll_id,
            )
        )

    def _repost(self, i: int, parent: _Draft, t: float) -> None:
        if t >= self.end:
            return
        author = self.citizen()
        text = f"RT @{parent.author}: {parent.text}"
        self.add(
            _Draft(
                t,
                "x",
                author,
                text,
                parent.sentiment,
                parent.area,
                list(parent.districts),
                "repost",
                event_id=self._inherit_event(parent, t),
                pii=list(parent.pii),
                parent=i,
                rel="repost_of",
                poll_id=parent.poll_id,
            )
        )

    def _quote(self, i: int, parent: _Draft, t: float) -> None:
        if t >= self.end:
            return
        rnd = self.rnd
        s = (
            parent.sentiment
            if parent.sentiment != "neutral" or rnd.random() < 0.5
            else rnd.choice(("negative", "positive"))
        )
        text = rnd.choice(ph.QUOTE_COMMENTS[s])
        if rnd.random() < 0.4:
            text += " " + rnd.choice(ph.TAILS[s])
        self.add(
            _Draft(
                t,
                "x",
                self.citizen(),
                text.strip(),
                s,
                parent.area,
                [],
                "quote",
                event_id=self._inherit_event(parent, t),
                parent=i,
                rel="quote_of",
                poll_id=parent.poll_id,
            )
        )

    def _official_reply(self, i: int, parent: _Draft) -> None:
        rng, rnd = self.rng, self.rnd
        handle = parent.mentions[0]
        t = parent.t
        day, hour = int(t // DAY_S), (t % DAY_S) / 3600
        if parent.event_id is not None and 7 <= hour < 21:
            t += 300 + rng.exponential(25 * 60)  # an incident desk answers fast
        elif not self.weekend[min(day, self.days - 1)] and 9 <= hour < 18:
            t += 600 + rng.exponential(70 * 60)
        else:  # next working morning
            d = day + (1 if hour >= 9 else 0)
            while d < self.days and self.weekend[d]:
                d += 1
            t = d * DAY_S + 9 * 3600 + rng.exponential(60 * 60)
        if t >= self.end:
            return
        s = "positive" if parent.sentiment == "positive" else "neutral"
        display = self.account[handle]["display_name"]
        text = f"@{parent.author} " + rnd.choice(ph.OFFICIAL_REPLIES[s]).replace(
            "{display}", display
        )
        self.add(
            _Draft(
                t,
                "x",
                handle,
                text,
                s,
                parent.area,
                [],
                "official_reply",
                event_id=self._inherit_event(parent, t),
                parent=i,
                rel="reply_to",
            )
        )

    # -- assembly -------------------------------------------------------------------------------
    def assemble(self) -> Simulation:
        rng = self.rng
        drafts = [d for d in self.drafts if 0 <= d.t < self.end]
        keep = {id(d) for d in drafts}
        order = sorted(range(len(self.drafts)), key=lambda k: (self.drafts[k].t, k))
        order = [k for k in order if id(self.drafts[k]) in keep]
        ids = {k: f"sim-{n:06d}" for n, k in enumerate(order)}
        n = len(order)
        reply_counts: dict[int, int] = {}
        for k in order:
            d = self.drafts[k]
            if d.rel == "reply_to" and d.parent is not None:
                reply_counts[d.parent] = reply_counts.get(d.parent, 0) + 1
        noise = rng.lognormal(0.0, 1.1, size=n).tolist()
        extra_replies = rng.poisson(0.3, size=n).tolist()
        view_mult = rng.integers(15, 80, size=n).tolist()
        share_p = rng.uniform(0.05, 0.3, size=n).tolist()
        u_share = rng.random(n).tolist()
        day_str = [
            (self.cfg.start_day + dt.timedelta(days=d)).isoformat() for d in range(self.days)
        ]
        posts: list[dict] = []
        truth: dict[str, dict] = {}
        boost = {"negative": 1.3, "positive": 1.1, "neutral": 0.7}
        for j, k in enumerate(order):
            d = self.drafts[k]
            pid = ids[k]
            acc = self.account[d.author]
            f = acc["followers"]
            sec = int(d.t)
            day, rest = divmod(sec, DAY_S)
            hh, rest = divmod(rest, 3600)
            mm, ss = divmod(rest, 60)
            post: dict = {
                "id": pid,
                "channel": d.channel,
                "created_at": f"{day_str[day]}T{hh:02d}:{mm:02d}:{ss:02d}+09:00",
                "text": d.text,
                "author": d.author,
            }
            if f is not None:
                post["author_followers"] = f
            base = ((50 if f is None else f) + 20) ** 0.5 * 0.25 * boost[d.sentiment] * noise[j]
            likes = int(base)
            if d.rel == "repost_of":
                post.update(likes=0, shares=0, replies=0)
            elif d.channel == "news":
                post["views"] = int(base * 300) + 100
            else:
                post["likes"] = likes
                post["replies"] = reply_counts.get(k, 0) + int(extra_replies[j])
                if d.channel == "x":
                    post["shares"] = int(likes * share_p[j] + (u_share[j] < 0.1))
                    post["views"] = (
                        likes * int(view_mult[j]) + int((50 if f is None else f) * 0.08) + 3
                    )
                else:
                    post["views"] = likes * 40 + int(noise[j] * 60) + 5
            if d.parent is not None and d.rel is not None and d.parent in ids:
                post[d.rel] = ids[d.parent]
            post["url"] = self._url(d, j)
            post["lang"] = d.lang
            if d.place:
                post["place"] = d.place
            posts.append(post)
            truth[pid] = {
                "sentiment": d.sentiment,
                "policy_area": d.area,
                "districts": list(d.districts),
                "event_id": d.event_id,
                "bot": acc["kind"] == "bot",
                "kind": d.kind,
                "pii": list(d.pii),
                "poll_id": d.poll_id,
            }
        per_event: dict[str, int] = {}
        for t in truth.values():
            if t["event_id"]:
                per_event[t["event_id"]] = per_event.get(t["event_id"], 0) + 1
        for ev in self.events:
            ev["planted_posts"] = per_event.get(ev["event_id"], 0)
        return Simulation(
            posts=posts,
            events=self.events,
            truth=truth,
            accounts=[dict(a) for a in self.accounts],
            polls=self.polls,
        )

    def _url(self, d: _Draft, j: int) -> str:
        if d.channel == "news":
            return f"https://news.example.com/{d.author}/article/{700_000 + j}"
        if d.channel == "blog":
            return f"https://blog.example.com/{d.author}/{220_000_000 + j}"
        if d.channel == "community":
            return f"https://community.example.com/seoul/{3_000_000 + j}"
        return f"https://x.com/{d.author}/status/{1_800_000_000_000_000_000 + j * 7919}"


def simulate(config: SimulationConfig) -> Simulation:
    """Simulates ``config.days`` days of Seoul civic posts; the same config gives the same output."""
    # Hundreds of thousands of small dicts make the cyclic GC rescan the heap again and again;
    # nothing here creates cycles, so it is paused for the run (and restored as it was).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        sim = _Sim(config)
        sim.baseline()
        if config.planted_events:
            sim.planted()
        sim.mvoting()
        sim.derived()
        return sim.assemble()
    finally:
        if gc_was_enabled:
            gc.enable()


def write_simulation(sim: Simulation, out_dir: Path) -> dict[str, Path]:
    """Writes posts.jsonl, events.json, truth.jsonl, accounts.csv and polls.json under out_dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        name: out_dir / fname
        for name, fname in (
            ("posts", "posts.jsonl"),
            ("events", "events.json"),
            ("truth", "truth.jsonl"),
            ("accounts", "accounts.csv"),
            ("polls", "polls.json"),
        )
    }
    with paths["posts"].open("w", encoding="utf-8") as fh:
        for post in sim.posts:
            fh.write(json.dumps(post, ensure_ascii=False) + "\n")
    with paths["truth"].open("w", encoding="utf-8") as fh:
        for pid, t in sim.truth.items():
            fh.write(json.dumps({"id": pid, **t}, ensure_ascii=False) + "\n")
    paths["events"].write_text(
        json.dumps(sim.events, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    paths["polls"].write_text(
        json.dumps(sim.polls, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    cols = ("author", "display_name", "kind", "followers", "department", "policy_area")
    with paths["accounts"].open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols)
        writer.writeheader()
        for acc in sim.accounts:
            writer.writerow({c: ("" if acc.get(c) is None else acc.get(c)) for c in cols})
    return paths


def bad_rows(seed: int = 0, n: int | None = None) -> list[str]:
    """Raw JSONL lines that a loader must quarantine or handle (one of each kind, or n cycled).

    Kinds, in order: malformed JSON, missing text, empty text, timestamp in the future,
    timestamp without offset (valid per interfaces.md: read as Asia/Seoul), NUL byte in text,
    100 KB text (over schema.MAX_TEXT_CHARS), missing id, non-integer likes, and a duplicate id
    (two otherwise valid lines sharing one id: the second is the duplicate).
    """
    rnd = random.Random(seed)
    base = f"2025-03-{rnd.randint(1, 28):02d}T{rnd.randint(0, 23):02d}:{rnd.randint(0, 59):02d}:00"

    def mk(i: int, **kw: object) -> str:
        row = {
            "id": f"bad-{seed}-{i:03d}",
            "channel": "x",
            "created_at": base + "+09:00",
            "text": "버스가 안 와요 ㅠㅠ",
            **kw,
        }
        return json.dumps(row, ensure_ascii=False)

    dup_id = f"bad-{seed}-dup"
    kinds = [
        f'{{"id": "bad-{seed}-000", "channel": "x", "created_at": "{base}+09:00", "text": "따릉이 고장',
        json.dumps({"id": f"bad-{seed}-001", "channel": "x", "created_at": base + "+09:00"}),
        mk(2, text=""),
        mk(3, created_at="2099-01-01T09:00:00+09:00"),
        mk(4, created_at=base),
        mk(5, text="지하철\x00 고장 났어요"),
        mk(6, text="가" * 100_000),
        json.dumps(
            {"channel": "x", "created_at": base + "+09:00", "text": "아이디 없음"},
            ensure_ascii=False,
        ),
        mk(8, likes="많음"),
        json.dumps(
            {
                "id": dup_id,
                "channel": "x",
                "created_at": base + "+09:00",
                "text": "마포구 쓰레기 좀 치워주세요",
            },
            ensure_ascii=False,
        ),
        json.dumps(
            {
                "id": dup_id,
                "channel": "x",
                "created_at": base + "+09:00",
                "text": "마포구 쓰레기 좀 치워주세요!!",
            },
            ensure_ascii=False,
        ),
    ]
    if n is None:
        return kinds
    return [kinds[i % len(kinds)] for i in range(n)]
