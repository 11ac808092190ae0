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
