"""Threads: one refresh for many callers on a cold cache, the GIL released
during native calls, and close() racing calls in flight."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from workload_identity import Client, ClientClosedError, _native

THREADS = 32


def _all_at_once(function):
    """Runs `function()` on THREADS threads released together; the results."""
    barrier = threading.Barrier(THREADS)

    def run():
        barrier.wait()
        return function()

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda _: run(), range(THREADS)))


def _assert_one_refresh_on_the_wire(devserver):
    stats = devserver.control("stats")["by_path"]
    assert stats.get("/oauth/token") == 1 and stats.get("/oauth/exchange") == 1, stats


def test_32_threads_sharing_a_client_on_a_cold_cache_cause_one_refresh(devserver):
    # Slow step 1 down so that every thread arrives while the refresh is in flight.
    devserver.fault(path="/oauth/token", kind="delay", delay_ms=300)
    with Client() as client:
        tokens = _all_at_once(client.get_access_token)
        stats = client.stats()
    assert len(set(tokens)) == 1, f"{len(set(tokens))} distinct tokens"
    _assert_one_refresh_on_the_wire(devserver)
    assert stats["refreshes_started"] == stats["refreshes_succeeded"] == 1, stats
    assert stats["cache_misses"] == THREADS, stats


def test_32_threads_with_a_client_each_on_a_cold_cache_cause_one_refresh(devserver):
    devserver.fault(path="/oauth/token", kind="delay", delay_ms=300)

    def fresh_client_token():
        with Client() as client:
            return client.get_access_token()

    tokens = _all_at_once(fresh_client_token)
    assert len(set(tokens)) == 1, f"{len(set(tokens))} distinct tokens"
    _assert_one_refresh_on_the_wire(devserver)


def test_the_gil_is_released_while_the_library_waits_on_the_network(devserver):
    # The server holds the ID-token request for 500 ms; another Python thread
    # must be able to see it arrive while the native call is still running.
    devserver.fault(path="/oauth/token", kind="delay", delay_ms=500)
    returned = threading.Event()
    seen = []

    def watch():
        while not returned.is_set():
            if devserver.count("/oauth/token"):
                seen.append("during the call" if not returned.is_set() else "after it")
                return

    watcher = threading.Thread(target=watch)
    watcher.start()
    with Client() as client:
        client.get_access_token()
        returned.set()
    watcher.join()
    assert seen == ["during the call"], seen


def test_close_while_calls_are_in_flight_lets_them_finish(devserver):
    devserver.fault(path="/oauth/token", kind="delay", delay_ms=300)
    client = Client()
    with ThreadPoolExecutor(4) as pool:
        calls = [pool.submit(client.get_access_token) for _ in range(4)]
        while devserver.count("/oauth/token") == 0:
            threading.Event().wait(0.01)
        client.close()
        tokens = [call.result() for call in calls]
    assert all(token.startswith("at_") for token in tokens)
    with pytest.raises(ClientClosedError):
        client.get_access_token()


def test_a_call_that_close_overtakes_leaves_no_lease_behind(monkeypatch):
    # The window between the native call and storing its lease, made certain:
    # close() runs while the call copies its token out.
    client = Client()
    client.get_access_token()  # fetched: no lease yet; the next call is leased
    take_string = _native.take_string

    def close_then_take(pointer):
        client.close()
        return take_string(pointer)

    monkeypatch.setattr(_native, "take_string", close_then_take)
    assert client.get_access_token().startswith("at_"), "a call in flight at close() finishes"
    with pytest.raises(ClientClosedError):
        client.get_access_token()
