"""District mentions: names, places, the taxonomy's ambiguity rules and hard negatives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.schema import DISTRICTS
from pipeline.transforms.districts import districts_for, districts_in, gazetteer

ROOT = Path(__file__).resolve().parents[2]


def test_gazetteer_resolves_only_to_seoul_districts():
    g = gazetteer()
    assert len(g.districts) > 1000
    for name, cands in g.districts.items():
        assert set(cands) <= set(DISTRICTS), name
    # every district has 동 names in the gazetteer
    for d in DISTRICTS:
        assert sum(1 for c in g.districts.values() if c == (d,)) >= 10, d


@pytest.mark.parametrize("district", DISTRICTS)
def test_every_district_by_its_name(district):
    assert districts_in(f"{district} 주민입니다. 민원 넣었어요") == [district]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("마포 쪽 원룸 월세", ["마포구"]),
        ("은평 뉴타운 도서관", ["은평구"]),
        ("강남역 침수 또 됐어요", ["강남구"]),
        ("강남 집값 또 신고가", ["강남구"]),
        ("시청역 엘리베이터 고장", ["중구"]),
        ("교대역 환승 너무 길어", ["서초구"]),
        ("서교동 카페 골목 소음", ["마포구"]),
        ("논현1동 주민센터", ["강남구"]),
        ("논현동 맛집", ["강남구"]),
        ("광화문광장 집회", ["종로구"]),
        ("남산타워 케이블카", ["용산구"]),
        ("여의도공원 불꽃축제", ["영등포구"]),
        ("롯데월드 앞 석촌호수", ["송파구"]),
        ("코엑스 별마당도서관", ["강남구"]),
        ("홍대 클럽 거리", ["마포구"]),
        ("이태원 골목", ["용산구"]),
        ("용산 참사 추모", ["용산구"]),
        ("북촌 한옥마을", ["종로구"]),
        ("서울숲 산책", ["성동구"]),
        ("잠실종합운동장 콘서트", ["송파구"]),
        ("고척돔 야구", ["구로구"]),
        ("DDP 전시", ["중구"]),
        ("청계천 빛초롱", ["종로구"]),
        ("중랑 장미축제", ["중랑구"]),
        ("도봉산 등산", ["도봉구"]),
        ("#마포구 #망원동 #쓰레기", ["마포구"]),
        ("서울시마포구 서교동", ["마포구"]),
        ("Itaewon at night", ["용산구"]),
    ],
)
def test_places_resolve_to_their_district(text, expected):
    assert districts_in(text) == expected


def test_several_districts_in_order_of_first_mention():
    text = "노원구 상계동에서 강남구 대치동 학원까지, 다시 노원역으로"
    assert districts_in(text) == ["노원구", "강남구"]
    assert districts_in("강남역에서 잠실역까지 2호선") == ["강남구", "송파구"]
    assert districts_in("은평구, 서대문구, 마포구 서북권") == ["은평구", "서대문구", "마포구"]


@pytest.mark.parametrize(
    "text",
    [
        "부산 중구 남포동 자갈치시장",
        "대구 중구 동성로 축제",
        "울산 중구청 앞 집회",
        "인천 중구 차이나타운",
        "부산 강서구 명지동 아파트",
        "부산광역시 강서구 가덕도",
        "대구광역시 중구 김광석 거리",
        "부산 해운대구와 중구 관광특구",
        "인천 남동구 논현동 맛집",
    ],
)
def test_other_cities_are_not_seoul(text):
    assert districts_in(text) == []


def test_seoul_named_beside_a_shared_name():
    assert districts_in("서울 중구 명동") == ["중구"]
    assert districts_in("서울 중구와 부산 중구 둘 다 가봤어요") == ["중구"]
    assert districts_in("서울시 강서구 화곡동") == ["강서구"]


@pytest.mark.parametrize(
    "text",
    [
        "회의 진행이 완전 중구난방이었다",
        "강남스타일 뮤직비디오",
        "동작 감지 센서 고장",
        "스마트폰 동작 인식 기능",
        "광진 씨가 보내준 자료",
        "김광진 선수 골",
        "홍길동전 독후감",
        "이대로는 안 된다",
        "대학동기 결혼식",
        "강동원 주연 영화",
        "관악기 레슨",
        "망원경으로 별 보기",
        "아기 수유실이 부족해요",
        "강남3구 아파트값",
        "강남권 재건축",
        "강남과 강북의 집값 격차",
        "중랑천 자전거길",
        "용인 강남대 앞 원룸",
        "서울시 전체 따릉이",
        "",
        "ㅋㅋㅋㅋ",
    ],
)
def test_hard_negatives(text):
    assert districts_in(text) == []


def test_ambiguous_dong_needs_its_district():
    assert districts_in("신사동 맛집 추천") == []  # 강남구, 관악구 and 은평구 all have one
    assert districts_in("관악구 신사동 주민센터") == ["관악구"]
    assert districts_in("강남구 신사동 가로수길") == ["강남구"]
    assert districts_in("신사역 근처") == ["강남구"]  # the station is unambiguous
    assert districts_in("삼성동 코엑스") == ["강남구"]  # dominant reading
    assert districts_in("관악구 삼성동 산사태 점검") == ["관악구"]


def test_districts_for_is_vectorised_and_safe():
    texts = [
        "마포구 민원",
        None,
        "",
        "부산 중구",
        "x" * 100_000 + " 강남역",
        "🚇 홍대입구역 → 강남역",
    ]
    assert districts_for(texts) == [["마포구"], [], [], [], ["강남구"], ["마포구", "강남구"]]


def test_eval_set_is_large_and_labelled_with_district_names():
    rows = [
        json.loads(line)
        for line in (ROOT / "eval" / "districts.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]
    assert len(rows) >= 200
    assert sum(1 for r in rows if not r["districts"]) >= 40  # hard negatives
    assert all(set(r["districts"]) <= set(DISTRICTS) for r in rows)
