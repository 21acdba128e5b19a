"""Stable codes and field names shared by every layer (policy_taxonomy.md, interfaces.md)."""

from __future__ import annotations

SEOUL_TZ = "Asia/Seoul"

SENTIMENTS = ("negative", "neutral", "positive")

POLICY_AREAS: dict[str, str] = {
    "transport_urban": "교통·도시",
    "safety_environment": "안전·환경",
    "health_welfare": "보건·복지",
    "education_childcare": "교육·보육",
    "economy_jobs": "경제·일자리",
    "culture_sports": "문화·체육·관광",
    "administration": "행정·참여",
    "rights_equality": "인권·평등",
    "animals": "반려동물",
    "other": "기타",
}

# Petition-site categories (청와대 국민청원) mapped onto our codes, as the taxonomy says.
PETITION_CATEGORY_TO_AREA: dict[str, str] = {
    "교통/건축/국토": "transport_urban",
    "안전/환경": "safety_environment",
    "보건복지": "health_welfare",
    "저출산/고령화대책": "health_welfare",
    "육아/교육": "education_childcare",
    "일자리": "economy_jobs",
    "경제민주화": "economy_jobs",
    "성장동력": "economy_jobs",
    "문화/예술/체육/언론": "culture_sports",
    "행정": "administration",
    "정치개혁": "administration",
    "인권/성평등": "rights_equality",
    "반려동물": "animals",
    "외교/통일/국방": "other",
    "농산어촌": "other",
    "미래": "other",
    "기타": "other",
}

DISTRICTS: tuple[str, ...] = (
    "종로구", "중구", "용산구", "성동구", "광진구", "동대문구", "중랑구", "성북구", "강북구", "도봉구",
    "노원구", "은평구", "서대문구", "마포구", "양천구", "강서구", "구로구", "금천구", "영등포구", "동작구",
    "관악구", "서초구", "강남구", "송파구", "강동구",
)

NO_DISTRICT = "미상"

# Canonical post format (interfaces.md).
REQUIRED_FIELDS = ("id", "created_at", "text")
STRING_FIELDS = (
    "id", "channel", "created_at", "text", "author", "reply_to", "repost_of", "quote_of",
    "url", "lang", "place",
)
INT_FIELDS = ("author_followers", "likes", "shares", "replies", "views")
CANONICAL_FIELDS = STRING_FIELDS + INT_FIELDS

MAX_TEXT_CHARS = 20_000
