from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline.sources.files import FileSourceError, read_records


def write_jsonl(path: Path, rows: list, encoding: str = "utf-8") -> Path:
    path.write_bytes("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)
                               for r in rows).encode(encoding))
    return path


ROW = {"id": "1", "created_at": "2026-11-28T09:00:00+09:00", "text": "따릉이 고장났어요 ㅠㅠ"}


def test_jsonl_utf8_and_bad_lines(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    p.write_bytes(json.dumps(ROW, ensure_ascii=False).encode() + b"\n{broken\n\n[1,2]\n"
                  + b"\xff\xfe\x80 \xc8\n")
    recs, facts = read_records(p)
    assert facts["format"] == "jsonl"
    assert recs[0].data["text"] == ROW["text"]
    errors = [r.error for r in recs if r.data is None]
    assert errors[0].startswith("malformed JSON")
    assert "JSON line is not an object" in errors
    assert "not valid UTF-8 or CP949" in errors
    assert facts["encoding"] == "utf-8 (with invalid lines)"


def test_mixed_utf8_and_cp949_lines_are_decoded_line_by_line(tmp_path: Path) -> None:
    # '각각' in UTF-8 is also valid CP949 ('媛곴컖'): decoding the whole file as CP949 stored
    # mojibake. Each line is UTF-8 first, CP949 only when it is not UTF-8.
    p = tmp_path / "mixed.jsonl"
    p.write_bytes(json.dumps({**ROW, "text": "각각"}, ensure_ascii=False).encode() + b"\n"
                  + json.dumps({**ROW, "id": "2", "text": "강남구 청소 불량"},
                               ensure_ascii=False).encode("cp949") + b"\n")
    recs, facts = read_records(p)
    assert [r.data["text"] for r in recs] == ["각각", "강남구 청소 불량"]
    assert facts["encoding"] == "utf-8 and cp949 (by line)"


@pytest.mark.parametrize("data", [
    (json.dumps(ROW, ensure_ascii=False) + "\n").encode("utf-16"),
    bytes(range(256)) * 64,
    bytes((i * 7919 + 13) % 251 for i in range(16_000)),
], ids=["utf-16", "all-bytes", "noise"])
def test_files_that_are_not_text_are_refused_in_one_line(tmp_path: Path, data: bytes) -> None:
    p = tmp_path / "a.jsonl"
    p.write_bytes(data)
    with pytest.raises(FileSourceError) as err:
        read_records(p)
    assert "\n" not in str(err.value) and ("UTF-16" in str(err.value) or "text" in str(err.value))


def test_mostly_undecodable_lines_refuse_the_file(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    p.write_bytes(b"\n".join([b"\x80\xff abc \xc8"] * 5 + [json.dumps(ROW).encode()]))
    with pytest.raises(FileSourceError, match="5 of 6 lines cannot be decoded"):
        read_records(p)


def test_deeply_nested_json_line_is_quarantined(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "a.jsonl", [ROW, '{"id": "d", "text": ' + "[" * 5000 + "]" * 5000 + "}"])
    recs, _ = read_records(p)
    assert recs[0].data["id"] == "1" and recs[1].error == "JSON nested too deeply"


def test_cp949_csv_is_detected(tmp_path: Path) -> None:
    p = tmp_path / "b.csv"
    pd.DataFrame([ROW]).to_csv(p, index=False, encoding="cp949")
    recs, facts = read_records(p)
    assert facts["encoding"] == "cp949"
    assert recs[0].data["text"] == ROW["text"]


def test_euc_kr_explicit(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "c.jsonl", [ROW], encoding="euc-kr")
    recs, _ = read_records(p, encoding="euc-kr")
    assert recs[0].data["text"] == ROW["text"]


def test_parquet_and_gzip(tmp_path: Path) -> None:
    p = tmp_path / "d.parquet"
    pd.DataFrame([ROW, {**ROW, "id": "2"}]).to_parquet(p)
    recs, facts = read_records(p)
    assert facts["format"] == "parquet" and [r.data["id"] for r in recs] == ["1", "2"]
    g = tmp_path / "e.jsonl.gz"
    g.write_bytes(gzip.compress(json.dumps(ROW).encode()))
    assert read_records(g)[0][0].data["id"] == "1"


def test_csv_with_nul_and_extra_fields(tmp_path: Path) -> None:
    p = tmp_path / "f.csv"
    p.write_text('id,created_at,text\n1,2026-11-28T09:00:00,"가\x00나"\n2,2026-11-28T09:00:00,a,b\n',
                 encoding="utf-8")
    recs, _ = read_records(p)
    assert recs[0].data["text"] == "가 나"
    assert recs[1].error == "CSV row has more fields than the header"


def test_csv_big_field_semicolons_and_physical_line_numbers(tmp_path: Path) -> None:
    p = tmp_path / "big.csv"
    p.write_text("id,created_at,text\n1,2026-11-28T09:00:00,\"" + "가" * 200_000 + "\"\n"
                 "2,2026-11-28T09:00:00,\"두 줄\n글\"\n3,2026-11-28T09:00:00,끝\n", encoding="utf-8")
    recs, _ = read_records(p)
    assert len(recs[0].data["text"]) == 200_000  # posts_clean quarantines it as too long
    assert [r.line_no for r in recs] == [2, 3, 5]
    s = tmp_path / "semi.csv"
    s.write_text("id;created_at;text\n1;2026-11-28T09:00:00;세미콜론, 쉼표\n", encoding="utf-8")
    recs, _ = read_records(s)
    assert recs[0].data == {"id": "1", "created_at": "2026-11-28T09:00:00", "text": "세미콜론, 쉼표"}


def test_csv_with_a_repeated_header_column_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "dup.csv"
    p.write_text("id,created_at,text,text\n1,2026-11-28T09:00:00,a,b\n", encoding="utf-8")
    with pytest.raises(FileSourceError, match="repeats column 'text'"):
        read_records(p)


def test_mappings(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "petitions_2019-04", [{
        "petition_idx": "555", "begin": "2019-04-01", "category": "교통/건축/국토",
        "title": "지하철 증차 요청", "content": "출퇴근이 너무 힘듭니다", "num_agree": 120}])
    rec = read_records(p, mapping="petition")[0][0]
    assert rec.data["id"] == "555" and rec.data["channel"] == "petition"
    assert rec.data["text"] == "지하철 증차 요청\n출퇴근이 너무 힘듭니다" and rec.data["likes"] == 120
    assert rec.data["category"] == "교통/건축/국토"  # unknown fields stay in the raw payload
    c = tmp_path / "news.csv"
    c.write_text("paper_name,text,favoriteCount,created,id,retweetCount,pol_id\n"
                 "chosun,서울시 새 정책 발표,3,2017-07-27 10:49:10,8905,1,right\n", encoding="utf-8")
    rec = read_records(c, mapping="news_tweets")[0][0]
    assert rec.data["author"] == "chosun" and rec.data["created_at"] == "2017-07-27 10:49:10"


@pytest.mark.parametrize("name", ["missing.jsonl", "dir"])
def test_unreadable_files_raise_one_line(tmp_path: Path, name: str) -> None:
    (tmp_path / "dir").mkdir()
    with pytest.raises(FileSourceError) as err:
        read_records(tmp_path / name)
    assert "\n" not in str(err.value)


def test_unknown_type_and_broken_parquet(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(FileSourceError, match="unknown file type"):
        read_records(tmp_path / "x.txt")
    (tmp_path / "y.parquet").write_bytes(b"PAR1garbage")
    with pytest.raises(FileSourceError, match="Parquet"):
        read_records(tmp_path / "y.parquet")
