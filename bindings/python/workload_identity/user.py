"""The user a request runs for: a `contextvars` scope that makes token calls
act for that user (RFC 8693 delegation), and clears itself.

    with as_user(request_user_token):
        client.get_access_token()   # the token delegated for that user

    @requires_access_token(client, audience="https://orders.example")
    async def list_orders(user_id, *, access_token):
        ...

Inside the scope `Client.get_access_token()` returns the token delegated for
the user (`Client.get_delegated_token(user_token)`: the user's token as the
subject, the workload's own token as the actor, cached per user by the
library); outside it, the workload's own. The scope is a context variable:
it follows the code that runs in it (threads and asyncio tasks each see their
own: a task started inside the scope inherits it, a thread pool's worker or
another task does not), and it ends with the ``with`` block, whether the block
returns, raises or is left early. Nothing is left on a thread for the next
request to find, so there is nothing to clear by hand.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from typing import Any, Callable, Optional, TypeVar

from .exceptions import InvalidArgumentError

_USER_TOKEN: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar(
    "workload_identity_user_token", default=None
)

F = TypeVar("F", bound=Callable[..., Any])


def current_user_token() -> Optional[str]:
    """The user token of the scope the caller runs in, or None outside any."""
    return _USER_TOKEN.get()


class as_user:  # noqa: N801 - used as a function: `with as_user(token):`
    """A scope in which token calls act for the user of `user_token`.

    Scopes nest (the innermost wins) and may be re-entered. A user token that
    is not a non-empty string without NUL characters raises
    `InvalidArgumentError` when the scope is entered, naming the argument,
    never its value.
    """

    __slots__ = ("_user_token", "_resets")

    def __init__(self, user_token: str) -> None:
        if not isinstance(user_token, str):
            raise InvalidArgumentError(f"user_token must be a str, not {type(user_token).__name__}")
        if not user_token or "\0" in user_token:
            raise InvalidArgumentError("user_token must be a non-empty string without NUL characters")
        self._user_token = user_token
        self._resets: list = []

    def __enter__(self) -> as_user:
        self._resets.append(_USER_TOKEN.set(self._user_token))
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        _USER_TOKEN.reset(self._resets.pop())

    def __repr__(self) -> str:
        return "<workload_identity.as_user [redacted]>"


def requires_access_token(
    client: Any,
    *,
    inject_param_name: str = "access_token",
    audience: Optional[str] = None,
    scope: Optional[str] = None,
) -> Callable[[F], F]:
    """Decorates a function (plain or ``async``) so that each call receives a
    token as the keyword argument `inject_param_name`, in the style of the
    Agent Identity SDK's decorator of the same name.

    Inside an `as_user` scope the token is delegated for that user (with
    `audience` and `scope`, when given); outside, it is the workload's own
    (`audience` and `scope` do not apply to it). `client` is a `Client` or an
    `AsyncClient`. An ``async`` function awaits the token without blocking
    the event loop: through an `AsyncClient`'s coroutines, or a `Client`'s
    call on the loop's executor.
    """

    def token_now() -> str:
        user = _USER_TOKEN.get()
        if user is None:
            return client.get_access_token()
        return client.get_delegated_token(user, audience=audience, scope=scope)

    async def token_awaited() -> str:
        user = _USER_TOKEN.get()
        if user is None:
            fetch, args, kwargs = client.get_access_token, (), {}
        else:
            fetch = client.get_delegated_token
            args, kwargs = (user,), {"audience": audience, "scope": scope}
        if inspect.iscoroutinefunction(fetch):
            return await fetch(*args, **kwargs)
        # The user was read from the scope above: the worker thread needs no context.
        call = functools.partial(fetch, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(None, call)

    def decorate(function: F) -> F:
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def call_async(*args, **kwargs):
                kwargs[inject_param_name] = await token_awaited()
                return await function(*args, **kwargs)

            return call_async  # type: ignore[return-value]

        @functools.wraps(function)
        def call(*args, **kwargs):
            kwargs[inject_param_name] = token_now()
            return function(*args, **kwargs)

        return call  # type: ignore[return-value]

    return decorate
