"""Shared HTTP plumbing for the live channels: backoff with jitter, a base-URL session, retried GETs."""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import requests

log = logging.getLogger(__name__)

#: (connect, read) seconds; requests waits forever without one, and tweepy passes none.
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)

RETRY_STATUSES = frozenset({500, 502, 503, 504})

T = TypeVar("T")


def prefetch(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """Iterate `items` in a background thread, staying up to `depth` items ahead.

    For paged HTTP: the next page is requested while the caller works on this one (the network
    wait releases the GIL). Items and the exception that ends `items` arrive in order, so a
    caller sees exactly what a plain loop would. If the caller stops early, the thread finishes
    the item it is making and stops. `depth` 0: no thread.
    """
    if depth <= 0:
        yield from items
        return
    ahead: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        ahead.put((True, item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            outcome: tuple[bool, object] = (False, None)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, raised there
            outcome = (False, exc)
        while not stop.is_set():
            try:
                ahead.put(outcome, timeout=0.1)
                return
            except queue.Full:
                continue

    worker = threading.Thread(target=produce, name="minsim-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            more, value = ahead.get()
            if more:
                yield value
            elif value is None:
                return
            else:
                raise value
    finally:
        stop.set()
        worker.join()


@dataclass(frozen=True)
class Backoff:
    """Bounded exponential backoff with jitter: attempt n waits about base * 2**(n-1), capped."""

    max_attempts: int = 5
    base_s: float = 0.5
    cap_s: float = 30.0
    jitter: float = 0.5
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    seed: int | None = None

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt `attempt` (1-based)."""
        raw = min(self.cap_s, self.base_s * 2 ** max(0, attempt - 1))
        # "Equal jitter": keep part of the delay fixed so retries never collapse to zero,
        # spread the rest so many workers hitting the same outage do not retry in lockstep.
        return raw * (1.0 - self.jitter) + raw * self.jitter * rng.random()

    def rng(self) -> random.Random:
        return random.Random(self.seed)


class BaseUrlSession(requests.Session):
    """A `requests.Session` that sends requests for `rewrite` prefixes to `base_url` instead.

    tweepy's `Client.request` hard-codes ``https://api.twitter.com`` but sends everything through
    `Client.session`, which its docs describe as the `requests.Session` to use and users may
    replace. Swapping in this session points tweepy at a proxy or a local fake server without
    forking or subclassing tweepy, and also gives every request a default timeout.
    """

    def __init__(
        self,
        base_url: str,
        *,
        rewrite: tuple[str, ...] = ("https://api.twitter.com", "https://api.x.com"),
        timeout: float | tuple[float, float] | None = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.rewrite = tuple(p.rstrip("/") for p in rewrite)
        self.timeout = timeout

    def rewrite_url(self, url: str) -> str:
        """`url` with a rewritten prefix replaced by `base_url` (other URLs unchanged)."""
        for prefix in self.rewrite:
            if url == prefix or url.startswith(prefix + "/"):
                return self.base_url + url[len(prefix) :]
        return url

    def request(self, method: str | bytes, url: str | bytes, *args, **kwargs) -> requests.Response:  # type: ignore[override]
        if isinstance(url, bytes):
            url = url.decode()
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, self.rewrite_url(url), *args, **kwargs)


class RetriesExhausted(Exception):
    """A GET kept failing with transient errors after every attempt."""

    def __init__(self, url: str, attempts: int, last_error: str) -> None:
        super().__init__(f"{url}: gave up after {attempts} attempts ({last_error})")
        self.url = url
        self.attempts = attempts
        self.last_error = last_error


def retry_after_s(response: requests.Response, *, now: float | None = None) -> float | None:
    """Seconds the server asks us to wait (Retry-After seconds or HTTP date), if it says."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def get_with_retries(
    session: requests.Session,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    timeout: float | tuple[float, float] | None = DEFAULT_TIMEOUT,
    backoff: Backoff | None = None,
    max_retry_after_s: float = 60.0,
) -> requests.Response:
    """GET `url`, retrying timeouts, connection faults, 429 and 5xx with backoff.

    Returns the first response that is not transient (2xx, 304, 4xx); raises `RetriesExhausted`
    when every attempt failed transiently.
    """
    backoff = backoff or Backoff()
    rng = backoff.rng()
    last_error = "no attempt"
    for attempt in range(1, backoff.max_attempts + 1):
        wait: float | None = None
        try:
            response = session.get(url, headers=headers, params=params, timeout=timeout)
            # Read the body inside the try: a connection cut mid-body surfaces here.
            _ = response.content
        except requests.RequestException as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        else:
            if response.status_code == 429:
                last_error = "HTTP 429"
                wait = retry_after_s(response)
                if wait is not None and wait > max_retry_after_s:
                    raise RetriesExhausted(url, attempt, f"HTTP 429, retry after {wait:.0f} s")
            elif response.status_code in RETRY_STATUSES:
                last_error = f"HTTP {response.status_code}"
            else:
                return response
        if attempt == backoff.max_attempts:
            break
        delay = wait if wait is not None else backoff.delay(attempt, rng)
        log.warning("GET %s failed (%s); retry %d in %.2f s", url, last_error, attempt, delay)
        backoff.sleep(delay)
    raise RetriesExhausted(url, backoff.max_attempts, last_error)
