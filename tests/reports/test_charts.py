"""The keyword network chart: which words it draws, their colours, a readable layout, determinism.

Labels are drawn as paths (`svg.fonttype` is 'path'), so the words are read back from the comment
matplotlib writes inside each text group (`<!-- 센터 -->`); the chart tags its label groups
`keyword-label-<i>` in the same order as the circles in the `keyword-nodes` group.
"""

from __future__ import annotations

import base64
import itertools
import re

import matplotlib
import networkx as nx
import pytest

from pipeline.reports import charts

# Co-occurrence counts as they come from keyword_links (demo warehouse, 전체, one day).
EDGES: list[tuple[str, str, float]] = [
    ("센터", "주민", 58), ("시장", "전통", 36), ("공공", "시설", 26), ("센터", "지원", 24),
    ("기후동행카드", "따릉이", 18), ("신청", "주민", 16), ("도서관", "서울", 15),
    ("공공", "서울시", 15), ("공공", "일자리", 14), ("버스", "지하철", 14), ("공유", "신청", 14),
    ("신청", "지원", 14), ("이번", "정리", 13), ("신청", "이번", 13), ("서울", "시간", 13),
    ("센터", "안심", 12), ("서울", "주말", 12), ("센터", "신청", 11), ("신청", "정리", 10),
    ("감사", "서울", 10), ("야간", "축제", 9), ("시간", "지하철", 9), ("서울시", "시설", 9),
    ("덕분", "센터", 9), ("공원", "서울", 9), ("서울시", "센터", 9), ("도서관", "시간", 8),
    ("감사", "덕분", 8), ("이번", "주말", 8), ("대기", "센터", 8), ("정보", "지원", 8),
    ("공유", "지원", 8), ("생각", "서울", 8), ("덕분", "주민", 8), ("서울", "축제", 8),
    ("센터", "일자리", 7), ("주차", "축제", 7), ("이번", "전통", 7), ("시장", "이번", 7),
    ("공유", "참고", 7), ("대기", "안심", 7), ("서울시", "일자리", 7), ("신청", "정보", 7),
    ("지원", "참고", 7), ("센터", "정보", 7), ("기후동행카드", "서울시", 7), ("공유", "주민", 7),
    ("서울", "정보", 7), ("서울", "지하철", 7), ("서울시", "지원", 7), ("민원", "주민", 6),
    ("따릉이", "서울", 6), ("이번", "정보", 6), ("질문", "참고", 6), ("지하철", "참고", 6),
    ("강남구", "센터", 6), ("신청", "질문", 6), ("시장", "지원", 6), ("#서울시", "전세", 6),
    ("안심", "재난문자", 5), ("일자리", "전통", 5), ("도서관", "축제", 5), ("정보", "질문", 5),
]  # fmt: skip
NEUTRAL = "#9e9ac8"
CANVAS = (400.0, 290.0)


def _svg(uri: str) -> str:
    prefix = "data:image/svg+xml;base64,"
    assert uri.startswith(prefix)
    svg = base64.b64decode(uri[len(prefix) :]).decode("utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and svg.rstrip().endswith("</svg>")
    return svg


def _labels(svg: str) -> list[str]:
    """Drawn words, in drawing order."""
    found = re.findall(r'<g id="keyword-label-(\d+)">\s*<!-- (.*?) -->', svg)
    assert [int(i) for i, _ in found] == list(range(len(found)))
    return [word for _, word in found]


def _node_fills(svg: str) -> list[str]:
    group = re.search(r'<g id="keyword-nodes">(.*?)\n   </g>', svg, re.DOTALL)
    assert group, "no node group"
    return re.findall(r'style="fill: (#[0-9a-f]{6})', group.group(1))


def _expected_words(edges: list[tuple[str, str, float]], n: int = 25) -> set[str]:
    """Reference: the n strongest words (ties by name) that keep a link among them, free places
    filled with the words of the strongest other links (edges here: distinct pairs, no loops)."""
    strength: dict[str, float] = {}
    for a, b, w in edges:
        strength[a] = strength.get(a, 0) + w
        strength[b] = strength.get(b, 0) + w
    top = set(sorted(strength, key=lambda v: (-strength[v], v))[:n])
    words = {v for a, b, _ in edges if a in top and b in top for v in (a, b)}
    for a, b, _ in sorted(edges, key=lambda e: (-e[2], min(e[:2]), max(e[:2]))):
        if {a, b} - words and len(words | {a, b}) <= n:
            words |= {a, b}
    return words


def _chart(edges: list[tuple[str, str, float]], **kw: object) -> str:
    return _svg(charts.keyword_network(edges, title=kw.pop("title", "전체 연관어 네트워크"), **kw))


def test_draws_the_strongest_words_with_title() -> None:
    svg = _chart(EDGES)
    assert "<!-- 전체 연관어 네트워크 -->" in svg
    words = _labels(svg)
    assert len(words) == len(set(words)) == len(_node_fills(svg))
    assert set(words) == _expected_words(EDGES)
    assert len(words) <= charts.NETWORK_MAX_NODES
    assert "연관어 자료 없음" not in svg
    # Biggest words last (on top): the hub of this sample is drawn last.
    assert words[-1] == "센터"


def test_many_words_are_cut_to_the_strongest_25() -> None:
    hubs = [f"핵심{i:02d}" for i in range(20)]
    minor = [f"기타{i:02d}" for i in range(40)]
    edges = [(a, b, 30.0) for a, b in itertools.combinations(hubs, 2)]
    edges += [(m, hubs[i % len(hubs)], 2.0) for i, m in enumerate(minor)]
    edges += [(a, b, 1.0) for a, b in itertools.pairwise(minor)]
    words = _labels(_chart(edges))
    assert len(words) == charts.NETWORK_MAX_NODES
    assert set(hubs) <= set(words)
    assert set(words) == _expected_words(edges)


def test_top_words_without_links_among_them_leave_room_for_strong_links() -> None:
    # The 25 strongest words (weighted degree 10 each) link only to weak words of their own, never
    # to each other. Instead of an empty chart, the strongest links fill it.
    hubs = [f"허브{i:02d}" for i in range(25)]
    edges = [(h, f"{h}-주변{j}", 1.0) for h in hubs for j in range(10)]
    edges += [("버스", "지하철", 5.0), ("지하철", "출근길", 4.0)]
    svg = _chart(edges)
    words = _labels(svg)
    assert "연관어 자료 없음" not in svg
    assert {"버스", "지하철", "출근길"} <= set(words)
    assert len(words) == charts.NETWORK_MAX_NODES
    assert set(words) == _expected_words(edges)


def test_isolated_leftovers_are_dropped() -> None:
    # 외톨이 is among the strongest words, but only through links to words that are cut.
    core = [f"단어{i:02d}" for i in range(24)]
    edges = [(a, b, 10.0) for a, b in itertools.combinations(core, 2)]
    edges += [("외톨이", f"희귀{i:02d}", 1.0) for i in range(300)]
    words = _labels(_chart(edges))
    assert "외톨이" not in words
    assert set(words) == set(core)


def test_deterministic_and_independent_of_edge_order() -> None:
    kw = {"negative": ["대기", "주차"], "positive": ["감사", "덕분"]}
    first = charts.keyword_network(EDGES, title="t", **kw)
    assert charts.keyword_network(EDGES, title="t", **kw) == first
    shuffled = [(b, a, w) for a, b, w in reversed(EDGES)]
    assert charts.keyword_network(shuffled, title="t", **kw) == first


def test_repeated_pairs_are_summed() -> None:
    split = [("지하철", "버스", 4), ("버스", "지하철", 6), ("서울", "버스", 3)]
    merged = [("버스", "지하철", 10), ("버스", "서울", 3)]
    assert charts.keyword_network(split, title="t") == charts.keyword_network(merged, title="t")
    assert charts.keyword_network(split, title="t") != charts.keyword_network(
        [("버스", "지하철", 6), ("버스", "서울", 3)], title="t"
    )


@pytest.mark.parametrize(
    "edges",
    [[], [("서울", "서울", 5)], [("서울", "버스", 0)], [("서울", "버스", float("nan"))]],
    ids=["none", "self-loop", "zero", "nan"],
)
def test_no_links_gives_the_empty_message(edges: list[tuple[str, str, float]]) -> None:
    svg = _chart(edges, title="교통 연관어 네트워크")
    assert "<!-- 연관어 자료 없음 -->" in svg
    assert "<!-- 교통 연관어 네트워크 -->" in svg
    assert "keyword-nodes" not in svg and _labels(svg) == []


def test_node_colours_follow_sentiment() -> None:
    negative, positive = ["안심", "주말", "대기", "목록에만있음"], ["덕분", "따릉이", "감사"]
    svg = _chart(EDGES, negative=negative, positive=positive)
    colour = dict(zip(_labels(svg), _node_fills(svg), strict=True))
    expected = {
        w: charts.NEG_COLOR if w in negative else charts.POS_COLOR if w in positive else NEUTRAL
        for w in colour
    }
    assert colour == expected
    assert {"안심", "주말", "덕분", "따릉이", "센터"} <= set(colour)
    assert "대기" not in colour and "감사" not in colour  # listed, but not among the top words
    assert colour["안심"] == charts.NEG_COLOR and colour["주말"] == charts.NEG_COLOR
    assert colour["덕분"] == charts.POS_COLOR and colour["센터"] == NEUTRAL


def _boxes(graph: nx.Graph) -> dict[str, tuple[float, float, float]]:
    """Label boxes about the size the chart uses: (width, height, circle radius) in points."""
    return {v: (11.0 * len(v) + 6, 16.0, 6.0) for v in graph}


def test_layout_fills_the_canvas_without_overlapping_labels() -> None:
    graph = charts._network_graph(EDGES, charts.NETWORK_MAX_NODES)
    width, height = CANVAS
    boxes = _boxes(graph)
    xy = charts._network_layout(graph, width, height, boxes)
    assert set(xy) == set(graph)
    xs, ys = [p[0] for p in xy.values()], [p[1] for p in xy.values()]
    for v, (x, y) in xy.items():
        w, h, _ = boxes[v]
        assert w / 2 <= x <= width - w / 2 and h / 2 <= y <= height - h / 2, v
    # Spread over the canvas, not crammed into a corner or a strip.
    assert max(xs) - min(xs) > 0.7 * width and max(ys) - min(ys) > 0.7 * height
    for a, b in itertools.combinations(graph, 2):
        (xa, ya), (xb, yb) = xy[a], xy[b]
        apart_x = abs(xa - xb) >= (boxes[a][0] + boxes[b][0]) / 2
        apart_y = abs(ya - yb) >= (boxes[a][1] + boxes[b][1]) / 2
        assert apart_x or apart_y, f"labels {a} and {b} overlap"


def test_small_components_stay_near_the_main_one() -> None:
    edges = [*EDGES, ("한강버스", "출근챌린지", 40.0), ("횡단보도", "신호", 30.0)]
    graph = charts._network_graph(edges, charts.NETWORK_MAX_NODES)
    xy = charts._network_layout(graph, *CANVAS, _boxes(graph))
    parts = sorted(nx.connected_components(graph), key=len)
    assert (
        len(parts) == 3 and {"한강버스", "출근챌린지"} in parts and {"횡단보도", "신호"} in parts
    )
    main = parts[-1]
    mx = [xy[v][0] for v in main]
    my = [xy[v][1] for v in main]
    # The main component keeps most of the canvas instead of being squeezed by flung outliers
    # (about 0.63 of it here; the old spring layout left it under a fifth).
    assert (max(mx) - min(mx)) * (max(my) - min(my)) > 0.45 * CANVAS[0] * CANVAS[1]


def test_many_links_are_cut_to_a_readable_chart() -> None:
    words = [f"단어{i:03d}" for i in range(400)]
    edges = [(words[i % 400], words[(i * 7 + 3) % 400], 1 + (i * 13) % 50) for i in range(2000)]
    svg = _chart(edges)
    assert 0 < len(_labels(svg)) <= charts.NETWORK_MAX_NODES


def test_leaves_matplotlib_settings_alone() -> None:
    before = dict(matplotlib.rcParams)
    charts.keyword_network(EDGES, title="t")
    assert dict(matplotlib.rcParams) == before
