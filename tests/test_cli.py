"""The `minsim` commands as a user runs them (typer's runner, real warehouse files)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.sources.simulator import bad_rows
from tests.conftest import DEMO_END

runner = CliRunner()


def env_for(tmp: Path, warehouse: Path | None = None) -> dict[str, str]:
    return {
        "MINSIM_WAREHOUSE": str(warehouse or tmp / "w.duckdb"),
        "MINSIM_DATA_DIR": str(tmp / "data"),
        "MINSIM_PSEUDONYM_SALT": "cli-test",
        "MINSIM_CORPORA": os.environ.get("MINSIM_CORPORA", "../shared/data"),
    }


def invoke(args: list[str], env: dict[str, str]):
    return runner.invoke(app, args, env=env, catch_exceptions=False)


def test_ingest_file_counts_and_rerun(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    src = tmp_path / "posts.jsonl"
    good = [json.dumps({"id": f"g{i}", "channel": "x", "created_at": "2026-11-01T10:00:00+09:00",
                        "text": f"서울시 {i}번 버스 배차 간격이 너무 길어요 010-1234-{i:04d}"},
                       ensure_ascii=False) for i in range(5)]
    src.write_text("\n".join(good + bad_rows(3)) + "\n", encoding="utf-8")
    out = invoke(["ingest", "file", str(src)], env)
    assert out.exit_code == 0, out.output
    line = out.output.strip().splitlines()[-1]
    counts = dict(kv.split("=") for kv in line.split())
    assert int(counts["read"]) == 5 + len(bad_rows(3))
    assert int(counts["read"]) == sum(int(counts[k]) for k in ("stored", "duplicates", "quarantined"))
    assert int(counts["duplicates"]) == 1 and int(counts["quarantined"]) >= 6
    again = invoke(["ingest", "file", str(src)], env)
    c2 = dict(kv.split("=") for kv in again.output.strip().splitlines()[-1].split())
    assert c2["stored"] == "0" and int(c2["duplicates"]) == int(counts["stored"]) + 1


def test_ingest_file_user_errors_are_one_line(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    out = runner.invoke(app, ["ingest", "file", str(tmp_path / "nope.jsonl")], env=env)
    assert out.exit_code == 2
    assert out.output.strip().count("\n") == 0 and "no such file" in out.output
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    out = runner.invoke(app, ["ingest", "file", str(tmp_path / "bad.parquet")], env=env)
    assert out.exit_code == 2 and "Traceback" not in out.output


def test_ingest_cp949_csv(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    p = tmp_path / "민원.csv"
    p.write_bytes("id,created_at,text\n1,2026-11-01 09:00:00,마포구 쓰레기 수거 감사합니다\n".encode("cp949"))
    out = invoke(["ingest", "file", str(p), "--channel", "blog"], env)
    assert out.output.strip() == "read=1 stored=1 duplicates=0 quarantined=0"


def test_annotate_any_jsonl(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes("\n".join([
        json.dumps({"id": 1, "text": "강남역 지하철 또 고장ㅠㅠ 출근길 지옥"}, ensure_ascii=False),
        "{broken",
        json.dumps({"id": "x", "text": "마포구 축제 정말 좋았어요 👍"}, ensure_ascii=False),
        json.dumps({"id": 3}),
        json.dumps({"id": 4, "text": " \u200b\x01"}),
    ]).encode() + b"\n\xff\xfe\n")
    out = invoke(["annotate", str(src), "-o", str(dst)], env)
    assert out.exit_code == 0, out.output
    rows = [json.loads(x) for x in dst.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 6
    assert rows[0]["id"] == 1 and rows[0]["sentiment"] == "negative"
    assert rows[0]["policy_area"] == "transport_urban" and rows[0]["districts"] == ["강남구"]
    assert -1 <= rows[0]["sentiment_score"] <= 1 and rows[0]["keywords"]
    assert "error" in rows[1] and rows[2]["districts"] == ["마포구"]
    assert rows[3] == {"id": 3, "error": "missing text"}
    # empty or invisible-only text still gets a valid label and score (issue 3's bad inputs)
    assert set(rows[4]) == {"id", "sentiment", "sentiment_score", "policy_area", "districts", "keywords"}
    assert rows[5]["error"] == "invalid UTF-8"


def test_annotate_odd_lines_get_one_valid_line_each(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = [
        '{"id": "b1", "text": "강남역 지하철 고장"}',  # after a BOM
        '{"id": "s1", "text": "bad \\ud800 text 마포구"}',
        '{"id": "s\\ud800", "text": "서울 버스"}',
        '{"id": NaN, "text": "서울 버스"}',
        '{"id": 1e400, "text": "서울 버스"}',
        '{"id": "d", "text": ' + "[" * 5000 + "]" * 5000 + "}",
        '{"id": "e", "text": "\\u200b \\u0001"}',
    ]
    src.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode() + b"\n")
    out = invoke(["annotate", str(src), "-o", str(dst)], env)
    assert out.exit_code == 0, out.output
    text = dst.read_text(encoding="utf-8")  # valid UTF-8 throughout
    rows = [json.loads(x, parse_constant=lambda c: pytest.fail(f"bare {c}")) for x in text.splitlines()]
    assert len(rows) == len(lines)
    assert rows[0]["id"] == "b1" and "sentiment" in rows[0]
    assert rows[1]["id"] == "s1" and rows[1]["districts"] == ["마포구"]
    assert rows[2]["id"] == "s\ufffd" and "sentiment" in rows[2]
    assert rows[3]["id"] == "NaN" and rows[4]["id"] == "1e400"
    assert rows[5] == {"id": None, "error": "JSON nested too deeply"}
    assert rows[6]["id"] == "e" and rows[6]["sentiment"] in ("negative", "neutral", "positive")


def test_annotate_output_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "서울"}\n', encoding="utf-8")
    out = runner.invoke(app, ["annotate", str(src), "-o", str(tmp_path)], env=env)
    assert out.exit_code == 2 and "is a directory" in out.output
    assert out.output.strip().count("\n") == 0 and "Traceback" not in out.output


def _runs(warehouse: Path) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT status, read, stored, duplicates, quarantined, message "
                           "FROM pipeline_runs WHERE stage = 'ingest'").fetchall()


def test_ingest_file_with_values_that_crashed_runs(tmp_path: Path) -> None:
    """Lone surrogates, numbers beyond 64 bits, year 1 and deep nesting: quarantined or cleaned,
    the run goes on and is recorded."""
    env = env_for(tmp_path)
    base = '"channel": "x", "created_at": "2026-11-20T10:00:00"'
    deep = '{"v": 1}'
    for _ in range(300):
        deep = '{"n": ' + deep + "}"
    lines = [
        '{"id": "ok", ' + base + ', "text": "정상 글"}',
        '{"id": "s1", ' + base + ', "text": "bad \\ud800 text", "note": "\\udc00"}',
        '{"id": "s\\ud800", ' + base + ', "text": "글"}',
        '{"id": "n1", ' + base + ', "text": "숫자", "likes": 1e30, "views": "1e30", '
        '"extra": ' + str(2**70) + "}",
        '{"id": "n2", ' + base + ', "text": "무한", "likes": Infinity}',
        '{"id": "y1", "channel": "x", "created_at": "0001-01-01T00:00:00+09:00", "text": "옛날"}',
        '{"id": "y2", "channel": "x", "created_at": "0001-01-01T00:00:00", "text": "옛날"}',
        '{"id": "d1", ' + base + ', "text": ' + "[" * 5000 + "]" * 5000 + "}",
        '{"id": "d2", ' + base + ', "text": "깊음", "meta": ' + deep + "}",
        '{"id": "c", "channel": "a:b", "created_at": "2026-11-20T10:00:00", "text": "콜론"}',
    ]
    src = tmp_path / "odd.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = runner.invoke(app, ["ingest", "file", str(src)], env=env)
    assert out.exit_code == 0, out.output
    assert "read=10 stored=4 duplicates=0 quarantined=6" in out.output
    ((status, read, stored, dups, quarantined, message),) = _runs(tmp_path / "w.duckdb")
    assert (status, read, stored, dups, quarantined) == ("success", 10, 4, 0, 6)
    assert "likes: out of range (1)" in message and "likes: not a finite number (1)" in message
    assert f"note: {message}" in out.output  # the user sees it too (stderr)
    again = runner.invoke(app, ["ingest", "file", str(src)], env=env)
    assert "read=10 stored=0 duplicates=4 quarantined=6" in again.output
    assert "note:" not in again.output  # nothing was stored, so nothing was stored as NULL


def test_ingest_file_refuses_binary_files_and_bad_channels(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    utf16 = tmp_path / "u.jsonl"
    utf16.write_bytes('{"id": "1", "created_at": "2026-11-20T10:00:00", "text": "글"}\n'
                      .encode("utf-16"))
    noise = tmp_path / "n.jsonl"
    noise.write_bytes(bytes((i * 7919 + 13) % 251 for i in range(16_000)))
    good = tmp_path / "g.jsonl"
    good.write_text('{"id": "1", "created_at": "2026-11-20T10:00:00", "text": "글"}\n',
                    encoding="utf-8")
    for args in (["ingest", "file", str(utf16)], ["ingest", "file", str(noise)],
                 ["ingest", "file", str(good), "--channel", "a:b"]):
        out = runner.invoke(app, args, env=env)
        assert out.exit_code == 2, out.output
        assert out.output.startswith("minsim: error:") and out.output.strip().count("\n") == 0


def test_sql_is_read_only_and_errors_are_one_line(demo_warehouse: Path, tmp_path: Path) -> None:
    env = env_for(tmp_path, demo_warehouse)
    out = invoke(["sql", "SELECT count(*) AS n FROM posts"], env)
    assert out.exit_code == 0 and "n" in out.output
    out = runner.invoke(app, ["sql", "DELETE FROM posts"], env=env)
    assert out.exit_code == 2 and "read-only" in out.output and out.output.count("\n") == 1
    out = runner.invoke(app, ["sql", "SELECT * FROM no_such_table"], env=env)
    assert out.exit_code == 2 and "no_such_table" in out.output and out.output.count("\n") == 1
    out = invoke(["sql", "--csv", "SELECT policy_area, area_ko FROM policy_areas ORDER BY 1 LIMIT 2"], env)
    assert out.output.splitlines()[0] == "policy_area,area_ko"


def test_report_and_run_commands(demo_run, tmp_path: Path) -> None:
    wh = tmp_path / "copy.duckdb"
    shutil.copy(demo_run["settings"].warehouse, wh)
    env = env_for(tmp_path, wh)
    out = invoke(["run", "--date", DEMO_END.isoformat()], env)
    assert out.exit_code == 0 and "nlp" in out.output
    out = invoke(["report", "--date", DEMO_END.isoformat(), "--no-pdf"], env)
    html = Path(out.output.split("html: ")[1].split()[0])
    assert html.is_file() and "민심" in html.read_text(encoding="utf-8")
    bad = runner.invoke(app, ["run", "--date", "2026-13-01"], env=env)
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_export_parquet(demo_warehouse: Path, tmp_path: Path) -> None:
    env = env_for(tmp_path, demo_warehouse)
    out = invoke(["export", "--out", str(tmp_path / "exp")], env)
    assert out.exit_code == 0
    import pandas as pd

    assert len(pd.read_parquet(tmp_path / "exp" / "posts.parquet")) > 0
    assert (tmp_path / "exp" / "v_area_daily.parquet").is_file()


def test_missing_model_is_one_clear_line(tmp_path: Path) -> None:
    env = env_for(tmp_path) | {"MINSIM_MODELS": str(tmp_path / "nomodels")}
    (tmp_path / "in.jsonl").write_text('{"id": 1, "text": "안녕"}\n', encoding="utf-8")
    out = runner.invoke(app, ["annotate", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "o.jsonl")],
                        env=env)
    assert out.exit_code == 2 and "retrain" in out.output and "Traceback" not in out.output


@pytest.mark.parametrize("args", [["demo", "--days", "0"], ["ingest", "file"]])
def test_usage_errors(args: list[str], tmp_path: Path) -> None:
    out = runner.invoke(app, args, env=env_for(tmp_path))
    assert out.exit_code == 2


def test_feedback_command(demo_run, tmp_path: Path) -> None:
    wh = tmp_path / "fb.duckdb"
    shutil.copy(demo_run["settings"].warehouse, wh)
    env = env_for(tmp_path, wh)
    import duckdb

    con = duckdb.connect(str(wh), read_only=True)
    post_id = con.execute("SELECT post_id FROM posts ORDER BY post_id LIMIT 1").fetchall()[0][0]
    con.close()
    out = invoke(["feedback", post_id, "positive", "--analyst", "kim"], env)
    assert out.exit_code == 0 and "recorded" in out.output
    bad = runner.invoke(app, ["feedback", post_id, "great", "--analyst", "kim"], env=env)
    assert bad.exit_code == 2 and "label must be one of" in bad.output
    from pipeline import flows
    from tests.conftest import settings_for

    fb = flows.feedback_frame(settings_for(tmp_path, MINSIM_WAREHOUSE=str(wh)))
    assert list(fb["sentiment"]) == ["positive"] and fb["text"].iloc[0]


@pytest.mark.parametrize("name", ["sentiment", "policy"])
def test_train_command_on_a_sample(name: str, corpora: Path, tmp_path: Path) -> None:
    env = env_for(tmp_path) | {"MINSIM_CORPORA": str(corpora)}
    out = invoke(["train", name, "--sample", "400", "--out", str(tmp_path / name)], env)
    assert out.exit_code == 0, out.output
    default = (tmp_path / name / "DEFAULT").read_text().strip()
    assert (tmp_path / name / default / "meta.json").is_file()
    from pipeline.nlp.policy import load_policy_model
    from pipeline.nlp.sentiment import load_sentiment_model

    load = load_sentiment_model if name == "sentiment" else load_policy_model
    assert load(tmp_path / name).version
