"""`--coze-debug`: the Coze SDK's command-line switch for printing what its
`requests` module sends and receives.

As in the SDK, the switch is taken out of `sys.argv` the first time it is
looked for, so that the program's own argument parser never sees it. Unlike
the SDK, nothing printed holds a secret: URLs are shown with their
credentials masked, headers that carry credentials (`Authorization`,
`Proxy-Authorization`, cookies, anything naming a token, key, secret or
ticket) as `***`, and bodies by their size only. Thread-safe.
"""

import re
import sys
import threading
from typing import Any, Mapping, Optional

COZE_DEBUG_ARG = "--coze-debug"

_SENSITIVE_HEADER = re.compile(r"auth|cookie|token|key|secret|ticket|session", re.IGNORECASE)
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)([^/?#@\s]*)@")

_lock = threading.Lock()
_enabled: Optional[bool] = None


def coze_debug_enabled() -> bool:
    """Whether `--coze-debug` was on the command line (taken out of it at once)."""
    global _enabled
    with _lock:
        if _enabled is None:
            kept = [arg for arg in sys.argv[1:] if not _is_switch(arg)]
            _enabled = len(kept) != len(sys.argv[1:])
            if _enabled:
                sys.argv[1:] = kept
        return _enabled


def _is_switch(arg: str) -> bool:
    return arg == COZE_DEBUG_ARG or arg.startswith(COZE_DEBUG_ARG + "=")


def coze_debug_print(*args: Any) -> None:
    """Prints when `--coze-debug` is on. Callers pass masked text only."""
    if coze_debug_enabled():
        print(*args)


def mask_url(url: Any) -> str:
    """`url` (or any text) with the userinfo of every URL in it replaced:
    `http://space:***@host`, `http://***@host`."""

    def replace(match: "re.Match[str]") -> str:
        user, separator, _ = match.group(2).partition(":")
        return f"{match.group(1)}{user}:***@" if separator and user else f"{match.group(1)}***@"

    return _USERINFO.sub(replace, str(url))


def mask_headers(headers: Optional[Mapping[str, Any]]) -> dict:
    """A copy of `headers` with the values of credential-bearing headers as `***`."""
    return {name: "***" if _SENSITIVE_HEADER.search(str(name)) else value for name, value in dict(headers or {}).items()}


def body_size(body: Any) -> str:
    """The size of a request body, never its content."""
    if body is None:
        return "none"
    if isinstance(body, (bytes, bytearray, str)):
        return f"{len(body)} bytes"
    return type(body).__name__


def _reset_coze_debug_for_tests() -> None:
    """Forgets whether the switch was seen (the SDK's test hook)."""
    global _enabled
    with _lock:
        _enabled = None
