"""Settings: the only module that reads the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

PROJECT_ROOT = Path(__file__).resolve().parent.parent

TOKENIZER_BACKENDS = ("kiwi", "okt", "komoran", "hannanum", "kkma")


@dataclass(frozen=True)
class Settings:
    """Resolved settings of one process (see README, "Settings")."""

    project_root: Path
    warehouse: Path
    data_dir: Path
    corpora: Path
    models_dir: Path
    x_api_base: str
    x_bearer_token: str | None
    pseudonym_salt: str
    tokenizer: str
    x_queries: tuple[str, ...]
    feeds: tuple[str, ...]
    exclude_coordinated: bool
    sources: tuple[str, ...]
    briefing_email: tuple[str, ...]
    simulator_seed: int
    ingest_workers: int = 0  # get_settings: MINSIM_INGEST_WORKERS, unset = auto

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def inbox_dir(self) -> Path:
        return self.data_dir / "inbox"


def _path(value: str | None, default: Path) -> Path:
    if not value:
        return default
    p = Path(value).expanduser()
    return p if p.is_absolute() else (Path.cwd() / p).resolve()


def _split(value: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        return default
    return tuple(v.strip() for v in value.split(";") if v.strip())


def _workers(value: str | None) -> int:
    """Worker processes that clean X batches while the next pages are fetched (0 = in-process).
    They start at a run's first full batch (10,000 posts), so smaller runs never pay for them.

    `auto`, the default: 2 on a machine with at least 2 cores, else 0.
    """
    if not value or value.strip().lower() == "auto":
        return 2 if (os.cpu_count() or 1) >= 2 else 0
    try:
        n = int(value)
    except ValueError:
        raise ValueError(f"MINSIM_INGEST_WORKERS={value!r} is not a number or 'auto'") from None
    if n < 0:
        raise ValueError(f"MINSIM_INGEST_WORKERS={value!r} must be 0 or more")
    return n


def get_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from `env` (default: `.env` in the working directory, then os.environ)."""
    if env is None:
        merged: dict[str, str] = {}
        for dotenv in (PROJECT_ROOT / ".env", Path.cwd() / ".env"):
            if dotenv.is_file():
                merged.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
        merged.update(os.environ)
        env = merged
    data_dir = _path(env.get("MINSIM_DATA_DIR"), PROJECT_ROOT / "data")
    tokenizer = env.get("MINSIM_TOKENIZER", "kiwi").strip().lower() or "kiwi"
    if tokenizer not in TOKENIZER_BACKENDS:
        raise ValueError(
            f"MINSIM_TOKENIZER={tokenizer!r} is not one of {', '.join(TOKENIZER_BACKENDS)}"
        )
    return Settings(
        project_root=PROJECT_ROOT,
        warehouse=_path(env.get("MINSIM_WAREHOUSE"), data_dir / "warehouse.duckdb"),
        data_dir=data_dir,
        corpora=_path(env.get("MINSIM_CORPORA"), (PROJECT_ROOT / ".." / "shared" / "data").resolve()),
        models_dir=_path(env.get("MINSIM_MODELS"), PROJECT_ROOT / "models"),
        x_api_base=env.get("MINSIM_X_API_BASE", "https://api.twitter.com").rstrip("/"),
        x_bearer_token=env.get("MINSIM_X_BEARER_TOKEN") or None,
        pseudonym_salt=env.get("MINSIM_PSEUDONYM_SALT", "minsim-default-salt-change-me"),
        tokenizer=tokenizer,
        x_queries=_split(env.get("MINSIM_X_QUERIES"), ("#서울시", "서울시 정책", "from:seoulcity")),
        feeds=_split(env.get("MINSIM_FEEDS"), ()),
        exclude_coordinated=env.get("MINSIM_EXCLUDE_COORDINATED", "1") not in ("0", "false", "no"),
        sources=_split(env.get("MINSIM_SOURCES"), ("simulator", "inbox")),
        briefing_email=_split(env.get("MINSIM_BRIEFING_EMAIL"), ()),
        simulator_seed=int(env.get("MINSIM_SIMULATOR_SEED", "42")),
        ingest_workers=_workers(env.get("MINSIM_INGEST_WORKERS")),
    )
