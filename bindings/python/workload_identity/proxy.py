"""The outbound proxy settings (the Coze SDK's `HttpsProxy()` and
`CaBundlePath()`), read by the native library from the environment at each
call. Thread-safe."""

import ctypes
from typing import Optional, Tuple

from . import _native
from .exceptions import ConfigurationError


class CaBundleError(ConfigurationError, ValueError):
    """The CA bundle setting is unusable (the Coze SDK raised `ValueError`):
    COZE_OUTBOUND_AUTH_PROXY_CA_PATH names a missing file, or no CA is
    configured where one is required."""


def HttpsProxy() -> str:  # noqa: N802 (the Coze SDK's name)
    """The HTTPS proxy URL with its credentials: ``COZE_SKILL_PROXY_DOMAIN``,
    else ``COZE_OUTBOUND_AUTH_PROXY``, with user ``space`` and the
    form-encoded ``identity_ticket`` as password. It holds the ticket: never
    log it.

    Raises:
        ConfigurationError: neither proxy variable is set, ``identity_ticket``
            is not set, or the URL is not http(s) (shown masked).
    """
    url, _ = _outbound(want_url=True, want_ca=False)
    return url


def CaBundlePath() -> Optional[str]:  # noqa: N802 (the Coze SDK's name)
    """The CA bundle file of the proxy, or None when none is configured.

    ``COZE_OUTBOUND_AUTH_PROXY_CA`` (PEM content) wins, written once per
    process to a file readable only by this user and removed at exit; else
    ``COZE_OUTBOUND_AUTH_PROXY_CA_PATH``.

    Raises:
        CaBundleError (a ValueError): COZE_OUTBOUND_AUTH_PROXY_CA_PATH names
            a file that does not exist, or the CA file cannot be written.
    """
    _, path = _outbound(want_url=False, want_ca=True)
    return path


def _outbound(want_url: bool, want_ca: bool) -> Tuple[Optional[str], Optional[str]]:
    lib = _native.library()
    url = ctypes.c_void_p()
    ca = ctypes.c_void_p()
    error = ctypes.c_void_p()
    status = lib.wi_get_outbound_proxy(
        ctypes.byref(url) if want_url else None,
        ctypes.byref(ca) if want_ca else None,
        ctypes.byref(error),
    )
    if status:
        failure = _native.error_from(status, error)
        if want_ca and not want_url and isinstance(failure, ConfigurationError):
            raise CaBundleError(failure.message, status=failure.status) from None
        raise failure
    return (
        _native.take_string(url) if want_url else None,
        _native.take_string(ca) if ca.value else None,
    )
