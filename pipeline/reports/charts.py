"""Charts for the briefing: matplotlib figures drawn with NanumGothic, returned as SVG data URIs.

Figures are built with `matplotlib.figure.Figure` (no pyplot state) inside an `rc_context`, so rendering
a briefing never changes the caller's matplotlib settings. Text is drawn as paths: a chart shows Korean
correctly whatever fonts the viewer has.
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import io
import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.figure import Figure

FONT_FAMILY = "NanumGothic"
NEG_COLOR = "#d6604d"
NEU_COLOR = "#bababa"
POS_COLOR = "#4393c3"
BASE_COLOR = "#222222"


@functools.cache
def korean_font_path() -> Path:
    """NanumGothic shipped inside the koreanize-matplotlib wheel, registered with matplotlib."""
    # Located without importing the package: importing it changes matplotlib's global settings.
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("koreanize-matplotlib is not installed (it ships NanumGothic)")
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / "NanumGothic.ttf"
    if not path.is_file():
        raise FileNotFoundError(f"NanumGothic.ttf not found at {path}")
    font_manager.fontManager.addfont(str(path))
    return path


def _rc() -> dict[str, object]:
    korean_font_path()
    return {
        "font.family": FONT_FAMILY,
        "axes.unicode_minus": False,
        "svg.fonttype": "path",
        "svg.hashsalt": "minsim",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 12,
        "font.size": 10.5,
        "legend.fontsize": 9,
    }


def _svg_uri(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def area_sentiment_bars(
    labels: Sequence[str],
    negative: Sequence[int],
    neutral: Sequence[int],
    positive: Sequence[int],
    baseline: Sequence[float],
    *,
    baseline_label: str = "지난 7일 하루 평균",
) -> str:
    """Stacked horizontal bars (부정/중립/긍정) per policy area with a marker at the baseline volume."""
    with matplotlib.rc_context(_rc()):
        n = len(labels)
        fig = Figure(figsize=(5.6, 0.36 * n + 1.3))
        ax = fig.add_subplot()
        ys = list(range(n))[::-1]
        left = [0.0] * n
        for vals, color, name in (
            (negative, NEG_COLOR, "부정"),
            (neutral, NEU_COLOR, "중립"),
            (positive, POS_COLOR, "긍정"),
        ):
            ax.barh(ys, vals, left=left, color=color, label=name, height=0.62)
            left = [a + b for a, b in zip(left, vals, strict=True)]
        ax.scatter(
            baseline,
            ys,
            marker="|",
            s=260,
            linewidths=2.2,
            color=BASE_COLOR,
            label=baseline_label,
            zorder=3,
        )
        ax.set_yticks(ys, labels)
        ax.set_xlabel("게시물 수")
        ax.legend(
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            frameon=False,
            ncols=4,
            handlelength=1.2,
            columnspacing=1.0,
        )
        ax.grid(axis="x", alpha=0.3)
        return _svg_uri(fig)


def daily_trend(
    days: Sequence[str],
    posts: Sequence[int],
    negative_share: Sequence[float],
    highlight: Sequence[bool],
) -> str:
    """Daily volume (bars; the reported period highlighted) and the negative share (line)."""
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(5.6, 3.0))
        ax = fig.add_subplot()
        xs = list(range(len(days)))
        colors = ["#2166ac" if h else "#9ecae1" for h in highlight]
        ax.bar(xs, posts, color=colors, width=0.7)
        ax.set_ylabel("게시물 수")
        step = max(1, math.ceil(len(days) / 7))
        ax.set_xticks(xs[::step], [d[5:] for d in days][::step])
        ax2 = ax.twinx()
        ax2.plot(
            xs, [s * 100 for s in negative_share], color=NEG_COLOR, marker="o", lw=1.8, ms=3.5
        )
        ax2.set_ylabel("부정 비율 (%)", color=NEG_COLOR)
        ax2.set_ylim(0, max(60.0, max((s * 100 for s in negative_share), default=0) * 1.15))
        ax2.spines["right"].set_visible(True)
        ax.set_title("일별 게시물 수와 부정 비율", loc="left")
        return _svg_uri(fig)


def keyword_network(
    edges: Sequence[tuple[str, str, float]],
    *,
    title: str,
    negative: Sequence[str] = (),
    positive: Sequence[str] = (),
) -> str:
    """Co-occurrence network of keywords; node colour shows whether a word leans 부정/긍정."""
    import networkx as nx

    graph = nx.Graph()
    for a, b, w in edges:
        graph.add_edge(a, b, weight=float(w))
    neg, pos = set(negative), set(positive)
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(5.0, 4.0))
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.set_title(title, loc="left")
        if graph.number_of_nodes() == 0:
            ax.text(0.5, 0.5, "연관어 자료 없음", ha="center", va="center")
            return _svg_uri(fig)
        pos_xy = nx.spring_layout(graph, seed=7, weight="weight", k=1.2 / math.sqrt(len(graph)))
        wmax = max(d["weight"] for _, _, d in graph.edges(data=True)) or 1.0
        for a, b, d in graph.edges(data=True):
            (x1, y1), (x2, y2) = pos_xy[a], pos_xy[b]
            ax.plot(
                [x1, x2],
                [y1, y2],
                color="#888888",
                alpha=0.55,
                lw=0.6 + 3.0 * d["weight"] / wmax,
                zorder=1,
            )
        strength = dict(graph.degree(weight="weight"))
        smax = max(strength.values()) or 1.0
        for node, (x, y) in pos_xy.items():
            color = NEG_COLOR if node in neg else POS_COLOR if node in pos else "#9e9ac8"
            ax.scatter(
                [x],
                [y],
                s=120 + 700 * strength[node] / smax,
                color=color,
                alpha=0.85,
                zorder=2,
                edgecolors="white",
            )
            ax.text(x, y, node, ha="center", va="center", fontsize=9, zorder=3)
        ax.margins(0.12)
        return _svg_uri(fig)
