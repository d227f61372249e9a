"""`AsyncClient`: the `Client` for asyncio code (FastAPI, aiohttp, ...).

The same methods as `Client`, as coroutines, with the same errors and
messages: an `AsyncClient` wraps one `Client` and calls its methods, so no
rule of the binding is written twice. Where each call runs:

- a cached token comes from the `Client`'s lease (see `Client.get_access_token`):
  a clock check on the event loop, no native call and no thread hop; past the
  lease, from the library's non-blocking probe, still on the loop;
- `stats()`, `invalidate_token()` and `peek_access_token()` never wait on the
  network (the library takes its cache lock only briefly): they run on the loop;
- every other call may wait on the network (two round trips, retries, up to
  the deadline), so it runs on a thread of the package's own bounded executor
  (`MAX_THREADS` threads, shared by all async clients, created on demand),
  never the loop's default executor, so that a burst of cold calls cannot
  starve the application's own `asyncio.to_thread` work. Callers of a cold
  identity share the library's one refresh.

Cancelling the awaiting task returns at once. A call that has not started
never runs; one already running finishes on its thread, where its native
strings are copied and freed exactly as in `Client`, and its result is
dropped (a token it fetched stays in the library's cache).

Requires a running asyncio event loop (anyio on its asyncio backend is
asyncio); trio is not supported: call `Client` through `trio.to_thread`.
Thread-safe as `Client` is; an `AsyncClient` may be used from several event
loops, one after the other or at once.
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from time import monotonic as _monotonic
from typing import Callable, Dict, Optional, TypeVar

from .client import Client, OptionValue, Timeout
from .models import AccessToken, ProjectEnvVars
from .user import _USER_TOKEN

# The user of the caller's `as_user` scope, or None (a bound C method: cheap).
_current_user = _USER_TOKEN.get

MAX_THREADS = 16
"""Threads of the executor that runs the native calls of every `AsyncClient`."""

_Result = TypeVar("_Result")


class AsyncClient:
    """Workload Identity SDK client for asyncio: `Client`'s methods as coroutines.

    Arguments, configuration and errors are those of `Client` (creating one
    does no network I/O, so it may be created outside a running loop).
    Use ``async with AsyncClient() as client:`` or ``await client.close()``.
    """

    def __init__(self, timeout: Optional[Timeout] = None, **options: OptionValue) -> None:
        self._client = Client(timeout, **options)

    async def get_access_token(self) -> str:
        """The access token; see `Client.get_access_token`. While the lease runs
        this is a clock check on the loop; past it, the library's non-blocking
        probe (`wi_peek_access_token_lease`) answers on the loop whenever a
        token can be handed out without waiting; only a call that must wait
        on the network runs on the executor. Inside an `as_user` scope, the
        token delegated for that user (`get_delegated_token`), as with `Client`."""
        # The executor's threads do not run in the caller's context: the user
        # is read here, on the loop.
        user = _current_user()
        if user is not None:
            return await self._off_loop(self._client.get_delegated_token, user)
        # Client.get_access_token's lease test, inlined: a method call here
        # would cost as much as the rest of this coroutine.
        client = self._client
        lease = client._lease
        if lease is not None and _monotonic() < lease[1] and client._invalidations.value == lease[2]:
            client._lease_hits += 1
            return lease[0]
        token = client.peek_access_token()
        if token is not None:
            return token
        # On the executor, Client.get_access_token tests the lease again: calls
        # queued behind a refresh return from it without a native call.
        return await self._off_loop(client.get_access_token)

    async def get_access_token_with_expiry(self) -> AccessToken:
        """See `Client.get_access_token_with_expiry`."""
        return await self._off_loop(self._client.get_access_token_with_expiry)

    async def peek_access_token(self) -> Optional[str]:
        """See `Client.peek_access_token`: never waits on the network, so it
        runs on the loop."""
        return self._client.peek_access_token()

    async def get_delegated_token(
        self, user_token: str, audience: Optional[str] = None, scope: Optional[str] = None
    ) -> str:
        """See `Client.get_delegated_token`."""
        return await self._off_loop(self._client.get_delegated_token, user_token, audience, scope)

    async def force_refresh(self) -> str:
        """See `Client.force_refresh`."""
        return await self._off_loop(self._client.force_refresh)

    async def invalidate_token(self, token: str) -> None:
        """See `Client.invalidate_token`."""
        self._client.invalidate_token(token)

    async def get_integration_credential(self, integration_name: str) -> str:
        """See `Client.get_integration_credential`."""
        return await self._off_loop(self._client.get_integration_credential, integration_name)

    async def get_project_env_vars(self) -> ProjectEnvVars:
        """See `Client.get_project_env_vars`."""
        return await self._off_loop(self._client.get_project_env_vars)

    async def exchange_token(
        self,
        subject_token: str,
        subject_token_type: Optional[str] = None,
        audience: Optional[str] = None,
        resource: Optional[str] = None,
        scope: Optional[str] = None,
        requested_token_type: Optional[str] = None,
        actor_token: Optional[str] = None,
        actor_token_type: Optional[str] = None,
    ) -> str:
        """See `Client.exchange_token`."""
        return await self._off_loop(
            self._client.exchange_token,
            subject_token,
            subject_token_type,
            audience,
            resource,
            scope,
            requested_token_type,
            actor_token,
            actor_token_type,
        )

    async def stats(self) -> Dict[str, int]:
        """See `Client.stats`."""
        return self._client.stats()

    async def close(self) -> None:
        """See `Client.close`: never waits; calls still running on the
        executor finish there, and the native client is freed after them."""
        self._client.close()

    @property
    def closed(self) -> bool:
        """True once the client is closed."""
        return self._client.closed

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, exc_type, exc_value, traceback) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"<workload_identity.AsyncClient {'closed' if self.closed else 'open'}>"

    async def _off_loop(self, method: Callable[..., _Result], *args) -> _Result:
        """Runs `method(*args)`, a blocking method of the wrapped `Client`, on
        the executor and awaits its result without blocking the loop.

        Cancelled, the wrapper future cancels a call not yet started; a
        running one finishes on its thread and its outcome is dropped.
        """
        loop = _running_loop()
        return await asyncio.wrap_future(_executor().submit(method, *args), loop=loop)


def _running_loop() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            "workload_identity.AsyncClient needs a running asyncio event loop (anyio's asyncio "
            "backend is one); under trio, call workload_identity.Client through trio.to_thread.run_sync"
        ) from None


_executor_lock = threading.Lock()
_shared_executor: Optional[ThreadPoolExecutor] = None


def _executor() -> ThreadPoolExecutor:
    """The process-wide executor, created on first use."""
    global _shared_executor
    executor = _shared_executor
    if executor is None:
        with _executor_lock:
            if _shared_executor is None:
                _shared_executor = ThreadPoolExecutor(MAX_THREADS, thread_name_prefix="workload_identity")
            executor = _shared_executor
    return executor


def _forget_executor() -> None:
    """In a forked child: the parent's worker threads do not exist there."""
    global _shared_executor, _executor_lock
    _shared_executor = None
    _executor_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_executor)
