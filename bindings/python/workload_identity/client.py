"""`Client`: the Coze SDK's client, backed by the native library.

Thread-safe: one client may be shared by any number of threads; the GIL is
released during every native call, and concurrent callers on a cold cache
share one token refresh. Tokens are cached by the library per identity
(client id, secret, endpoints, lane), process-wide, so clients with the same
configuration share one cache entry and clients with different ones never
share a token.
"""

from __future__ import annotations

import ctypes
import json
import os
import weakref
from datetime import datetime, timezone
from time import monotonic as _monotonic
from typing import Dict, Optional, Tuple, Union

from . import _log_bridge, _native
from .user import _USER_TOKEN

# The user of the caller's `as_user` scope, or None: a bound C method, so the
# cached call stays a few dozen nanoseconds.
_current_user = _USER_TOKEN.get
from ._handle import ClientHandle
from .exceptions import InvalidArgumentError, error_for_status
from .models import AccessToken, ProjectEnvVars
from .oauth import OAuthOperations
from .skill_env import ensure_skill_env_loaded


Timeout = Union[float, Tuple[float, float]]
OptionValue = Union[str, bytes, int, float, bool, "os.PathLike[str]", None]


class Client(OAuthOperations):
    """Workload Identity SDK Client.

    Configuration comes from the ``COZE_*`` (and ``WI_*``) environment
    variables, as in the Coze SDK. Keyword options, named as the C option
    keys of the README's configuration table (`client_id`, `client_secret`,
    `token_endpoint`, `flow`, `client_auth`, `private_key_path`, `scope`,
    `subject_token_file`, `token_store`, `timeout_ms`, ...), override their
    variable; an option given as None falls back to it. ``header.<Name>``
    keys, which are no Python identifiers, go through a dict:
    ``Client(**{"header.X-Tenant": "t1"})``. An unknown key or a bad value raises `InvalidArgumentError`;
    missing configuration raises `ConfigurationError` naming every missing
    setting; a ``token_store`` directory that cannot be created or is unsafe
    raises `StoreError`. Like the Coze SDK's, the first client of the process
    loads the skill environment (`load_skill_env`; it may raise
    `SkillEnvAPIError`), which may ask the skill environment endpoint; nothing
    else goes to the network here. Creating a client also points
    the library's log lines at the ``workload_identity`` logger, at that
    logger's current effective level (see `sync_log_level`).

    Args:
        timeout: seconds, as in the Coze SDK: a number for both the connect and
            the read timeout, or a ``(connect, read)`` pair. Default: the
            library's (5 s connect, 30 s read), the same as the SDK's.
        **options: C option keys and values (str, int, float, bool or path).
    """

    def __init__(self, timeout: Optional[Timeout] = None, **options: OptionValue) -> None:
        self._lib = _native.library()  # first: a missing library is one ConfigurationError
        ensure_skill_env_loaded()  # as the Coze SDK: once per process, may set COZE_* variables
        _log_bridge.sync_log_level()
        self._handle = ClientHandle(_new_client(self._lib, _settings(timeout, options)))
        self._close = weakref.finalize(self, self._handle.close)
        # The library's lease: (token, monotonic deadline, invalidation
        # counter before the call) that may be reused without a native call
        # (at most 1 s, never past the library's own refresh point, and only
        # while no token was invalidated since), so a cached call costs a clock
        # read and a memory read. One tuple, swapped whole, so threads always
        # see a consistent one.
        self._invalidations = _native.invalidations()
        self._lease: Optional[Tuple[str, float, int]] = None
        self._lease_hits = 0

    def get_access_token(self) -> str:
        """The access token: cached, or fetched through the client's flow
        (by default the Coze two-step flow).

        Inside an `as_user` scope, the token delegated for that user instead
        (`get_delegated_token`).

        Raises:
            TokenRetrievalError: step 1 (ID token), or the one-step request of
                `client_credentials`, `password` or `refresh_token`, failed.
            TokenExchangeError: step 2 (exchange), or `token_exchange`, or the
                delegation inside an `as_user` scope, failed.
            ConfigurationError: ``flow="none"`` has no access token.
        """
        user = _current_user()
        if user is not None:
            return self.get_delegated_token(user)
        lease = self._lease
        if lease is not None and _monotonic() < lease[1] and self._invalidations.value == lease[2]:
            self._lease_hits += 1
            return lease[0]
        return self._leased_token()

    def _leased_token(self) -> str:
        """Asks the library for the token and the lease that comes with it."""
        handle = self._handle
        out = ctypes.c_void_p()
        lease_ms = ctypes.c_uint32()
        error = ctypes.c_void_p()
        invalidated = self._invalidations.value
        pointer = handle.acquire()
        try:
            status = self._lib.wi_get_access_token_lease(
                pointer, ctypes.byref(out), ctypes.byref(lease_ms), ctypes.byref(error)
            )
        finally:
            handle.release()
        if status:
            raise _native.error_from(status, error)
        token = _native.take_string(out)
        self._keep_lease(token, lease_ms.value, invalidated, handle)
        return token

    def _keep_lease(self, token: str, lease_ms: int, invalidated: int, handle) -> None:
        """Keeps `token` for reuse for `lease_ms` ms (none when 0) while the
        invalidation counter stays at `invalidated`; never past a close()."""
        if lease_ms:
            self._lease = (token, _monotonic() + lease_ms / 1000.0, invalidated)
            if handle.closed:  # close() ran during the call: its lease must not outlive it
                self._lease = None

    def get_access_token_with_expiry(self) -> AccessToken:
        """The access token with its expiry, as an `AccessToken`
        (``.token``, ``.expires_at``: an aware UTC `datetime`). Always asks
        the library (never the local lease). Raises as `get_access_token`."""
        out = ctypes.c_void_p()
        expires_at_ms = ctypes.c_int64()
        error = ctypes.c_void_p()
        pointer = self._handle.acquire()
        try:
            status = self._lib.wi_get_access_token_with_expiry(
                pointer, ctypes.byref(out), ctypes.byref(expires_at_ms), ctypes.byref(error)
            )
        finally:
            self._handle.release()
        if status:
            raise _native.error_from(status, error)
        token = _native.take_string(out)
        return AccessToken(token, datetime.fromtimestamp(expires_at_ms.value / 1000.0, tz=timezone.utc))

    def peek_access_token(self) -> Optional[str]:
        """A cached access token that may be handed out now, without ever
        waiting on the network; None when the caller must call
        `get_access_token` (nothing cached, past the point where callers wait
        for a refresh, ``flow="none"``). Never blocks on I/O."""
        lease = self._lease
        if lease is not None and _monotonic() < lease[1] and self._invalidations.value == lease[2]:
            self._lease_hits += 1
            return lease[0]
        out = ctypes.c_void_p()
        lease_ms = ctypes.c_uint32()
        invalidated = self._invalidations.value
        handle = self._handle
        pointer = handle.acquire()
        try:
            found = self._lib.wi_peek_access_token_lease(pointer, ctypes.byref(out), ctypes.byref(lease_ms))
        finally:
            handle.release()
        if not found:
            return None
        token = _native.take_string(out)
        self._keep_lease(token, lease_ms.value, invalidated, handle)
        return token

    def force_refresh(self) -> str:
        """Fetches a new access token now, whatever the cache holds, and
        returns it. On failure a still-valid cached token stays in service."""
        self._lease = None
        return self._string_call(self._lib.wi_force_refresh)

    def invalidate_token(self, token: str) -> None:
        """Drops the cached access token if it is still `token` (one that a
        service refused); a token refreshed meanwhile is kept."""
        raw = _native.to_c_string(token, "token")
        self._lease = None
        pointer = self._handle.acquire()
        try:
            error = ctypes.c_void_p()
            status = self._lib.wi_invalidate_token(pointer, raw, ctypes.byref(error))
        finally:
            self._handle.release()
        if status:
            raise _native.error_from(status, error)

    def get_integration_credential(self, integration_name: str) -> str:
        """The credential of integration `integration_name`.

        Raises:
            ConfigurationError: COZE_OUTBOUND_AUTH_ENDPOINT is not configured.
            TokenRetrievalError, TokenExchangeError: no access token.
            IntegrationError: the API answered with an error status, a
                non-zero ``code`` or an invalid body.
            InvalidArgumentError: `integration_name` is None, empty or not text.
        """
        name = _native.to_c_string(integration_name, "integration_name")
        return self._string_call(self._lib.wi_get_integration_credential, name)

    def get_project_env_vars(self) -> ProjectEnvVars:
        """The project's environment variables (`ProjectEnvVars`), in server
        order. Raises as `get_integration_credential` does."""
        document = self._string_call(self._lib.wi_get_project_env_vars)
        return ProjectEnvVars.from_dict(json.loads(document))

    def exchange_token(
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
        """A general RFC 8693 token exchange at the access-token endpoint,
        cached by the library per identity and every parameter
        (`exchange_cache_size`). Parameters left as None are not sent, except
        `subject_token_type`, which defaults to
        ``urn:ietf:params:oauth:token-type:access_token``. `actor_token`
        requires `actor_token_type`. Raises `TokenExchangeError`."""
        fields = {
            "subject_token": subject_token,
            "subject_token_type": subject_token_type,
            "audience": audience,
            "resource": resource,
            "scope": scope,
            "requested_token_type": requested_token_type,
            "actor_token": actor_token,
            "actor_token_type": actor_token_type,
        }
        # The struct keeps the encoded bytes alive for the duration of the call.
        params = _native.ExchangeParams(**{name: _native.to_c_string(value, name) for name, value in fields.items()})
        return self._string_call(self._lib.wi_exchange_token, ctypes.byref(params))

    def get_delegated_token(
        self, user_token: str, audience: Optional[str] = None, scope: Optional[str] = None
    ) -> str:
        """A token for this workload acting for the user of `user_token` (RFC
        8693 delegation): the user's token as the subject, this client's own
        access token as the actor, `audience` and `scope` sent when given.
        Cached by the library per (identity, user token, audience, scope).

        Raises:
            InvalidArgumentError: `user_token` is empty or not text, or a
                value holds a NUL character.
            TokenExchangeError: the delegation failed; a user token the
                server refused (expired, revoked) says so, is not retryable
                and is not cached.
            TokenRetrievalError: the client's own access token failed.
        """
        if not user_token:
            raise InvalidArgumentError("user_token must not be empty")
        return self._string_call(
            self._lib.wi_get_delegated_token,
            _native.to_c_string(user_token, "user_token"),
            _native.to_c_string(audience, "audience"),
            _native.to_c_string(scope, "scope"),
        )

    def stats(self) -> Dict[str, int]:
        """The counters of this client's identity (shared by the clients of
        that identity), as a dict: cache_hits, cache_misses,
        refreshes_started, refreshes_succeeded, refreshes_failed,
        stale_served, retries, server_requests, exchange_cache_hits,
        exchange_cache_misses, exchange_cache_evictions."""
        stats = _native.Stats(struct_size=ctypes.sizeof(_native.Stats))
        pointer = self._handle.acquire()
        try:
            status = self._lib.wi_client_stats(pointer, ctypes.byref(stats))
        finally:
            self._handle.release()
        if status:
            raise error_for_status(status, "wi_client_stats failed")
        counters = {name: getattr(stats, name) for name in _native.STATS_COUNTERS}
        counters["cache_hits"] += self._lease_hits  # answered from the lease
        return counters

    def close(self) -> None:
        """Closes the client. Idempotent; later calls raise `ClientClosedError`.

        Calls still running on other threads finish normally; the native
        client is freed when the last of them returns. The cached token stays
        usable by other clients of the same identity.
        """
        self._close()
        # After the handle is closed: a call finishing meanwhile either sees it
        # closed and drops its lease, or set its lease before this line.
        self._lease = None

    @property
    def closed(self) -> bool:
        """True once the client is closed."""
        return self._handle.closed

    def __enter__(self) -> Client:
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<workload_identity.Client {'closed' if self.closed else 'open'}>"

    def _string_call(self, function, *args):
        """Calls `function(client, *args, &out, &error)`; returns `out` as str."""
        handle = self._handle
        out = ctypes.c_void_p()
        error = ctypes.c_void_p()
        pointer = handle.acquire()
        try:
            status = function(pointer, *args, ctypes.byref(out), ctypes.byref(error))
        finally:
            handle.release()
        if status:
            raise _native.error_from(status, error)
        return _native.take_string(out)


def _settings(timeout, options):
    """The C option strings for `Client(timeout, **options)`."""
    settings = {}
    if timeout is not None:
        connect, read = _timeout_pair(timeout)
        for key, seconds in (("connect_timeout_ms", connect), ("timeout_ms", read)):
            if options.get(key) is not None:
                raise InvalidArgumentError(f"give either timeout or {key}, not both")
            settings[key] = str(max(1, round(seconds * 1000)))
    for key, value in options.items():
        if value is not None:
            settings[key] = _option_value(key, value)
    return settings


def _timeout_pair(timeout):
    pair = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    if len(pair) != 2 or not all(_positive_number(seconds) for seconds in pair):
        raise InvalidArgumentError(
            f"timeout must be a positive number of seconds or a (connect, read) pair, not {timeout!r}"
        )
    return pair


def _positive_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _option_value(key, value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise InvalidArgumentError(f"option {key}: unsupported value type {type(value).__name__}")


def _new_client(lib, settings):
    """A new `wi_client` pointer for `settings` (empty: environment only)."""
    options = None
    if settings:
        options = lib.wi_options_new()
        if not options:
            raise MemoryError("wi_options_new failed")
    try:
        for key, value in settings.items():
            error = ctypes.c_void_p()
            status = lib.wi_options_set(
                options,
                _native.to_c_string(key, "option key"),
                _native.to_c_string(value, f"option {key}"),
                ctypes.byref(error),
            )
            if status:
                raise _native.error_from(status, error)
        client = ctypes.c_void_p()
        error = ctypes.c_void_p()
        status = lib.wi_client_new(options, ctypes.byref(client), ctypes.byref(error))
        if status:
            raise _native.error_from(status, error)
        return client.value
    finally:
        lib.wi_options_free(options)
