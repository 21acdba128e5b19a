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


def _copy_with(sample: tuple[Path, dt.date], tmp_path: Path, table: str, rows: list) -> Path:
    """A copy of the sample warehouse with `rows` (dicts) added to `table`."""
    path = _copy(sample, tmp_path)
    con = warehouse.connect(path)
    try:
        warehouse.insert_rows(con, table, pd.DataFrame(rows))
    finally:
        con.close()
    return path


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
    # quarantine reasons read in Korean; the stored English reason is only a tooltip
    reasons = coverage.split("격리 사유")[1].split("</ul>")[0]
    for reason in ("JSON 형식 오류 ", "작성 시각 누락 ", "빈 본문 "):
        assert reason in reasons, reason
    visible = re.sub(r"<[^>]+>", " ", reasons)
    for stored in ("malformed JSON", "missing created_at", "empty text"):
        assert stored not in visible and stored in reasons
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


def _insert_questions(path: Path, day: dt.date, rows: list[tuple]) -> None:
    """official_responses rows: (department, policy area, days before `day`, answered, minutes)."""
    con = warehouse.connect(path)
    records = []
    for i, (dep, area, days_ago, ok, minutes) in enumerate(rows):
        asked = pd.Timestamp(day - dt.timedelta(days=days_ago), tz="Asia/Seoul") + pd.Timedelta(
            hours=10
        )
        records.append(
            {
                "post_id": f"x:q{i}",
                "official_handle": "seoul_" + str(i % 2),
                "department": dep,
                "policy_area": area,
                "asked_at": asked,
                "answered": ok,
                "response_minutes": minutes,
                "answered_at": asked + pd.Timedelta(minutes=minutes) if ok else None,
                "day": day - dt.timedelta(days=days_ago),
            }
        )
    warehouse.insert_rows(con, "official_responses", pd.DataFrame(records))
    con.close()


def test_official_responses_and_mvoting(sample: tuple[Path, dt.date], tmp_path: Path) -> None:
    path = _copy(sample, tmp_path)
    day = sample[1]
    _insert_questions(
        path,
        day,
        [
            # asked today: still within the 48-hour target, not overdue
            ("복지실", "health_welfare", 0, False, None),
            ("복지실", "health_welfare", 0, False, None),
            ("복지실", "health_welfare", 0, False, None),
            # asked three and four days ago
            ("교통실", "transport_urban", 3, True, 30.0),
            ("교통실", "transport_urban", 3, True, 90.0),
            ("교통실", "transport_urban", 3, False, None),
            ("주택실", "economy_jobs", 4, False, None),
            ("주택실", "economy_jobs", 4, False, None),
            ("주택실", "economy_jobs", 4, False, None),
            # older than the 7-day window: not counted
            ("주택실", "economy_jobs", 9, False, None),
        ],
    )
    con = warehouse.connect(path)
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
    # overdue first; the rate leaves out questions still within the target
    assert cells[:8] == ["주택실", "경제·일자리", "3", "0", "0%", "–", "0", "3"]
    assert cells[8:16] == ["교통실", "교통·도시", "3", "2", "67%", "60분", "0", "1"]
    assert cells[16:24] == ["복지실", "보건·복지", "3", "0", "–", "–", "3", "0"]
    assert "답변 목표는 48시간" in official and "3월 16일 24:00" in official
    summary = page.split('id="summary"')[1].split("</section>")[0]
    assert (
        "시민 질문·민원 중 4건이 48시간이 지나도록 답변되지 않았습니다"
        "(가장 많은 곳: 주택실 3건, 3월 16일 24:00 기준)" in summary
    )
    mv = page.split('id="mvoting"')[1].split("</section>")[0]
    for text in ("한강 야간 축제를 늘릴까요?", "12,345", "40%", "91%", "불일치"):
        assert text in mv, text


def test_recent_unanswered_questions_are_not_alarming(
    sample: tuple[Path, dt.date], tmp_path: Path
) -> None:
    """Questions of the last two days (a weekend at the end of the data) are pending, not late."""
    path = _copy(sample, tmp_path)
    day = sample[1]
    _insert_questions(
        path,
        day,
        [("교통실", "transport_urban", d, False, None) for d in (0, 0, 0, 1, 1, 1)],
    )
    page = _render(path, day, tmp_path / "out")
    respond = page.split('class="respond"')[1].split("</ul>")[0]
    assert "답변되지 않았습니다" not in respond
    official = page.split('id="official"')[1].split("</section>")[0]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", official)
    assert cells[:8] == ["교통실", "교통·도시", "6", "0", "–", "–", "6", "0"]


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
    assert "최근 7일 오피니언 리더" in leaders and "오늘의 오피니언 리더" not in leaders


def test_leaders_show_public_handles_and_a_telling_figure(
    sample: tuple[Path, dt.date], tmp_path: Path
) -> None:
    path = _copy(sample, tmp_path)
    day = sample[1]
    con = warehouse.connect(path)
    con.execute("DELETE FROM opinion_leaders")
    leaders = [
        # rank, author_hash, kind, pagerank, score (percentile averages saturate near 1)
        (1, "087117419d6196e9", "official", 0.0978, 1.0),
        (2, "a4484054e99c77b9", "individual", 0.0149, 0.9945),
        (3, "33898d5d214e3d32", "media", 0.0116, 0.9944),
        (4, "149699067c525f2e", "unknown", 0.0289, 0.9943),
    ]
    warehouse.insert_rows(
        con,
        "opinion_leaders",
        pd.DataFrame(
            [
                {
                    "day": day,
                    "window_days": 7,
                    "policy_area": "all",
                    "rank": rank,
                    "author_hash": who,
                    "kind": kind,
                    "posts": 40,
                    "followers": 200_000,
                    "engagement": 12_000.4,
                    "pagerank": pr,
                    "score": score,
                }
                for rank, who, kind, pr, score in leaders
            ]
        ),
    )
    warehouse.insert_rows(
        con,
        "official_accounts",
        pd.DataFrame(
            [
                {"day": day, "window_days": 7, "handle": h, "author_hash": a}
                for h, a in (
                    ("seoulcity", "087117419d6196e9"),
                    # a known handle of an individual is never shown
                    ("someone", "a4484054e99c77b9"),
                )
            ]
        ),
    )
    con.close()
    section = _render(path, day, tmp_path / "out").split('id="leaders"')[1]
    section = section.split("</section>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", section, flags=re.DOTALL)[1:]
    cells = [re.findall(r"<td[^>]*>([^<]*)</td>", r) for r in rows]
    assert [c[2] for c in cells] == [
        "@seoulcity",
        "a4484054e99c77b9",
        "33898d5d214e3d32",
        "149699067c525f2e",
    ]
    # PageRank relative to rank 1 tells the accounts apart where the stored score does not
    assert [c[-1] for c in cells] == ["100", "15", "12", "30"]
    assert "0.99" not in section


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
    # the alert names its area in Korean, not by its internal series key
    alerts = page.split('id="alerts"')[1].split("</section>")[0]
    assert "transport_urban" not in alerts and "· 교통·도시 · 강남구" in alerts
    assert "<span>오늘의 경보</span>" in page


def _alert(i: int, at: pd.Timestamp, severity: str, key: str) -> dict:
    return {
        "alert_id": f"a{i}",
        "detected_at": at,
        "bucket": at,
        "last_bucket": at,
        "kind": "negativity_spike",
        "series_kind": "area_district_negative",
        "policy_area": key.split("|")[0],
        "district": key.split("|")[1],
        "key": key,
        "observed": 10,
        "expected": 1.0,
        "window_hours": 3,
        "score": 5.0,
        "severity": severity,
        "sample_post_ids": [],
        "status": "open",
        "message_ko": f"경보 {i}",
    }


def test_earlier_alerts_by_date_then_severity(
    sample: tuple[Path, dt.date], tmp_path: Path
) -> None:
    day = sample[1]
    t = pd.Timestamp(day, tz="Asia/Seoul")
    path = _copy_with(
        sample,
        tmp_path,
        "alerts",
        [
            _alert(1, t - pd.Timedelta(days=3, hours=-9), "high", "safety_environment|미상"),
            _alert(2, t - pd.Timedelta(days=1, hours=-8), "low", "transport_urban|강남구"),
            _alert(3, t - pd.Timedelta(days=1, hours=-20), "high", "transport_urban|강남구"),
            _alert(4, t - pd.Timedelta(days=2, hours=-10), "medium", "animals|마포구"),
        ],
    )
    page = _render(path, day, tmp_path / "out")
    recent = page.split('id="recent-alerts"')[1].split("</section>")[0]
    assert re.findall(r"경보 (\d)", recent) == ["3", "2", "4", "1"]
    # today has none: the card says so, and that the earlier ones are listed apart
    card = page.split("<span>오늘의 경보</span>")[1].split("</div>")[0]
    assert "<b>0건</b>" in card and "지난 6일 4건" in card


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


def test_small_samples_make_no_headline(sample: tuple[Path, dt.date], tmp_path: Path) -> None:
    """A district or area with a handful of posts, all negative, is not named in the summary;
    the planted 강남구 spike (many posts, a significant rise) still is, with its count."""
    path = _copy(sample, tmp_path)
    day = sample[1]
    con = warehouse.connect(path)
    small = con.execute(
        "SELECT district FROM opinion_daily WHERE day = ? AND district NOT IN ('미상', '강남구') "
        "GROUP BY district HAVING sum(posts) BETWEEN 5 AND 20 ORDER BY district LIMIT 1",
        [day],
    ).fetchall()[0][0]
    con.execute(
        "UPDATE opinion_daily SET negative = posts, neutral = 0, positive = 0 "
        "WHERE day = ? AND district = ?",
        [day, small],
    )
    con.execute(
        "UPDATE post_nlp SET sentiment = 'negative' WHERE day = ? AND policy_area = 'animals'",
        [day],
    )
    n_animals = con.execute(
        "SELECT count(*) FROM post_nlp n JOIN posts p USING (post_id) "
        "WHERE n.day = ? AND n.policy_area = 'animals' AND p.duplicate_of IS NULL",
        [day],
    ).fetchall()[0][0]
    con.close()
    assert 5 <= n_animals < 30
    summary = _render(path, day, tmp_path / "out").split('id="summary"')[1]
    summary = summary.split("</section>")[0]
    assert small not in summary
    assert "반려동물" not in summary
    assert re.search(r"강남구의 부정 비율이 \d+%\(n=\d+건\)로 가장 크게 올랐습니다", summary)


def test_significant_rise() -> None:
    # 6 of 10 against 30% of 200: a big swing, but too few posts
    assert not briefing.significant_rise(6, 10, 60, 200)
    # 20 of 40 against 30% of 400: enough posts, z ~ 2.6
    assert briefing.significant_rise(20, 40, 120, 400)
    # 13 of 40 against 30% of 400: within chance
    assert not briefing.significant_rise(13, 40, 120, 400)
    # a thin baseline cannot show a rise
    assert not briefing.significant_rise(40, 50, 2, 10)


def test_korean_comparisons() -> None:
    assert briefing._compared("지난 7일(38%)", 0.01) == "지난 7일(38%)과 비슷합니다"
    assert briefing._compared("지난 7일 하루 평균(1,483건)", -0.08) == (
        "지난 7일 하루 평균(1,483건)보다 8% 적습니다"
    )
    assert briefing._compared("평소", None) == "평소와 비교할 수 없습니다"
    assert briefing._with("하루 평균") == "하루 평균과"
    assert briefing._with("지난 주") == "지난 주와"
    assert briefing._with("2") == "2와" and briefing._with("3") == "3과"


def test_similar_reads_in_korean(daily_html: str) -> None:
    assert "보다 비슷합니다" not in daily_html
    assert "보다 비교할 수 없습니다" not in daily_html


def test_coverage_figures_say_what_they_count(
    sample: tuple[Path, dt.date], tmp_path: Path
) -> None:
    day = sample[1]
    start = pd.Timestamp(day, tz="Asia/Seoul")
    path = _copy_with(
        sample,
        tmp_path,
        "pipeline_runs",
        [
            {
                "run_id": "agg-1",
                "stage": "aggregate",
                "started_at": start + pd.Timedelta(hours=23, minutes=5),
                "finished_at": start + pd.Timedelta(hours=23, minutes=6),
                "status": "success",
                "read": 250,
                "stored": 120,
                "duplicates": 0,
                "quarantined": 0,
                "source": f"day:{day}",
                "window_start": start,
                "window_end": start + pd.Timedelta(days=1),
            }
        ],
    )
    page = _render(path, day, tmp_path / "out")
    card = re.search(r"분석된 게시물 \(원본, 중복 제외\)</span>\s*<b>([\d,]+)건</b>", page)
    assert card
    coverage = page.split('id="coverage"')[1].split("</section>")[0]
    channels = coverage.split("<table>")[1].split("</table>")[0]
    body = channels.split("<tbody>")[1].split("</tbody>")[0]
    originals = [
        int(r[-1].replace(",", ""))
        for r in (
            re.findall(r'<td class="n">([\d,]+)</td>', row)
            for row in re.findall(r"<tr>(.*?)</tr>", body)
        )
    ]
    # the channel table's 'originals' add up to the top card; the other column says it includes copies
    assert sum(originals) == int(card.group(1).replace(",", ""))
    assert "중복 포함" in channels and "원본만" in channels
    stages = coverage.split("<table>")[2].split("</table>")[0]
    assert '수집 <small class="code">ingest</small>' in stages
    assert '집계 <small class="code">aggregate</small>' in stages
    assert '120 <small class="code">집계 행</small>' in stages
    assert "재수집 중복" in stages


def test_coordinated_hashtag_is_not_an_organic_trend(
    sample: tuple[Path, dt.date], tmp_path: Path
) -> None:
    path = _copy(sample, tmp_path)
    day = sample[1]
    t = pd.Timestamp(day, tz="Asia/Seoul") + pd.Timedelta(hours=14)
    bots = [f"bot{i}" for i in range(6)]
    n = 8  # 4 originals and 4 copies, all by flagged accounts
    posts = pd.DataFrame(
        {
            "post_id": [f"x:camp{i}" for i in range(n)],
            "channel": "x",
            "source_id": [f"camp{i}" for i in range(n)],
            "created_at": [t + pd.Timedelta(minutes=i) for i in range(n)],
            "day": day,
            "text": "재개발 결사 반대합니다 #캠페인반대",
            "text_norm": "재개발 결사 반대합니다 #캠페인반대",
            "text_key": "재개발결사반대합니다캠페인반대",
            "author_hash": [bots[i % len(bots)] for i in range(n)],
            "hashtags": [["#캠페인반대"]] * n,
            "duplicate_of": [None if i < 4 else "x:camp0" for i in range(n)],
        }
    )
    flagged = pd.DataFrame(
        {
            "day": day,
            "author_hash": bots,
            "reason": "copy_cluster",
            "cluster_id": ["C1", "C1", "C1", "C2", "C2", "C2"],
            "posts": 1,
            "first_seen": t,
            "last_seen": t,
            "score": 0.9,
        }
    )
    con = warehouse.connect(path)
    warehouse.insert_rows(con, "posts", posts)
    warehouse.insert_rows(con, "coordinated_accounts", flagged)
    con.close()
    page = _render(path, day, tmp_path / "out")
    tags = page.split('id="hashtags"')[1].split("</section>")[0]
    row = re.search(r"<tr><td>#캠페인반대(.*?)</tr>", tags, flags=re.DOTALL)
    assert row and "조직적 확산 의심" in row.group(1)
    summary = page.split('id="summary"')[1].split("</section>")[0]
    organic = re.search(r"급증한 해시태그: ([^<]*)", summary)
    assert organic is None or "캠페인반대" not in organic.group(1)
    assert "조직적 확산 의심 해시태그: #캠페인반대(게시물 8건 중 8건이" in summary
    # the organic planted tag is still a trend
    assert organic and "#지하철운행중단" in organic.group(1)
    coverage = page.split('id="coverage"')[1]
    assert "같은 글 복사·붙여넣기" in coverage and "copy_cluster" not in coverage


def test_keyword_chips_and_print_layout(sample: tuple[Path, dt.date], tmp_path: Path) -> None:
    path = _copy(sample, tmp_path)
    day = sample[1]
    con = warehouse.connect(path)
    con.execute(
        "DELETE FROM keyword_sentiment WHERE day = ? AND policy_area = 'animals' "
        "AND polarity = 'positive'",
        [day],
    )
    con.close()
    page = _render(path, day, tmp_path / "out")
    animals = page.split('id="area-animals"')[1].split('class="area"')[0]
    assert "<li>없음</li>" not in page
    assert "두드러진 긍정 연관어가 없습니다" in animals
    # the ▲ on rising keywords is explained where it appears
    transport = page.split('id="area-transport_urban"')[1].split('class="area"')[0]
    assert " ▲</li>" in transport and "▲ 급증:" in transport
    # A4 pages, the tile map kept with its table, badges that do not wrap
    assert "@page { size: A4;" in page
    assert re.search(r"\.badge \{[^}]*white-space: nowrap", page)
    assert '<div class="grid2 keep">' in page.split('id="districts"')[1]


def test_example_posts_are_clear_cases(sample: tuple[Path, dt.date], tmp_path: Path) -> None:
    """An area's positive example is a confidently positive Korean post, not merely the most liked."""
    path = _copy(sample, tmp_path)
    con = warehouse.connect(path)
    ids = [
        r[0]
        for r in con.execute(
            "SELECT p.post_id FROM posts p JOIN post_nlp n USING (post_id) WHERE p.day = ? "
            "AND p.duplicate_of IS NULL AND n.policy_area = 'animals' ORDER BY p.post_id LIMIT 3",
            [sample[1]],
        ).fetchall()
    ]
    assert len(ids) == 3
    for pid, text, likes, score in (
        (ids[0], "애매한예시글 그냥 그래요", 900_000, 0.05),
        (ids[1], "Loved the new dog park, so clean", 800_000, 0.9),
        (ids[2], "분명한예시글 반려견 놀이터 정말 좋아요", 10_000, 0.8),
    ):
        con.execute("UPDATE posts SET text = ?, likes = ? WHERE post_id = ?", [text, likes, pid])
        con.execute(
            "UPDATE post_nlp SET sentiment = 'positive', sentiment_score = ? WHERE post_id = ?",
            [score, pid],
        )
    con.close()
    page = _render(path, sample[1], tmp_path / "out")
    assert "분명한예시글" in page
    assert "애매한예시글" not in page and "Loved the new dog park" not in page
