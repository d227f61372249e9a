"""Per-request user context (`as_user`, `requires_access_token`): inside the
scope the token is delegated for that user, outside it is the workload's own,
and no user ever leaks into another request: many requests for different
users interleaved on a small thread pool and on one event loop, each checking
that it only ever sees its own user's token; a scope that raises; scopes left
early. Delegation itself: caching, bad input, a refused user token."""

import asyncio
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from workload_identity import (
    AsyncClient,
    Client,
    InvalidArgumentError,
    TokenExchangeError,
    as_user,
    current_user_token,
    requires_access_token,
)

USERS = 8
REQUESTS = 96


@pytest.fixture
def client():
    with Client() as client:
        yield client


@pytest.fixture
def users(devserver):
    """User tokens of user-0 .. user-7, by user name."""
    return {f"user-{n}": devserver.user_token(f"user-{n}") for n in range(USERS)}


class Owners:
    """Who each token stands for, asked of the server once per token."""

    def __init__(self, devserver):
        self._devserver = devserver
        self._known = {}
        self._lock = threading.Lock()

    def of(self, token):
        with self._lock:
            if token not in self._known:
                self._known[token] = self._devserver.subject_of(token)
            return self._known[token]


def _request(client, own, user_name, user_token, owners, calls=5):
    """One request: its scope's every token call must stand for its user."""
    if user_name is None:
        for _ in range(calls):
            assert client.get_access_token() == own
            time.sleep(random.random() / 1000)
        return None
    seen = set()
    with as_user(user_token):
        for _ in range(calls):
            token = client.get_access_token()
            seen.add(token)
            assert owners.of(token) == user_name, "a request saw another user's token"
            time.sleep(random.random() / 1000)
    # Nothing is left on this worker thread for its next request.
    assert current_user_token() is None
    assert client.get_access_token() == own
    assert len(seen) == 1
    return seen.pop()


def test_threads_interleaving_users_on_a_small_pool_never_mix_them(devserver, client, users):
    own = client.get_access_token()
    owners = Owners(devserver)
    names = [None, *users]  # some requests run for no user at all
    plan = [names[n % len(names)] for n in range(REQUESTS)]
    random.shuffle(plan)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(
            pool.map(lambda name: (name, _request(client, own, name, users.get(name), owners)), plan)
        )
    by_user = {}
    for name, token in results:
        if name is not None:
            by_user.setdefault(name, set()).add(token)
    assert all(len(tokens) == 1 for tokens in by_user.values()), "one token per user"
    assert len({tokens.pop() for tokens in by_user.values()}) == USERS
    stats = client.stats()
    # Every call that had to wait for its user's first token is a miss.
    assert stats["exchange_cache_misses"] >= USERS, stats
    assert stats["exchange_cache_hits"] > 0, stats


def test_asyncio_tasks_interleaving_users_never_mix_them(devserver, client, users):
    own = client.get_access_token()
    owners = Owners(devserver)

    @requires_access_token(client)
    async def call_downstream(expected_user, *, access_token):
        await asyncio.sleep(random.random() / 1000)
        if expected_user is None:
            assert access_token == own
        else:
            assert owners.of(access_token) == expected_user, "a task saw another user's token"
        return access_token

    async def request(name):
        if name is None:
            return name, [await call_downstream(None) for _ in range(3)]
        with as_user(users[name]):
            tokens = []
            for _ in range(3):
                tokens.append(await call_downstream(name))
                # A task started inside the scope runs for the same user.
                tokens.append(await asyncio.create_task(call_downstream(name)))
        assert current_user_token() is None
        return name, tokens

    async def main():
        names = [None, *users]
        plan = [names[n % len(names)] for n in range(REQUESTS)]
        random.shuffle(plan)
        return await asyncio.gather(*(request(name) for name in plan))

    results = asyncio.run(main())
    for name, tokens in results:
        if name is not None:
            assert len(set(tokens)) == 1
    assert current_user_token() is None


def test_the_decorator_injects_the_keyword_argument_in_and_out_of_scope(devserver, client, users):
    own = client.get_access_token()

    @requires_access_token(client, inject_param_name="token", audience="https://orders.example")
    def handler(greeting, *, token):
        return greeting, token

    assert handler("hi") == ("hi", own)
    with as_user(users["user-1"]):
        greeting, delegated = handler("hello")
    assert greeting == "hello"
    assert devserver.subject_of(delegated) == "user-1"
    sent = devserver.requests("/oauth/exchange")[-1]["form"]
    assert sent["audience"] == "https://orders.example"
    assert sent["subject_token"] == users["user-1"]
    assert handler.__name__ == "handler"


def test_a_scope_that_raises_leaves_nothing_behind(client, users):
    own = client.get_access_token()
    with pytest.raises(RuntimeError):
        with as_user(users["user-2"]):
            assert client.get_access_token() != own
            raise RuntimeError("the request failed")
    assert current_user_token() is None
    assert client.get_access_token() == own

    @requires_access_token(client)
    async def failing(*, access_token):
        raise RuntimeError(access_token[:3])

    async def request():
        with as_user(users["user-2"]):
            await failing()

    with pytest.raises(RuntimeError):
        asyncio.run(request())
    assert client.get_access_token() == own


def test_scopes_left_early_leave_nothing_behind(client, users):
    own = client.get_access_token()

    def returns_early():
        with as_user(users["user-3"]):
            return client.get_access_token()

    assert returns_early() != own
    assert client.get_access_token() == own

    for _ in range(3):
        with as_user(users["user-3"]):
            break
    assert current_user_token() is None

    def generator():
        with as_user(users["user-3"]):
            yield client.get_access_token()
            yield client.get_access_token()

    started = generator()
    next(started)
    started.close()  # left before its end
    assert current_user_token() is None
    assert client.get_access_token() == own

    # Nested scopes: the innermost wins, and the outer one comes back.
    with as_user(users["user-4"]):
        outer = client.get_access_token()
        with as_user(users["user-5"]):
            assert client.get_access_token() != outer
        assert client.get_access_token() == outer
    assert current_user_token() is None


def test_a_thread_started_in_a_scope_does_not_inherit_it(client, users):
    own = client.get_access_token()
    seen = []
    with as_user(users["user-6"]):
        thread = threading.Thread(target=lambda: seen.append(client.get_access_token()))
        thread.start()
        thread.join()
    assert seen == [own]


def test_delegation_is_cached_per_user_audience_and_scope(devserver, client, users):
    user = users["user-7"]
    first = client.get_delegated_token(user)
    assert client.get_delegated_token(user) == first
    with_audience = client.get_delegated_token(user, audience="orders", scope="orders:read")
    assert with_audience != first
    assert client.get_delegated_token(user, audience="orders", scope="orders:read") == with_audience
    assert devserver.subject_of(with_audience) == "user-7"
    stats = client.stats()
    assert (stats["exchange_cache_misses"], stats["exchange_cache_hits"]) == (2, 2), stats


@pytest.mark.parametrize("bad", ["", "at_x\0y", None, 42])
def test_bad_user_tokens_are_refused(client, bad):
    with pytest.raises(InvalidArgumentError) as raised:
        client.get_delegated_token(bad)
    assert "at_x" not in str(raised.value)
    with pytest.raises(InvalidArgumentError):
        with as_user(bad):
            pass


def test_a_refused_user_token_says_so_and_is_not_cached(devserver, client):
    client.get_access_token()
    expired = "at_" + "0" * 32
    for attempt in range(2):
        before = devserver.count("/oauth/exchange")
        with pytest.raises(TokenExchangeError) as raised:
            with as_user(expired):
                client.get_access_token()
        error = raised.value
        assert "refused the user token" in str(error)
        assert expired not in str(error)
        assert error.oauth_code == "invalid_grant"
        assert error.retryable is False
        assert devserver.count("/oauth/exchange") == before + 1, "asked again: not cached"


def test_the_async_client_acts_for_the_user_of_the_scope(devserver, users):
    owners = Owners(devserver)

    async def main():
        async with AsyncClient() as client:
            own = await client.get_access_token()

            @requires_access_token(client, audience="https://orders.example")
            async def call_downstream(*, access_token):
                await asyncio.sleep(0)
                return access_token

            async def request(name):
                if name is None:
                    return name, [await client.get_access_token(), await call_downstream()]
                with as_user(users[name]):
                    tokens = [await client.get_access_token(), await client.get_access_token()]
                    targeted = await call_downstream()
                assert owners.of(targeted) == name
                return name, tokens

            names = [None, *users]
            results = await asyncio.gather(*(request(names[n % len(names)]) for n in range(REQUESTS)))
            return own, results

    own, results = asyncio.run(main())
    for name, tokens in results:
        if name is None:
            assert tokens == [own, own]
        else:
            assert len(set(tokens)) == 1
            assert owners.of(tokens[0]) == name
