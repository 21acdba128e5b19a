"""Shared fixtures: settings on a temporary warehouse, a session-wide demo warehouse."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from pipeline.config import PROJECT_ROOT, get_settings

DEMO_END = date(2026, 11, 20)
DEMO_DAYS = 4


def settings_for(tmp: Path, **extra: str):
    env = {
        "MINSIM_WAREHOUSE": str(tmp / "warehouse.duckdb"),
        "MINSIM_DATA_DIR": str(tmp / "data"),
        "MINSIM_CORPORA": os.environ.get("MINSIM_CORPORA", str(PROJECT_ROOT.parent / "shared" / "data")),
        "MINSIM_PSEUDONYM_SALT": "test-salt",
        "MINSIM_SOURCES": "simulator",
    }
    env.update(extra)
    return get_settings(env)


@pytest.fixture
def settings(tmp_path: Path):
    return settings_for(tmp_path)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The demo pipeline run once for the session (4 days x 600 posts, fixed end day)."""
    from pipeline import flows

    tmp = tmp_path_factory.mktemp("demo")
    s = settings_for(tmp)
    result = flows.demo(settings=s, days=DEMO_DAYS, seed=7, end_day=DEMO_END, posts_per_day=600)
    result["settings"] = s
    return result


@pytest.fixture(scope="session")
def demo_warehouse(demo_run: dict) -> Path:
    return Path(demo_run["warehouse"])


@pytest.fixture(scope="session")
def corpora() -> Path:
    path = Path(os.environ.get("MINSIM_CORPORA", PROJECT_ROOT.parent / "shared" / "data"))
    if not path.is_dir():
        pytest.skip(f"corpora not found at {path} (set MINSIM_CORPORA)")
    return path
