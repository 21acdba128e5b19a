"""Files as a source: JSONL, CSV and Parquet in the canonical format (or a named mapping),
UTF-8 or CP949/EUC-KR (auto-detected). Yields `Record`s; bad rows become records with an error.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

from pipeline.transforms.normalize import Record


class FileSourceError(RuntimeError):
    """The file cannot be read at all (one line for the user)."""


FORMATS = ("jsonl", "csv", "parquet")
ENCODINGS = ("auto", "utf-8", "cp949", "euc-kr")


def _map_petition(d: dict) -> dict:
    """청와대 국민청원 (petitions_lovit / petitions_2020_korkeep) -> canonical post."""
    title = str(d.get("title") or "").strip()
    content = str(d.get("content") or "").strip()
    out = {k: v for k, v in d.items() if k not in ("title", "content")}
    out.update({
        "id": d.get("petition_idx"),
        "channel": "petition",
        "created_at": d.get("begin"),
        "text": f"{title}\n{content}".strip() if (title or content) else None,
        "likes": d.get("num_agree", d.get("agree")),
        "url": f"https://www1.president.go.kr/petitions/{d.get('petition_idx')}",
    })
    return out


def _map_news_tweet(d: dict) -> dict:
    """korean_studies_corpora/korean_newspapers_twitter.csv -> canonical post."""
    out = dict(d)
    out.update({
        "id": d.get("id"),
        "channel": "news",
        "created_at": d.get("created"),
        "text": d.get("text"),
        "author": d.get("paper_name"),
        "likes": d.get("favoriteCount"),
        "shares": d.get("retweetCount"),
    })
    return out


MAPPINGS: dict[str, Callable[[dict], dict]] = {
    "canonical": lambda d: d,
    "petition": _map_petition,
    "news_tweets": _map_news_tweet,
}


def detect_format(path: Path, head: bytes) -> str:
    name = path.name.lower().removesuffix(".gz")
    for fmt, exts in (("jsonl", (".jsonl", ".json", ".ndjson")), ("csv", (".csv", ".tsv")),
                      ("parquet", (".parquet", ".pq"))):
        if name.endswith(exts):
            return fmt
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.lstrip()[:1] == b"{":
        return "jsonl"
    raise FileSourceError(f"{path}: unknown file type (use .jsonl, .csv or .parquet)")


def decode(data: bytes, encoding: str, path: Path) -> tuple[str | list[bytes], str]:
    """Whole-file text in the detected encoding, or the raw lines when no encoding fits."""
    if encoding not in ENCODINGS:
        raise FileSourceError(f"unknown encoding {encoding!r} (use {', '.join(ENCODINGS)})")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if encoding != "auto":
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            if encoding != "utf-8":
                raise FileSourceError(f"{path}: not valid {encoding}") from None
            return data.split(b"\n"), "utf-8 (with invalid lines)"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp949")
        if any("\uac00" <= ch <= "\ud7a3" for ch in text[:20000]):
            return text, "cp949"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding.replace("_", "-") in ("cp949", "euc-kr", "johab"):
        try:
            return data.decode(best.encoding), best.encoding
        except UnicodeDecodeError:
            pass
    # Mostly UTF-8 with some broken lines: decode line by line, broken lines are quarantined.
    return data.split(b"\n"), "utf-8 (with invalid lines)"


def jsonl_records(lines: list[str] | list[bytes], mapping: Callable[[dict], dict]) -> Iterator[Record]:
    for i, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError:
                yield Record(i, None, line.decode("utf-8", "replace"), "invalid UTF-8")
                continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Record(i, None, line, f"malformed JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(obj, dict):
            yield Record(i, None, line, "JSON line is not an object")
            continue
        yield Record(i, mapping(obj))


def _csv_records(text: str, mapping: Callable[[dict], dict], delimiter: str) -> Iterator[Record]:
    # csv cannot read NUL bytes; they carry nothing, so they become spaces like other controls.
    reader = csv.DictReader(io.StringIO(text.replace("\x00", " "), newline=""), delimiter=delimiter)
    if not reader.fieldnames:
        raise FileSourceError("CSV file has no header row")
    for i, row in enumerate(reader, start=2):
        if None in row:
            yield Record(i, None, json.dumps(row, ensure_ascii=False, default=str),
                         "CSV row has more fields than the header")
            continue
        clean = {k: (v if v != "" else None) for k, v in row.items()}
        yield Record(i, mapping(clean))


def _parquet_records(data: bytes, mapping: Callable[[dict], dict], path: Path) -> Iterator[Record]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises several types for broken files
        raise FileSourceError(f"{path}: not a readable Parquet file ({exc})") from exc
    for i, row in enumerate(table.to_pylist(), start=1):
        yield Record(i, mapping(row))


def read_records(
    path: Path, *, encoding: str = "auto", mapping: str = "canonical", fmt: str | None = None
) -> tuple[list[Record], dict]:
    """All records of a file and facts about it (format, encoding). Raises FileSourceError."""
    path = Path(path)
    if mapping not in MAPPINGS:
        raise FileSourceError(f"unknown mapping {mapping!r} (use {', '.join(MAPPINGS)})")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileSourceError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise FileSourceError(f"{path}: is a directory") from None
    except OSError as exc:
        raise FileSourceError(f"{path}: cannot read ({exc.strerror})") from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise FileSourceError(f"{path}: broken gzip file ({exc})") from None
    fmt = fmt or detect_format(path, data[:8])
    if fmt not in FORMATS:
        raise FileSourceError(f"unknown format {fmt!r}")
    mapper = MAPPINGS[mapping]
    if fmt == "parquet":
        return list(_parquet_records(data, mapper, path)), {"format": fmt, "encoding": "binary"}
    text, used = decode(data, encoding, path)
    if fmt == "jsonl":
        lines = text.split("\n") if isinstance(text, str) else text
        return list(jsonl_records(lines, mapper)), {"format": fmt, "encoding": used}
    if not isinstance(text, str):
        raise FileSourceError(f"{path}: not valid UTF-8 or CP949 text")
    delimiter = "\t" if path.name.lower().removesuffix(".gz").endswith(".tsv") else ","
    try:
        return list(_csv_records(text, mapper, delimiter)), {"format": fmt, "encoding": used}
    except csv.Error as exc:
        raise FileSourceError(f"{path}: broken CSV ({exc})") from None
