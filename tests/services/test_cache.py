"""The one cache computes a result once however many ask for it at the same time (a dashboard opened by fifty
people just after an import), and keeps results apart by everything they depend on."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from gapwatch.services import cache

STATE = cache.StateKey("sqlite:///x", 1, 1, (1,), ())


def test_concurrent_requests_compute_once() -> None:
    cache.clear()
    calls = 0
    guard = threading.Lock()

    def compute() -> int:
        nonlocal calls
        with guard:
            calls += 1
        time.sleep(0.2)
        return 42

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: cache.remember(STATE, ("dashboard",), compute), range(8)))
    assert answers == [42] * 8 and calls == 1


def test_a_failed_computation_is_not_remembered_and_others_retry() -> None:
    cache.clear()
    attempts = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("database went away")
        return "ok"

    with pytest.raises(RuntimeError):
        cache.remember(STATE, ("q",), flaky)
    assert cache.remember(STATE, ("q",), flaky) == "ok" and len(attempts) == 2


def test_results_are_kept_apart_by_state() -> None:
    cache.clear()
    newer = cache.StateKey("sqlite:///x", 1, 1, (2,), ())  # a batch was imported
    assert cache.remember(STATE, ("q",), lambda: "before") == "before"
    assert cache.remember(newer, ("q",), lambda: "after") == "after"
    assert cache.remember(STATE, ("q",), lambda: "unused") == "before"


def test_one_working_set_fits_the_cache() -> None:
    """A county paper with 12 annexes asks for ~4,100 results; all of them are still there when asked again."""
    cache.clear()
    for i in range(5_000):
        cache.remember(STATE, ("page", i), lambda i=i: i)
    assert all(cache.remember(STATE, ("page", i), lambda: -1) == i for i in range(5_000))


def test_a_large_result_is_kept_for_the_latest_state_of_each_database_only() -> None:
    cache.clear()
    newer = cache.StateKey("sqlite:///x", 1, 1, (2,), ())
    other = cache.StateKey("sqlite:///y", 1, 1, (1,), ())
    assert cache.keep_latest(STATE, "frame", "old rows") == "old rows"
    assert cache.latest(STATE, "frame") == "old rows" and cache.latest(newer, "frame") is None
    cache.keep_latest(newer, "frame", "new rows")
    cache.keep_latest(other, "frame", "other database")
    assert cache.latest(STATE, "frame") is None  # replaced, not piled up
    assert cache.latest(newer, "frame") == "new rows" and cache.latest(other, "frame") == "other database"
    for n in range(20):  # at most a few databases are kept
        cache.keep_latest(cache.StateKey(f"sqlite:///{n}", 1, 1, (1,), ()), "frame", n)
    assert cache.latest(newer, "frame") is None
    cache.clear()
    assert cache.latest(cache.StateKey("sqlite:///19", 1, 1, (1,), ()), "frame") is None
