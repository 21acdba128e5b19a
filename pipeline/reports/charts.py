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


NETWORK_MAX_NODES = 25
_NET_NEU_COLOR = "#9e9ac8"
_NET_INK = "#1a1a1a"
_NET_SIZE = (5.6, 4.4)  # inches
_NET_AXES_H = 0.9  # share of the figure height below the title


def _network_graph(edges: Sequence[tuple[str, str, float]], max_nodes: int):
    """The graph a keyword map draws: duplicate pairs summed, the `max_nodes` strongest words
    (weighted degree) less those with no link among them, free places filled with the words of
    the strongest remaining links, and the links among the words (the strongest, always keeping
    each word's strongest link among them). Nodes and edges are added in sorted order, so the
    same links in any order give the same graph."""
    import networkx as nx

    weights: dict[tuple[str, str], float] = {}
    for a, b, w in edges:
        a, b, w = str(a), str(b), float(w)
        if a == b or not math.isfinite(w) or w <= 0:
            continue
        key = (a, b) if a < b else (b, a)
        weights[key] = weights.get(key, 0.0) + w
    strength: dict[str, float] = {}
    for (a, b), w in weights.items():
        strength[a] = strength.get(a, 0.0) + w
        strength[b] = strength.get(b, 0.0) + w
    top = set(sorted(strength, key=lambda n: (-strength[n], n))[:max_nodes])
    by_weight = sorted(((a, b, w) for (a, b), w in weights.items()), key=lambda e: (-e[2], *e[:2]))
    keep = {v for a, b, _ in by_weight if a in top and b in top for v in (a, b)}
    for a, b, _ in by_weight:
        new = {a, b} - keep
        if new and len(keep) + len(new) <= max_nodes:
            keep |= new
    inner = [(a, b, w) for a, b, w in by_weight if a in keep and b in keep]
    # Backbone first (a maximum spanning forest, by Kruskal on the sorted edges), then the
    # strongest of the rest up to a cap, so a dense chart does not become a hairball.
    parent: dict[str, str] = {}

    def root(n: str) -> str:
        while parent.get(n, n) != n:
            n = parent[n]
        return n

    chosen: list[tuple[str, str, float]] = []
    rest: list[tuple[str, str, float]] = []
    for a, b, w in inner:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[ra] = rb
            chosen.append((a, b, w))
        else:
            rest.append((a, b, w))
    cap = max(len(chosen), int(1.8 * len(keep)))
    chosen += rest[: max(0, cap - len(chosen))]
    graph = nx.Graph()
    nodes = sorted({n for a, b, _ in chosen for n in (a, b)})
    graph.add_nodes_from(nodes)
    for a, b, w in sorted(chosen, key=lambda e: (e[0], e[1])):
        graph.add_edge(a, b, weight=w)
    return graph


def _network_layout(graph, width: float, height: float, boxes):
    """Node positions (points) filling a `width` x `height` canvas.

    Kamada-Kawai on the whole graph, strong links short; words in different components get a
    finite distance, so small components sit beside the main one instead of being flung to the
    corners. The drawing is turned so its long side lies along the canvas, stretched to fill it,
    then label boxes (`boxes`: node -> (w, h, circle radius) in points) are pushed apart until
    none overlap, linked words further than others so the line between them shows, and circles
    are pushed off lines that do not end at them (which would look like a link).
    """
    import networkx as nx
    import numpy as np

    nodes = list(graph)
    n = len(nodes)
    if n == 1:
        return {nodes[0]: (width / 2, height / 2)}
    wmax = max(d["weight"] for _, _, d in graph.edges(data=True))
    length = nx.Graph()
    length.add_nodes_from(nodes)
    for a, b, d in graph.edges(data=True):
        # 1 for the strongest link, up to 1.8 for the weakest: clusters show, nothing collapses.
        length.add_edge(a, b, length=1.0 + 0.8 * (1.0 - math.sqrt(d["weight"] / wmax)))
    # Long paths shortened a little (** 0.8), so chains do not stretch while clusters stay tight.
    dist = {
        a: {b: d**0.8 for b, d in row.items()}
        for a, row in nx.shortest_path_length(length, weight="length")
    }
    diameter = {a: max(row.values()) for a, row in dist.items()}
    far = 0.4 * max(diameter.values()) + 1.0
    for a in nodes:
        row = dist[a]
        for b in nodes:
            if b not in row:
                # Other components: near enough to share the canvas, never nearer than their
                # own words are to each other.
                row[b] = max(far, 1.3 * min(diameter[a], diameter[b]))
    # Start on a circle with each component's words side by side (strongest components and
    # words first), which keeps the solver out of tangles where small components cross.
    strength = dict(graph.degree(weight="weight"))
    comps = sorted(
        (sorted(c, key=lambda v: (-strength[v], v)) for c in nx.connected_components(graph)),
        key=lambda c: (-sum(strength[v] for v in c), c[0]),
    )
    ring = [v for c in comps for v in c]
    init = {
        v: (math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n))
        for i, v in enumerate(ring)
    }
    raw = nx.kamada_kawai_layout(length, dist=dist, pos=init)
    xy = np.array([raw[v] for v in nodes], dtype=float)
    xy -= xy.mean(axis=0)
    # Principal axis horizontal; each axis's sign fixed by its skew, so the picture does not
    # mirror itself over tiny numeric differences.
    _, vecs = np.linalg.eigh(np.cov(xy.T) + 1e-12 * np.eye(2))
    xy = xy @ vecs[:, ::-1]
    for k in range(2):
        skew = float((xy[:, k] ** 3).sum())
        if skew < -1e-9 or (abs(skew) <= 1e-9 and xy[0, k] < 0):
            xy[:, k] *= -1
    bw = np.array([boxes[v][0] for v in nodes])
    bh = np.array([boxes[v][1] for v in nodes])
    lo_x, hi_x = bw / 2 + 2, width - bw / 2 - 2
    lo_y, hi_y = bh / 2 + 2, height - bh / 2 - 2
    # Air between boxes while pushing, so packed clusters open up; more between linked words.
    adjacent = nx.to_numpy_array(graph, nodelist=nodes, weight=None) > 0
    gap = np.where(adjacent, 18.0, 8.0)
    span = xy.max(axis=0) - xy.min(axis=0)
    span[span == 0] = 1.0
    unit = (xy - xy.min(axis=0)) / span  # 0..1 on both axes
    margin_x, margin_y = bw.max() / 2 + 8, bh.max() / 2 + 8
    x = margin_x + unit[:, 0] * (width - 2 * margin_x)
    y = margin_y + unit[:, 1] * (height - 2 * margin_y)
    index = {v: i for i, v in enumerate(nodes)}
    ea = np.array([index[a] for a, _ in graph.edges()], dtype=int)
    eb = np.array([index[b] for _, b in graph.edges()], dtype=int)
    # (node, line) pairs to keep apart: lines that do not end at the node.
    idx = np.arange(n)
    foreign = (idx[:, None] != ea[None, :]) & (idx[:, None] != eb[None, :])
    clearance = np.array([boxes[v][2] for v in nodes])[:, None] + 4.0
    for _ in range(300):
        # Overlapping boxes move apart along the axis where they overlap least.
        dx = x[:, None] - x[None, :]
        dy = y[:, None] - y[None, :]
        ox = (bw[:, None] + bw[None, :]) / 2 + gap - np.abs(dx)
        oy = (bh[:, None] + bh[None, :]) / 2 + gap - np.abs(dy)
        hit = (ox > 0) & (oy > 0) & (idx[:, None] != idx[None, :])
        tie = np.where(idx[:, None] > idx[None, :], 1.0, -1.0)
        sx = np.where(dx != 0, np.sign(dx), tie)
        sy = np.where(dy != 0, np.sign(dy), tie)
        along_x = hit & (ox * height <= oy * width)
        along_y = hit & ~along_x
        step_x = 0.5 * np.where(along_x, sx * (ox / 2 + 0.5), 0.0).sum(axis=1)
        step_y = 0.5 * np.where(along_y, sy * (oy / 2 + 0.5), 0.0).sum(axis=1)
        # A circle lying on a foreign line moves off it, at right angles to the line.
        ax_, ay_ = x[ea][None, :], y[ea][None, :]
        ux, uy = x[eb][None, :] - ax_, y[eb][None, :] - ay_
        seg2 = np.maximum(ux**2 + uy**2, 1e-9)
        t = np.clip(((x[:, None] - ax_) * ux + (y[:, None] - ay_) * uy) / seg2, 0.0, 1.0)
        px, py = x[:, None] - (ax_ + t * ux), y[:, None] - (ay_ + t * uy)
        d = np.hypot(px, py)
        on_line = foreign & (d < clearance) & (t > 0.0) & (t < 1.0)
        seg = np.sqrt(seg2)
        nx_ = np.where(d > 1e-6, px / np.maximum(d, 1e-6), -uy / seg)
        ny_ = np.where(d > 1e-6, py / np.maximum(d, 1e-6), ux / seg)
        push = np.where(on_line, 0.5 * (clearance - d + 0.5), 0.0)
        step_x += (push * nx_).sum(axis=1)
        step_y += (push * ny_).sum(axis=1)
        if not hit.any() and not on_line.any():
            break
        x = np.clip(x + step_x, lo_x, np.maximum(lo_x, hi_x))
        y = np.clip(y + step_y, lo_y, np.maximum(lo_y, hi_y))
    return {v: (float(x[i]), float(y[i])) for i, v in enumerate(nodes)}


def keyword_network(
    edges: Sequence[tuple[str, str, float]],
    *,
    title: str,
    negative: Sequence[str] = (),
    positive: Sequence[str] = (),
) -> str:
    """Co-occurrence network of keywords; node colour shows whether a word leans 부정/긍정.

    Shows the NETWORK_MAX_NODES words with the largest weighted degree and the strongest links
    among them. Node size and label size grow with a word's weighted degree, line width and
    opacity with the co-occurrence count. Deterministic: the same links give the same SVG.
    """
    from matplotlib import patheffects
    from matplotlib.collections import LineCollection
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    graph = _network_graph(edges, NETWORK_MAX_NODES)
    neg, pos = set(negative), set(positive)
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=_NET_SIZE)
        width, height = _NET_SIZE[0] * 72, _NET_SIZE[1] * 72 * _NET_AXES_H
        ax = fig.add_axes((0.0, 0.0, 1.0, _NET_AXES_H))
        ax.set_axis_off()
        ax.set_xlim(0, width)
        ax.set_ylim(0, height)
        ax.set_title(title, loc="left")
        if graph.number_of_nodes() == 0:
            ax.text(width / 2, height / 2, "연관어 자료 없음", ha="center", va="center")
            return _svg_uri(fig)
        strength = dict(graph.degree(weight="weight"))
        smax = max(strength.values())
        smin = min(strength.values())
        rel = {
            v: math.sqrt((s - smin) / (smax - smin)) if smax > smin else 1.0
            for v, s in strength.items()
        }
        font = FontProperties(family=FONT_FAMILY)
        radius = {v: 6.0 + 8.0 * rel[v] for v in graph}

        def measure(scale: float) -> tuple[dict[str, float], dict[str, tuple]]:
            sizes, boxes = {}, {}
            for v in graph:
                sizes[v] = scale * (9.5 + 4.0 * rel[v])
                font.set_size(sizes[v])
                text_w = text_to_path.get_text_width_height_descent(v, font, ismath=False)[0]
                boxes[v] = (
                    max(text_w + 6, 2 * radius[v] + 3),
                    max(sizes[v] * 1.25 + 2, 2 * radius[v] + 3),
                    radius[v],
                )
            return sizes, boxes

        sizes, boxes = measure(1.0)
        # Labels (with air) covering much of the canvas cannot all be kept apart: shrink them a
        # little. Typical charts use a quarter to a third of it and keep their sizes.
        crowd = sum((w + 8) * (h + 8) for w, h, _ in boxes.values()) / (width * height)
        if crowd > 0.4:
            sizes, boxes = measure(max(0.75, math.sqrt(0.4 / crowd)))
        xy = _network_layout(graph, width, height, boxes)
        wmax = max(d["weight"] for _, _, d in graph.edges(data=True))
        segs, lws, colors = [], [], []
        for a, b, d in sorted(graph.edges(data=True), key=lambda e: (e[2]["weight"], e[0], e[1])):
            t = math.sqrt(d["weight"] / wmax)
            segs.append([xy[a], xy[b]])
            lws.append(0.7 + 4.3 * t)
            colors.append((0.42, 0.42, 0.5, 0.35 + 0.5 * t))
        ax.add_collection(
            LineCollection(
                segs,
                linewidths=lws,
                colors=colors,
                capstyle="round",
                zorder=1,
                gid="keyword-links",
            )
        )
        # Small nodes first, so the big ones (and their labels) end up on top. The label groups
        # (`keyword-label-<i>`) follow the same order as the circles in `keyword-nodes`.
        order = sorted(graph, key=lambda v: (strength[v], v))
        ax.scatter(
            [xy[v][0] for v in order],
            [xy[v][1] for v in order],
            s=[(2 * radius[v]) ** 2 for v in order],
            c=[
                NEG_COLOR if v in neg else POS_COLOR if v in pos else _NET_NEU_COLOR for v in order
            ],
            alpha=0.9,
            edgecolors="white",
            linewidths=1.2,
            zorder=2,
            gid="keyword-nodes",
        )
        # A white outline under each label keeps it readable over lines and circles. Drawn as a
        # separate stroke-only text: `withStroke` would also inline every glyph of the label
        # itself, doubling the SVG, where plain text reuses one definition per glyph.
        halo = [patheffects.Stroke(linewidth=3.5, foreground="white")]
        for i, v in enumerate(order):
            for effects, z, gid in ((halo, 3, None), (None, 4, f"keyword-label-{i}")):
                ax.text(
                    xy[v][0],
                    xy[v][1],
                    v,
                    ha="center",
                    va="center_baseline",
                    fontsize=sizes[v],
                    color=_NET_INK,
                    path_effects=effects,
                    zorder=z,
                    gid=gid,
                )
        return _svg_uri(fig)
