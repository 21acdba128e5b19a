"""`minsim`: the command line. Each command calls one `flows` function; user mistakes get one line."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="Minsim (민심): Seoul civic opinion mining. See README.md.")
ingest_app = typer.Typer(no_args_is_help=True, help="Import posts into the warehouse.")
app.add_typer(ingest_app, name="ingest")

T = TypeVar("T")


class UserError(Exception):
    """A mistake the user can fix: printed as one line, exit code 2."""


def _settings():
    from pipeline.config import get_settings

    try:
        return get_settings()
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _guard(fn: Callable[[], T]) -> T:
    """Run `fn`, turning known errors into one-line messages."""
    from pipeline.flows import DemoError
    from pipeline.sources.files import FileSourceError
    from pipeline.storage.warehouse import WarehouseError
    from pipeline.validation.suites import ContractError

    known: tuple[type[BaseException], ...] = (UserError, FileSourceError, WarehouseError,
                                              ContractError, DemoError)
    try:
        from pipeline.nlp.policy import ModelLoadError as PolicyLoadError
        from pipeline.nlp.sentiment import ModelLoadError as SentimentLoadError

        known += (SentimentLoadError, PolicyLoadError)
    except ImportError:
        pass
    try:
        from pipeline.sources.mvoting import MVotingFormatError
        from pipeline.sources.x import XApiError, XAuthError

        known += (XAuthError, XApiError, MVotingFormatError)
    except ImportError:
        pass
    try:
        return fn()
    except known as exc:
        typer.echo(f"minsim: error: {exc}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo("minsim: interrupted", err=True)
        raise typer.Exit(130) from None


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"--date must be YYYY-MM-DD, got {value!r}") from None


def _progress():
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description:<28}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                   TimeElapsedColumn(), transient=True, disable=not sys.stderr.isatty())
    task = bar.add_task("starting", total=1)

    def update(stage: str, done: int, total: int) -> None:
        bar.update(task, description=stage, completed=done, total=max(total, 1))

    return bar, update


@app.callback()
def main_options(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="log each stage's progress (INFO) to stderr")
    ] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@app.command()
def demo(
    days: Annotated[int, typer.Option(help="days to simulate")] = 14,
    seed: Annotated[int, typer.Option(help="simulation seed")] = 42,
    posts_per_day: Annotated[int, typer.Option(help="simulated posts per day")] = 2000,
    end_day: Annotated[str | None, typer.Option(help="last simulated day (default: yesterday)")] = None,
    pdf: Annotated[bool, typer.Option(help="also render the PDF briefing")] = True,
) -> None:
    """Simulate N days of Seoul civic posts, run the whole pipeline, render the last briefing."""
    from pipeline import flows

    settings = _settings()
    if days < 1:
        raise typer.BadParameter("--days must be at least 1")
    bar, update = _progress()

    def go() -> dict:
        with bar:
            return flows.demo(settings=settings, days=days, seed=seed, posts_per_day=posts_per_day,
                              end_day=_day(end_day) if end_day else None, progress=update)

    result = _guard(go)
    first, last = result["days"]
    ingest = [s for s in result["summaries"] if s.stage == "ingest"]
    typer.echo(f"simulated {result['posts']} posts, {first} .. {last} in {result['seconds']} s: "
               f"read={sum(s.read for s in ingest)} stored={sum(s.stored for s in ingest)} "
               f"duplicates={sum(s.duplicates for s in ingest)} "
               f"quarantined={sum(s.quarantined for s in ingest)}")
    typer.echo(f"warehouse: {result['warehouse']}")
    for kind, path in result.get("report", {}).items():
        typer.echo(f"{kind}: {path}")
    typer.echo("next: open the briefing in a browser, or `uv run minsim sql` to query the warehouse")


@ingest_app.command("file")
def ingest_file(
    path: Path,
    channel: Annotated[str | None, typer.Option(help="channel when rows have none")] = None,
    encoding: Annotated[str, typer.Option(help="auto | utf-8 | cp949 | euc-kr")] = "auto",
    mapping: Annotated[str, typer.Option(help="canonical | petition | news_tweets")] = "canonical",
) -> None:
    """Import a .jsonl/.csv/.parquet file; prints read/stored/duplicates/quarantined."""
    from pipeline import flows

    settings = _settings()
    s = _guard(lambda: flows.ingest_file(path, settings=settings, channel=channel,
                                         encoding=encoding, mapping=mapping))
    if s.message:  # e.g. counts that were not counts, stored as NULL (stderr; the summary stays last)
        typer.echo(f"note: {s.message}", err=True)
    typer.echo(s.line())


@ingest_app.command("x")
def ingest_x(
    since: Annotated[str, typer.Option(help="window start, ISO 8601")],
    until: Annotated[str, typer.Option(help="window end, ISO 8601")],
    query: Annotated[list[str] | None, typer.Option(help="search query (repeatable)")] = None,
) -> None:
    """X API v2 recent search through tweepy; the cursor is kept in the warehouse."""
    from pipeline import flows

    settings = _settings()

    def parse(v: str, name: str) -> datetime:
        from pipeline.transforms.normalize import parse_time

        try:
            return parse_time(v)
        except ValueError:
            raise UserError(f"--{name} must be ISO 8601, got {v!r}") from None

    def go():
        return flows.ingest_x(settings=settings, since=parse(since, "since"),
                              until=parse(until, "until"), queries=query or None)

    for s in _guard(go):
        typer.echo(f"{s.source}: {s.line()} status={s.status}" + (f" ({s.message})" if s.message else ""))


@ingest_app.command("feeds")
def ingest_feeds(url: Annotated[list[str] | None, typer.Option(help="feed URL (repeatable)")] = None) -> None:
    """RSS/Atom feeds with conditional GET (MINSIM_FEEDS or --url)."""
    from pipeline import flows

    settings = _settings()
    for s in _guard(lambda: flows.ingest_feeds(settings=settings, urls=url or None)):
        typer.echo(f"{s.source}: {s.line()} status={s.status}")


@ingest_app.command("inbox")
def ingest_inbox() -> None:
    """Sweep $MINSIM_DATA_DIR/inbox/<channel>/: each new file once, then moved to done/ or failed/."""
    from pipeline import flows

    settings = _settings()
    for r in _guard(lambda: flows.sweep_inbox(settings=settings)):
        typer.echo(f"{r['channel']}/{Path(r['file']).name}: {r['status']} {r.get('counts') or ''} "
                   f"{r.get('reason') or ''}".rstrip())


@ingest_app.command("mvoting")
def ingest_mvoting(path: Path) -> None:
    """Import mVoting polls (CSV or JSON, see docs/signals.md)."""
    from pipeline import flows

    settings = _settings()
    s = _guard(lambda: flows.ingest_mvoting(path, settings=settings))
    typer.echo(s.line())


@app.command()
def run(date_: Annotated[str, typer.Option("--date", help="YYYY-MM-DD (Asia/Seoul)")]) -> None:
    """NLP, aggregates and alerts for one day over what the warehouse holds (idempotent)."""
    from pipeline import flows

    settings = _settings()
    day = _guard(lambda: _day(date_))
    bar, update = _progress()

    def go():
        with bar:
            return flows.run_day(day, settings=settings, progress=update)

    for s in _guard(go):
        typer.echo(f"{s.stage} {day}: read={s.read} stored={s.stored}")


@app.command()
def report(
    date_: Annotated[str, typer.Option("--date", help="YYYY-MM-DD (Asia/Seoul)")],
    weekly: Annotated[bool, typer.Option(help="weekly edition ending on --date")] = False,
    pdf: Annotated[bool, typer.Option(help="also render the PDF")] = True,
) -> None:
    """Render the briefing under $MINSIM_DATA_DIR/reports/YYYY-MM-DD/."""
    from pipeline import flows

    settings = _settings()
    day = _guard(lambda: _day(date_))
    paths = _guard(lambda: flows.report_day(day, settings=settings, weekly=weekly, pdf=pdf))
    for kind, path in paths.items():
        typer.echo(f"{kind}: {path}")


@app.command()
def annotate(
    input_path: Annotated[Path, typer.Argument(metavar="IN.jsonl")],
    output: Annotated[Path, typer.Option("-o", "--output", help="OUT.jsonl")],
) -> None:
    """Stateless scoring of {"id","text"} lines; a bad line gets {"id","error"}."""
    from pipeline import flows

    settings = _settings()

    def go() -> tuple[int, int]:
        if not input_path.is_file():
            raise UserError(f"{input_path}: no such file")
        if output.is_dir():
            raise UserError(f"{output}: is a directory (give -o a file name)")
        try:
            return flows.annotate_file(input_path, output, settings=settings)
        except OSError as exc:
            name = exc.filename or output
            raise UserError(f"{name}: cannot read or write ({exc.strerror or exc})") from None

    n, errors = _guard(go)
    typer.echo(f"annotated={n - errors} errors={errors} -> {output}")


@app.command()
def sql(query: Annotated[str | None, typer.Argument(help="SQL; omit for a shell")] = None,
        csv_out: Annotated[bool, typer.Option("--csv", help="print CSV")] = False) -> None:
    """Read-only SQL on the warehouse (a shell without QUERY)."""
    from pipeline import flows

    settings = _settings()
    if query is not None:
        text = _guard(lambda: flows.sql_query(query, settings=settings, fmt="csv" if csv_out else "table"))
        typer.echo(text)
        return
    _guard(lambda: flows.sql_shell(settings=settings))


@app.command()
def export(out: Annotated[Path | None, typer.Option(help="folder (default: $MINSIM_DATA_DIR/export)")] = None) -> None:
    """Export every warehouse table and staff view to Parquet (a consistent read-only snapshot)."""
    from pipeline import flows

    settings = _settings()
    out_dir = out or settings.data_dir / "export"
    paths = _guard(lambda: flows.export_parquet(out_dir, settings=settings))
    typer.echo(f"exported {len(paths)} tables to {out_dir}")


@app.command()
def feedback(
    post_id: str,
    label: Annotated[str, typer.Argument(help="negative | neutral | positive")],
    analyst: Annotated[str, typer.Option(help="who corrects the label")],
    note: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Correct a post's sentiment (table label_feedback; used by the next training)."""
    from pipeline.notebook_helpers import WarehouseNotReady, correct_sentiment

    settings = _settings()

    def go() -> None:
        try:
            correct_sentiment(post_id, label, analyst, note, path=settings.warehouse)
        except (ValueError, KeyError, WarehouseNotReady) as exc:
            raise UserError(str(exc).strip("'\"")) from None

    _guard(go)
    typer.echo(f"recorded: {post_id} -> {label} ({analyst})")


@app.command()
def train(
    name: Annotated[str, typer.Argument(help="sentiment | policy")],
    seed: Annotated[int, typer.Option()] = 13,
    sample: Annotated[int | None, typer.Option(help="train on a sample (quick check)")] = None,
    out: Annotated[Path | None, typer.Option(help="models folder (default: models/NAME)")] = None,
) -> None:
    """Reproduce a shipped model from MINSIM_CORPORA (sentiment also uses analyst feedback)."""
    from pipeline import flows

    if name not in ("sentiment", "policy"):
        raise typer.BadParameter("NAME must be sentiment or policy")
    settings = _settings()
    meta = _guard(lambda: flows.train_model(name, settings=settings, seed=seed, sample=sample, out=out))
    typer.echo(json.dumps(meta.get("metrics", {}), ensure_ascii=False, default=str)[:2000])
    typer.echo(f"model: {meta.get('path')}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
