"""Files as a source: JSONL, CSV and Parquet in the canonical format (or a named mapping),
UTF-8 or CP949/EUC-KR (auto-detected). Yields `Record`s; bad rows become records with an error.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from pipeline.transforms.normalize import Record


class FileSourceError(RuntimeError):
    """The file cannot be read at all (one line for the user)."""


FORMATS = ("jsonl", "csv", "parquet")
ENCODINGS = ("auto", "utf-8", "cp949", "euc-kr")
#: bytes no text file holds (controls but tab, newline, form feed, carriage return, escape)
_BINARY_BYTES = bytes([*range(0x09), *range(0x0e, 0x1b), *range(0x1c, 0x20)])
_KEEP_TEXT_BYTES = bytes(b for b in range(256) if b not in _BINARY_BYTES)
# A line of `data.decode("utf-8", "surrogateescape")` holding bytes that are not UTF-8.
_UNDECODED_LINE_RE = re.compile(r"[^\n]*[\udc80-\udcff][^\n]*")
_UNDECODED_RE = re.compile(r"[\udc80-\udcff]")
CSV_DELIMITERS = (",", ";", "\t", "|")
# One CSV field may hold a whole (too long) post; posts_clean quarantines it as too long.
CSV_FIELD_LIMIT = 64 * 1024 * 1024


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


def _check_text(data: bytes, path: Path) -> None:
    """Refuse a file that is not text at all (UTF-16, binary) with one line, instead of
    quarantining every "line" of it."""
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileSourceError(f"{path}: UTF-16 text; save it as UTF-8 (or CP949)")
    controls = len(head.translate(None, _KEEP_TEXT_BYTES))
    if head and controls * 20 > len(head):  # over 5% NUL and other control bytes
        raise FileSourceError(f"{path}: binary data, not UTF-8 or CP949 text "
                              f"({controls} control bytes in the first {len(head)})")


def decode(data: bytes, encoding: str, path: Path) -> tuple[str | list[bytes], str]:
    """Whole-file text in the detected encoding, or the raw lines when no encoding fits.

    With `auto`, a file that is not all UTF-8 is decoded line by line: UTF-8 first, else CP949
    (a line of Korean CP949 is never valid UTF-8, so a mixed file is read right). Bytes that fit
    neither stay as U+DC80..U+DCFF escapes: the caller quarantines their lines.
    """
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
    text = data.decode("utf-8", "surrogateescape")
    utf8_beyond_ascii = not _UNDECODED_LINE_RE.sub("", text).isascii()
    by_line = {"cp949": 0, "bad": 0}

    def as_cp949(match: re.Match[str]) -> str:
        line = match.group()
        try:
            line = line.encode("utf-8", "surrogateescape").decode("cp949")
        except UnicodeDecodeError:
            by_line["bad"] += 1
            return line
        by_line["cp949"] += 1
        return line

    text = _UNDECODED_LINE_RE.sub(as_cp949, text)
    if by_line["bad"]:
        lines = sum(1 for line in text.split("\n") if line.strip())
        if by_line["bad"] * 2 > lines:
            raise FileSourceError(f"{path}: not UTF-8 or CP949 text ({by_line['bad']} of {lines} "
                                  "lines cannot be decoded)")
    used = "cp949" if by_line["cp949"] and not utf8_beyond_ascii else "utf-8"
    if by_line["cp949"] and utf8_beyond_ascii:
        used += " and cp949 (by line)"
    if by_line["bad"]:
        used += " (with invalid lines)"
    return text, used


def jsonl_records(lines: list[str] | list[bytes], mapping: Callable[[dict], dict]) -> Iterator[Record]:
    for i, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError:
                yield Record(i, None, line.decode("utf-8", "replace"), "invalid UTF-8")
                continue
        elif _UNDECODED_RE.search(line):  # `decode` found no encoding for this line
            raw = line.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            yield Record(i, None, raw, "not valid UTF-8 or CP949")
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Record(i, None, line, f"malformed JSON ({exc.msg} at column {exc.colno})")
            continue
        except RecursionError:
            yield Record(i, None, line[:200], "JSON nested too deeply")
            continue
        if not isinstance(obj, dict):
            yield Record(i, None, line, "JSON line is not an object")
            continue
        yield Record(i, mapping(obj))


def csv_delimiter(text: str, default: str) -> str:
    """`default` when the header row holds it, else the most frequent of , ; tab | in it."""
    header = text.split("\n", 1)[0]
    if default in header:
        return default
    counts = {d: header.count(d) for d in CSV_DELIMITERS}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else default


def _csv_records(text: str, mapping: Callable[[dict], dict], delimiter: str) -> Iterator[Record]:
    # csv cannot read NUL bytes; they carry nothing, so they become spaces like other controls.
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.DictReader(io.StringIO(text.replace("\x00", " "), newline=""), delimiter=delimiter)
    if not reader.fieldnames:
        raise FileSourceError("CSV file has no header row")
    names = [n for n in reader.fieldnames if n]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise FileSourceError(f"CSV header repeats column {', '.join(map(repr, repeated))}")
    undecoded = _UNDECODED_RE.search(text) is not None
    end = reader.line_num  # line_no: the physical line a record starts on
    for row in reader:
        i, end = end + 1, reader.line_num
        if None in row:
            yield Record(i, None, json.dumps(row, ensure_ascii=False, default=str),
                         "CSV row has more fields than the header")
            continue
        if undecoded and any(v and _UNDECODED_RE.search(v) for v in row.values()):
            raw = json.dumps(row, ensure_ascii=False).encode("utf-8", "surrogateescape")
            yield Record(i, None, raw.decode("utf-8", "replace"), "not valid UTF-8 or CP949")
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
    _check_text(data, path)
    text, used = decode(data, encoding, path)
    if fmt == "jsonl":
        lines = text.split("\n") if isinstance(text, str) else text
        return list(jsonl_records(lines, mapper)), {"format": fmt, "encoding": used}
    if not isinstance(text, str):
        raise FileSourceError(f"{path}: not valid UTF-8 or CP949 text")
    delimiter = csv_delimiter(
        text, "\t" if path.name.lower().removesuffix(".gz").endswith(".tsv") else ",")
    try:
        return list(_csv_records(text, mapper, delimiter)), {"format": fmt, "encoding": used}
    except csv.Error as exc:
        raise FileSourceError(f"{path}: broken CSV ({exc})") from None
