"""The briefing from a small seeded warehouse: sections, self-containment, size, bad input."""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline.reports import briefing
from pipeline.reports.briefing import Period, render_briefing, scrub
from pipeline.storage import warehouse
from tests.reports.synthetic import build_sample_warehouse

MAX_HTML_BYTES = 5 * 1024 * 1024


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dt.date]:
    path = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    day = build_sample_warehouse(path, days=9, posts_per_day=250)
    return path, day


@pytest.fixture(scope="module")
def daily_html(sample: tuple[Path, dt.date], tmp_path_factory: pytest.TempPathFactory) -> str:
    path, day = sample
    con = warehouse.connect(path, read_only=True)
    try:
        out = render_briefing(con, day, tmp_path_factory.mktemp("out"), pdf=False)
    finally:
        con.close()
    assert set(out) == {"html"} and out["html"].name == "briefing.html"
    assert out["html"].stat().st_size < MAX_HTML_BYTES
    return out["html"].read_text(encoding="utf-8")


def _copy(sample: tuple[Path, dt.date], tmp_path: Path) -> Path:
    dst = tmp_path / "copy.duckdb"
    shutil.copy(sample[0], dst)
    return dst


def _render(path: Path, day: dt.date, out: Path, **kw: object) -> str:
    con = warehouse.connect(path, read_only=True)
    try:
        res = render_briefing(con, day, out, pdf=False, **kw)
    finally:
        con.close()
    return res["html"].read_text(encoding="utf-8")


def test_sections_an_official_reads(daily_html: str) -> None:
    for heading in (
        "한눈에 보기",
        "무엇이 달라졌나",
        "특이 사항",
        "대응이 필요한 사항",
        "정책 분야별 언급량과 감성",
        "자치구별 여론",
        "토픽",
        "연관어 네트워크",
        "새로 떠오른 해시태그",
        "오피니언 리더",
        "공식 계정 응답",
        "엠보팅",
        "수집 현황",
        "대표 게시물",
    ):
        assert heading in daily_html, heading
    # every policy area with posts has its section, in Korean
    for name in ("교통·도시", "안전·환경", "반려동물"):
        assert f"<h3>{name} " in daily_html


def test_summary_names_the_planted_spike(daily_html: str) -> None:
    summary = daily_html.split('id="summary"')[1].split("</section>")[0]
    assert "교통·도시 분야의 부정 게시물" in summary
    assert "강남구" in summary
    assert "#지하철운행중단" in summary


def test_topics_networks_hashtags_coverage(daily_html: str) -> None:
    assert '<span class="badge new">신규</span> 지하철 · 운행중단' in daily_html
    assert daily_html.count('data-chart="network"') == 2
    assert "#지하철운행중단" in daily_html.split('id="hashtags"')[1]
    coverage = daily_html.split('id="coverage"')[1]
    for reason in ("malformed JSON", "missing created_at", "empty text"):
        assert reason in coverage
    assert "synthetic-1" in coverage
    # the district tile map shows all 25 자치구
    assert daily_html.count('class="tile"') == 25
    # the district table lists named districts busiest first and 미상 (no district) last
    table = daily_html.split('id="districts"')[1].split("<tbody>")[1].split("</tbody>")[0]
    names = re.findall(r'<td class="name">([^<]+)</td>', table)
    assert names[-1] == "미상" and len(names) > 2
    counts = [
        int(c.replace(",", ""))
        for c in re.findall(r'<td class="name">[^<]+</td><td class="n">([\d,]+)</td>', table)
    ]
    assert counts[:-1] == sorted(counts[:-1], reverse=True)


def test_hashtags_and_sub_issues_read_in_korean(daily_html: str) -> None:
    tags = daily_html.split('id="hashtags"')[1].split("</section>")[0]
    assert "#지하철운행중단" in tags and "##" not in tags
    # '#서울시' and '서울시' are one tag
    assert len(re.findall(r"<li>#서울시 ", tags)) == 1
    areas = daily_html.split('id="areas"')[1].split('id="districts"')[0]
    for label in ("지하철", "따릉이·공공자전거", "미세먼지·대기질"):
        assert f">{label} " in areas, label
    assert ">subway " not in areas and ">fine_dust " not in areas


def test_official_responses_and_mvoting(sample: tuple[Path, dt.date], tmp_path: Path) -> None:
    path = _copy(sample, tmp_path)
    day = sample[1]
    asked = pd.Timestamp(day, tz="Asia/Seoul") + pd.Timedelta(hours=10)
    rows = [
        # department, answered, minutes
        ("교통실", True, 30.0),
        ("교통실", True, 90.0),
        ("교통실", False, None),
        ("복지실", False, None),
        ("복지실", False, None),
        ("복지실", False, None),
    ]
    con = warehouse.connect(path)
    warehouse.insert_rows(
        con,
        "official_responses",
        pd.DataFrame(
            [
                {
                    "post_id": f"x:q{i}",
                    "official_handle": "seoul_" + str(i % 2),
                    "department": dep,
                    "policy_area": "transport_urban" if dep == "교통실" else "health_welfare",
                    "asked_at": asked,
                    "answered": ok,
                    "response_minutes": minutes,
                    "answered_at": asked + pd.Timedelta(minutes=minutes) if ok else None,
                    "day": day,
                }
                for i, (dep, ok, minutes) in enumerate(rows)
            ]
        ),
    )
    warehouse.insert_rows(
        con,
        "mvoting_comparison",
        pd.DataFrame(
            [
                {
                    "day": day,
                    "poll_id": "mv-9",
                    "question": "한강 야간 축제를 늘릴까요?",
                    "policy_area": "culture_sports",
                    "total_votes": 12345,
                    "leading_option": "반대",
                    "vote_support": 0.4,
                    "support_basis": "yes_option",
                    "online_posts": 57,
                    "online_support": 0.91,
                    "main_arguments": "찬성 측: 야간, 축제",
                    "agreement": "disagree",
                },
            ]
        ),
    )
    con.close()
    page = _render(path, day, tmp_path / "out")
    official = page.split('id="official"')[1].split("</section>")[0]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", official)
    # worst first: 복지실 (3 asked, 0 answered), then 교통실 (3 asked, 2 answered in 60 min median)
    assert cells[:7] == ["복지실", "보건·복지", "3", "0", "0%", "–", "3"]
    assert cells[7:14] == ["교통실", "교통·도시", "3", "2", "67%", "60분", "1"]
    summary = page.split('id="summary"')[1].split("</section>")[0]
    assert (
        "시민 질문·민원 6건 중 4건이 아직 답변되지 않았습니다(가장 많은 곳: 복지실 3건)" in summary
    )
    mv = page.split('id="mvoting"')[1].split("</section>")[0]
    for text in ("한강 야간 축제를 늘릴까요?", "12,345", "40%", "91%", "불일치"):
        assert text in mv, text


def test_leaders_are_the_days_top_accounts(sample: tuple[Path, dt.date], tmp_path: Path) -> None:
    path = _copy(sample, tmp_path)
    day = sample[1]
    con = warehouse.connect(path)
    con.execute("DELETE FROM opinion_leaders")
    warehouse.insert_rows(
        con,
        "opinion_leaders",
        pd.DataFrame(
            [
                {
                    "day": day,
                    "window_days": 7,
                    "policy_area": area,
                    "rank": rank,
                    "author_hash": who,
                    "kind": kind,
                    "posts": 5,
                    "followers": 100,
                    "engagement": 10.0,
                    "pagerank": 0.1,
                    "score": 1.0 - rank / 10,
                }
                for area, rank, who, kind in [
                    ("transport_urban", 1, "city", "official"),
                    ("all", 2, "citizen", "individual"),
                    ("all", 1, "city", "official"),
                    ("health_welfare", 1, "city", "official"),
                ]
            ]
        ),
    )
    con.close()
    leaders = _render(path, day, tmp_path / "out").split('id="leaders"')[1].split("</section>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", leaders, flags=re.DOTALL)[1:]
    cells = [re.findall(r"<td[^>]*>([^<]*)</td>", r) for r in rows]
    # over all areas first, by rank; kinds in Korean
    assert [c[:4] for c in cells[:2]] == [
        ["1", "전체", "city", "공식 계정"],
        ["2", "전체", "citizen", "개인"],
    ]


def test_self_contained(daily_html: str) -> None:
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", daily_html)
    assert "@import" not in daily_html and "url(http" not in daily_html
    assert "src: url(data:font/woff;base64," in daily_html
    assert (
        '"Malgun Gothic", "Apple SD Gothic Neo", "NanumGothic", "Noto Sans CJK KR"' in daily_html
    )
    charts = re.findall(
        r'<img class="chart" data-chart="[a-z]+" src="data:image/svg\+xml;base64,', daily_html
    )
    assert len(charts) >= 4
    assert '<meta name="viewport"' in daily_html


def test_representative_posts_are_masked(sample: tuple[Path, dt.date], tmp_path: Path) -> None:
    path = _copy(sample, tmp_path)
    con = warehouse.connect(path)
    con.execute(
        "UPDATE posts SET text = text || ' 연락 010-1234-5678 hong@example.com 900101-1234567',"
        " likes = 100000 WHERE post_id = (SELECT min(post_id) FROM posts WHERE day = ? "
        " AND duplicate_of IS NULL)",
        [sample[1]],
    )
    con.close()
    page = _render(path, sample[1], tmp_path / "out")
    assert "010-1234-5678" not in page and "hong@example.com" not in page
    assert "900101-1234567" not in page
    assert scrub("전화 010-9876-5432 주세요") == "전화 010-****-**** 주세요"


def test_weekly_edition(sample: tuple[Path, dt.date], tmp_path: Path) -> None:
    path, day = sample
    con = warehouse.connect(path, read_only=True)
    try:
        out = render_briefing(con, day, tmp_path, weekly=True, pdf=False)
    finally:
        con.close()
    assert out["html"].name == "weekly.html"
    page = out["html"].read_text(encoding="utf-8")
    assert "주간 민심 브리핑" in page and "이번 주" in page
    assert Period.of(day, weekly=True).label in page


def test_day_without_data_says_so(sample: tuple[Path, dt.date], tmp_path: Path) -> None:
    page = _render(sample[0], dt.date(2030, 1, 1), tmp_path)
    assert "수집·분석된 게시물이 없습니다" in page
    assert "data-chart=" not in page


def test_empty_warehouse(tmp_path: Path) -> None:
    warehouse.connect(tmp_path / "empty.duckdb").close()
    page = _render(tmp_path / "empty.duckdb", dt.date(2026, 1, 5), tmp_path / "out")
    assert "수집·분석된 게시물이 없습니다" in page


def test_missing_optional_tables(sample: tuple[Path, dt.date], tmp_path: Path) -> None:
    path = _copy(sample, tmp_path)
    con = warehouse.connect(path)
    for table in ("post_topics", "topics", "keyword_links", "keyword_sentiment"):
        con.execute(f"DROP TABLE {table}")
    for table in (
        "alerts",
        "opinion_leaders",
        "official_responses",
        "mvoting_comparison",
        "coordinated_accounts",
    ):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    con.close()
    page = _render(path, sample[1], tmp_path / "out")
    assert "토픽 모델 결과(topics 테이블)가 아직 없습니다" in page
    assert "연관어 자료(keyword_links 테이블)가 아직 없습니다" in page
    assert "오피니언 리더 분석(opinion_leaders 테이블)이 아직 없습니다" in page
    assert "엠보팅 비교(mvoting_comparison 테이블)가 아직 없습니다" in page
    assert 'id="alerts"' not in page


def test_alerts_come_first(sample: tuple[Path, dt.date], tmp_path: Path) -> None:
    path = _copy(sample, tmp_path)
    day = sample[1]
    con = warehouse.connect(path)
    sample_id = con.execute("SELECT min(post_id) FROM posts WHERE day = ?", [day]).fetchall()[0][0]
    at = pd.Timestamp(day, tz="Asia/Seoul") + pd.Timedelta(hours=8)
    warehouse.insert_rows(
        con,
        "alerts",
        pd.DataFrame(
            [
                {
                    "alert_id": "a1",
                    "detected_at": at,
                    "bucket": at,
                    "last_bucket": at,
                    "kind": "negativity_spike",
                    "series_kind": "area_district_negative",
                    "policy_area": "transport_urban",
                    "district": "강남구",
                    "key": "transport_urban|강남구",
                    "observed": 40,
                    "expected": 3.5,
                    "window_hours": 3,
                    "score": 20.0,
                    "severity": "high",
                    "sample_post_ids": [sample_id],
                    "status": "open",
                    "message_ko": "강남구 교통·도시 부정 여론 급증 (관측 40건, 예상 3.5건)",
                }
            ]
        ),
    )
    con.close()
    page = _render(path, day, tmp_path / "out")
    assert 'id="alerts"' in page
    assert page.index('id="alerts"') < page.index('id="areas"')
    respond = page.split('class="respond"')[1].split("</ul>")[0]
    assert "강남구 교통·도시 부정 여론 급증" in respond


def test_pdf_skipped_without_chromium(
    sample: tuple[Path, dt.date],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(briefing, "find_chromium", lambda: None)
    con = warehouse.connect(sample[0], read_only=True)
    try:
        with caplog.at_level(logging.WARNING, logger="pipeline.reports.briefing"):
            out = render_briefing(con, dt.date(2030, 1, 1), tmp_path, pdf=True)
    finally:
        con.close()
    assert set(out) == {"html"}
    assert "PDF skipped" in caplog.text


def test_formatting_helpers() -> None:
    assert briefing.fmt_change(0.354) == "+35%"
    assert briefing.fmt_change(-0.12) == "−12%"
    assert briefing.fmt_change(None) == "신규"
    # a change that rounds to nothing carries no sign ("−0%" read as a fall)
    assert briefing.fmt_change(-0.004) == "0%"
    assert briefing.fmt_change(0.004) == "0%"
    assert briefing.fmt_pp(-0.0004) == "0.0%p"
    assert briefing.fmt_pp(-0.003) == "−0.3%p"
    assert briefing.fmt_pp(0.134) == "+13.4%p"
    assert briefing.korean_date(dt.date(2026, 3, 16)) == "2026년 3월 16일 (월)"
    p = Period.of(dt.date(2026, 3, 16), weekly=True)
    assert (p.start, p.base_start, p.base_end) == (
        dt.date(2026, 3, 10),
        dt.date(2026, 3, 3),
        dt.date(2026, 3, 9),
    )
