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
                  + "깨진".encode("cp949") + b"\n")
    recs, facts = read_records(p)
    assert facts["format"] == "jsonl"
    assert recs[0].data["text"] == ROW["text"]
    errors = [r.error for r in recs if r.data is None]
    assert errors[0].startswith("malformed JSON")
    assert "JSON line is not an object" in errors
    assert "invalid UTF-8" in errors


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
