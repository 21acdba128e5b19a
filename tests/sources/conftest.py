"""Fixtures for the live-channel tests: real local HTTP servers and a fast retry policy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipeline.sources.http import Backoff
from pipeline.sources.x import XPolicy, make_x_client
from tests.sources.fake_feed_server import FakeFeedServer
from tests.sources.fake_x_server import FakeXServer, MemoryStore

__all__ = ["MemoryStore", "fast_policy"]

TEST_TOKEN = "test-token"
#: client (connect, read) timeout; the fake's "timeout" scenario stalls longer than the read part.
CLIENT_TIMEOUT = (2.0, 0.3)


def fast_policy(**overrides: object) -> XPolicy:
    """Small pages and millisecond backoff, so every fault scenario runs in well under a second."""
    params: dict = {
        "page_size": 25,
        "backoff": Backoff(max_attempts=5, base_s=0.005, cap_s=0.02, seed=1),
        "max_rate_limit_wait_s": 5.0,
        "rate_limit_margin_s": 0.05,
        "bad_page_retries": 2,
    }
    params.update(overrides)
    return XPolicy(**params)


@pytest.fixture(scope="session")
def x_server() -> Iterator[FakeXServer]:
    with FakeXServer(n=240, token=TEST_TOKEN, slow_s=0.8) as server:
        yield server


@pytest.fixture
def x_fake(x_server: FakeXServer) -> Iterator[FakeXServer]:
    x_server.set_scenario("ok")
    yield x_server
    x_server.set_scenario("ok")


@pytest.fixture
def x_client(x_fake: FakeXServer):
    return make_x_client(TEST_TOKEN, api_base=x_fake.url, timeout=CLIENT_TIMEOUT)


@pytest.fixture(scope="session")
def feed_server() -> Iterator[FakeFeedServer]:
    with FakeFeedServer() as server:
        yield server


@pytest.fixture
def feed_fake(feed_server: FakeFeedServer) -> Iterator[FakeFeedServer]:
    feed_server.reset()
    yield feed_server
    feed_server.reset()
