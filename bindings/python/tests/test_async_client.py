"""AsyncClient: the loop keeps running while calls wait on the network, one
refresh for many tasks, cancellation, closing, and the same errors as Client.

Each test runs its own event loop with `asyncio.run`; the dev server holds
requests through its `delay` fault.
"""

import asyncio
import functools
import inspect
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from workload_identity import AsyncClient, Client, ClientClosedError, WorkloadIdentityError, _native, aio

TASKS = 64


def in_event_loop(test):
    """Runs the coroutine function `test` to its end in a new event loop."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return run


class RefusingExecutor(ThreadPoolExecutor):
    """Set as a loop's default executor: fails a test that uses it."""

    def submit(self, *args, **kwargs):
        raise AssertionError("the loop's default executor was used")


def refuse_the_default_executor():
    asyncio.get_running_loop().set_default_executor(RefusingExecutor(1))


def library_threads():
    return [thread for thread in threading.enumerate() if thread.name.startswith("workload_identity")]


async def wait_until(condition, what, timeout=10.0):
    """Polls `condition()` (a blocking call, run off the loop) until true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    with ThreadPoolExecutor(1) as poller:
        while not await loop.run_in_executor(poller, condition):
            if loop.time() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.01)


@in_event_loop
async def test_the_loop_keeps_ticking_while_a_call_waits_on_a_slow_server(devserver):
    refuse_the_default_executor()
    devserver.fault(path="/oauth/token", kind="delay", delay_ms=1500)
    ticks = 0

    async def tick():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.ensure_future(tick())
    try:
        async with AsyncClient() as client:
            token = await client.get_access_token()
    finally:
        ticker.cancel()
    assert token.startswith("at_")
    assert ticks >= 50, f"a 10 ms timer fired {ticks} times during a 1.5 s call"


@in_event_loop
async def test_64_tasks_on_a_cold_identity_cause_one_fetch_on_bounded_threads(devserver):
    refuse_the_default_executor()
    devserver.fault(path="/oauth/token", kind="delay", delay_ms=300)
    async with AsyncClient() as client:
        tasks = [asyncio.ensure_future(client.get_access_token()) for _ in range(TASKS)]
        await asyncio.sleep(0.1)  # the fetch is held by the server: every task is waiting
        threads = len(library_threads())
        tokens = await asyncio.gather(*tasks)
        stats = await client.stats()
    assert len(set(tokens)) == 1, f"{len(set(tokens))} distinct tokens"
    by_path = devserver.control("stats")["by_path"]
    assert by_path.get("/oauth/token") == 1 and by_path.get("/oauth/exchange") == 1, by_path
    assert stats["refreshes_started"] == stats["refreshes_succeeded"] == 1, stats
    assert 1 <= threads <= aio.MAX_THREADS, f"{threads} threads for {TASKS} tasks"
    assert len(library_threads()) <= aio.MAX_THREADS, "threads are reused, not leaked"


@in_event_loop
async def test_a_cached_token_is_returned_on_the_loop(monkeypatch):
    async with AsyncClient() as client:
        first = await client.get_access_token()  # fetched: no lease yet
        second = await client.get_access_token()  # from the cache, with a lease
        hits_before = (await client.stats())["cache_hits"]

        def no_executor():
            raise AssertionError("a cached token went through the executor")

        monkeypatch.setattr(aio, "_executor", no_executor)
        assert [await client.get_access_token() for _ in range(10)] == [first] * 10
        assert second == first
        assert (await client.stats())["cache_hits"] == hits_before + 10, "lease hits are counted"


@in_event_loop
async def test_cancelling_a_call_mid_fetch_returns_at_once_and_the_call_finishes_behind(devserver, monkeypatch):
    taken = []
    take_string = _native.take_string

    def counting_take_string(pointer):
        taken.append(threading.current_thread().name)
        return take_string(pointer)

    devserver.fault(path="/oauth/token", kind="delay", delay_ms=1500)
    async with AsyncClient() as client:
        # Patched after Client() (which loads the skill environment once).
        monkeypatch.setattr(_native, "take_string", counting_take_string)
        call = asyncio.ensure_future(client.get_access_token())
        await wait_until(lambda: devserver.count("/oauth/token") == 1, "the ID-token request")
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        # Cancelled while the server still holds the request: the native call runs on.
        assert (await client.stats())["refreshes_succeeded"] == 0
        assert devserver.count("/oauth/exchange") == 0
        assert taken == []

        await wait_until(lambda: taken, "the cancelled call to finish")
        assert len(taken) == 1 and taken[0].startswith("workload_identity"), "its token was copied and freed there"
        await wait_until(lambda: devserver.count("/oauth/exchange") == 1, "the exchange")
        token = await client.get_access_token()
    assert token.startswith("at_")
    assert devserver.count("/oauth/token") == 1, "the cancelled call's token was cached for the next caller"


@in_event_loop
async def test_async_with_closes_and_every_coroutine_then_raises_clients_closed_error():
    async with AsyncClient() as client:
        assert not client.closed and repr(client) == "<workload_identity.AsyncClient open>"
        await client.get_access_token()
        await client.get_access_token()  # leased
    assert client.closed and repr(client) == "<workload_identity.AsyncClient closed>"
    closed_sync = Client()
    closed_sync.close()
    with pytest.raises(ClientClosedError) as expected:
        closed_sync.get_access_token()
    calls = {
        "get_access_token": (),
        "get_access_token_with_expiry": (),
        "peek_access_token": (),
        "force_refresh": (),
        "invalidate_token": ("at_x",),
        "get_integration_credential": ("github",),
        "get_project_env_vars": (),
        "exchange_token": ("subject",),
        "get_delegated_token": ("at_user",),
        "stats": (),
    }
    assert set(calls) == set(public_coroutines()) - {"close"}, "a coroutine is missing from this test"
    for name, args in calls.items():
        with pytest.raises(ClientClosedError) as raised:
            await getattr(client, name)(*args)
        assert str(raised.value) == str(expected.value), name
    await client.close()  # idempotent
    assert client.closed


def test_one_client_serves_several_event_loops_at_once():
    client = AsyncClient()
    with ThreadPoolExecutor(2) as loops:
        tokens = list(loops.map(lambda _: asyncio.run(client.get_access_token()), range(4)))
    assert len(set(tokens)) == 1
    asyncio.run(client.close())


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_runs_calls_on_threads_of_its_own():
    client = AsyncClient()
    asyncio.run(client.force_refresh())  # the parent's executor has a thread
    child = os.fork()
    if child == 0:
        try:
            token = asyncio.run(asyncio.wait_for(client.force_refresh(), 10))
            os._exit(0 if token.startswith("at_") else 1)
        except BaseException:
            os._exit(2)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        finished, status = os.waitpid(child, os.WNOHANG)
        if finished:
            break
        time.sleep(0.05)
    else:
        os.kill(child, 9)
        os.waitpid(child, 0)
        raise AssertionError("the child hung")
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    asyncio.run(client.close())


def public_coroutines():
    return [
        name for name, _ in inspect.getmembers(AsyncClient, inspect.iscoroutinefunction) if not name.startswith("_")
    ]


def test_every_client_method_is_a_coroutine_of_the_same_signature():
    for name, method in inspect.getmembers(Client, inspect.isfunction):
        if name.startswith("_"):
            continue
        coroutine = getattr(AsyncClient, name, None)
        assert inspect.iscoroutinefunction(coroutine), f"AsyncClient.{name} is missing or not a coroutine"
        ours, theirs = inspect.signature(coroutine), inspect.signature(method)
        assert list(ours.parameters.values()) == list(theirs.parameters.values()), name
    assert inspect.signature(AsyncClient.__init__) == inspect.signature(Client.__init__)


@in_event_loop
async def test_the_calls_answer_as_client_does(devserver):
    refuse_the_default_executor()
    async with AsyncClient() as client:
        token = await client.get_access_token()
        assert await client.get_integration_credential("github") == "ghp_dev_github_credential"
        env = await client.get_project_env_vars()
        assert env.get("FEATURE_FLAG") == "on"
        exchanged = await client.exchange_token(token, audience="https://api.example.com")
        assert exchanged.startswith("at_") and exchanged != token
        refreshed = await client.force_refresh()
        assert refreshed != token
        await client.invalidate_token(refreshed)
        again = await client.get_access_token()
        assert again not in (token, refreshed)
        stats = await client.stats()
    assert stats["refreshes_succeeded"] == 3, stats
    assert devserver.count("/oauth/token") == 3


def failure(call):
    """(class, message, status, http_status, oauth_code, retryable) of what `call()` raises."""
    with pytest.raises(WorkloadIdentityError) as raised:
        call()
    error = raised.value
    return type(error), str(error), error.status, error.http_status, error.oauth_code, error.retryable


def async_failure(call):
    return failure(lambda: asyncio.run(call()))


def test_the_errors_are_those_of_client(monkeypatch, closed_port):
    sync, asynchronous = Client(), AsyncClient()
    cases = [
        ("get_integration_credential", ("no_such_integration",)),
        ("get_integration_credential", (None,)),
        ("get_integration_credential", ("",)),
        ("get_integration_credential", ("nul\0inside",)),
        ("invalidate_token", (b"\xff",)),
        ("exchange_token", ("subject", None, None, None, None, None, "actor")),
        ("exchange_token", ("",)),
    ]
    for name, args in cases:
        expected = failure(functools.partial(getattr(sync, name), *args))
        assert async_failure(functools.partial(getattr(asynchronous, name), *args)) == expected, (name, args)

    monkeypatch.setenv("COZE_WORKLOAD_IDENTITY_CLIENT_SECRET", "not-the-secret")
    sync, asynchronous = Client(), AsyncClient()
    assert async_failure(asynchronous.get_access_token) == failure(sync.get_access_token)

    unreachable = {"token_endpoint": f"http://127.0.0.1:{closed_port}/oauth/token", "max_retries": 0}
    assert async_failure(AsyncClient(**unreachable).force_refresh) == failure(Client(**unreachable).force_refresh)

    for options in ({"no_such_option": 1}, {"timeout": -1}, {"max_retries": "many"}):
        assert failure(functools.partial(AsyncClient, **options)) == failure(functools.partial(Client, **options))
    monkeypatch.delenv("COZE_WORKLOAD_IDENTITY_CLIENT_ID")
    assert failure(AsyncClient) == failure(Client)


def test_without_an_asyncio_loop_a_call_says_what_to_do():
    client = AsyncClient()
    coroutine = client.get_access_token()
    with pytest.raises(RuntimeError, match="needs a running asyncio event loop.*trio.to_thread.run_sync"):
        coroutine.send(None)


def test_trio_users_call_client_through_a_worker_thread():
    trio = pytest.importorskip("trio")
    with Client() as client:
        token = trio.run(trio.to_thread.run_sync, client.get_access_token)
    assert token.startswith("at_")
    with pytest.raises(RuntimeError, match="asyncio event loop"):
        trio.run(AsyncClient().force_refresh)
