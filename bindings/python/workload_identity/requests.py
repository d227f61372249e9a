"""A `requests`-like module whose session goes through Coze's authenticating
outbound proxy with its CA (the Coze SDK's ``coze_workload_identity.requests``).

Needs the `requests` package (``pip install 'workload-identity[requests]'``).
Importing this module loads the skill environment once per process, as the
SDK does. Every request of a `ConfiguredSession` uses the proxy from
`HttpsProxy()` for http and https and trusts the CA bundle from
`CaBundlePath()` (a caller's ``verify`` and ``cert`` are ignored), ignores the
environment's own proxy settings, and defaults to a (5 s connect, 300 s read)
timeout. The proxy URL holds the identity ticket: it is logged and printed
(``--coze-debug``) masked only.
"""

import logging
import threading
from typing import Any, Dict, Optional, Union

try:
    import requests as _requests
except ImportError as _missing:  # pragma: no cover - depends on the installation
    raise ImportError(
        "workload_identity.requests needs the requests package: pip install 'workload-identity[requests]'"
    ) from _missing

from requests import codes, exceptions, status_codes
from requests.exceptions import (
    ConnectionError,
    HTTPError,
    JSONDecodeError,
    RequestException,
    Timeout,
    TooManyRedirects,
    URLRequired,
)

from ._debug import body_size, coze_debug_enabled, coze_debug_print, mask_headers, mask_url
from .proxy import CaBundleError, CaBundlePath, HttpsProxy
from .skill_env import ensure_skill_env_loaded

logger = logging.getLogger("AuthProxyRequests")

DEFAULT_TIMEOUT = (5, 300)  # (connect, read) seconds

ensure_skill_env_loaded()


class ConfiguredSession(_requests.Session):
    """A `requests.Session` that goes through the outbound proxy with its CA.

    Raises at construction: `ConfigurationError` (no proxy or no
    ``identity_ticket``), `CaBundleError` (a `ValueError`: no CA configured, or
    COZE_OUTBOUND_AUTH_PROXY_CA_PATH names a missing file).
    """

    def __init__(self) -> None:
        super().__init__()
        self._configure_session()

    def request(self, method, url, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        kwargs["headers"] = dict(kwargs.pop("headers", None) or {})
        kwargs.pop("verify", None)
        kwargs.pop("cert", None)
        self.verify = self._coze_ca_bundle_path
        self.cert = None
        try:
            response = super().request(method, url, **kwargs)
        except _requests.exceptions.RequestException as error:
            if coze_debug_enabled():
                _print_failure(error, method, url, kwargs)
            raise
        if coze_debug_enabled():
            _print_response(response)
        return response

    def _configure_session(self) -> None:
        self.trust_env = False
        proxy_url = HttpsProxy()
        coze_debug_print(f"Configured proxy_url: {mask_url(proxy_url)}")
        self.proxies = {"https": proxy_url, "http": proxy_url}
        logger.info("Use HTTPS proxy: %s", mask_url(proxy_url))
        ca_bundle_path = CaBundlePath()
        if not ca_bundle_path:
            raise CaBundleError(
                "COZE_OUTBOUND_AUTH_PROXY_CA_PATH environment variable is not configured. "
                "Please set this variable to configure the CA bundle file path."
            )
        self.verify = ca_bundle_path
        self._coze_ca_bundle_path = ca_bundle_path
        self.cert = None
        logger.info("Use CA bundle: %s", ca_bundle_path)


_default_session: Optional[ConfiguredSession] = None
_session_lock = threading.Lock()


def _session() -> ConfiguredSession:
    global _default_session
    if _default_session is None:
        with _session_lock:
            if _default_session is None:
                _default_session = ConfiguredSession()
    return _default_session


Data = Optional[Union[Dict[str, Any], str, bytes]]


def get(url: str, **kwargs: Any) -> _requests.Response:
    """GET through the outbound proxy."""
    return _session().get(url, **kwargs)


def post(url: str, data: Data = None, json: Any = None, **kwargs: Any) -> _requests.Response:
    """POST through the outbound proxy."""
    return _session().post(url, data=data, json=json, **kwargs)


def put(url: str, data: Data = None, **kwargs: Any) -> _requests.Response:
    """PUT through the outbound proxy."""
    return _session().put(url, data=data, **kwargs)


def delete(url: str, **kwargs: Any) -> _requests.Response:
    """DELETE through the outbound proxy."""
    return _session().delete(url, **kwargs)


def head(url: str, **kwargs: Any) -> _requests.Response:
    """HEAD through the outbound proxy."""
    return _session().head(url, **kwargs)


def options(url: str, **kwargs: Any) -> _requests.Response:
    """OPTIONS through the outbound proxy."""
    return _session().options(url, **kwargs)


def patch(url: str, data: Data = None, **kwargs: Any) -> _requests.Response:
    """PATCH through the outbound proxy."""
    return _session().patch(url, data=data, **kwargs)


def request(method: str, url: str, **kwargs: Any) -> _requests.Response:
    """A request of any method through the outbound proxy."""
    return _session().request(method, url, **kwargs)


def session() -> ConfiguredSession:
    """A new session of its own through the outbound proxy."""
    return ConfiguredSession()


def _print_request(prepared) -> None:
    print(
        "Configured request: "
        f"method={getattr(prepared, 'method', None)}, "
        f"url={mask_url(getattr(prepared, 'url', None))}, "
        f"headers={mask_headers(getattr(prepared, 'headers', None))}, "
        f"body={body_size(getattr(prepared, 'body', None))}"
    )


def _print_response(response) -> None:
    if getattr(response, "request", None) is not None:
        _print_request(response.request)
    print(f"Configured response: status={response.status_code}, headers={mask_headers(response.headers)}")


def _print_failure(error, method, url, kwargs) -> None:
    if getattr(error, "request", None) is not None:
        _print_request(error.request)
    else:
        body = kwargs.get("data") if kwargs.get("data") is not None else kwargs.get("json")
        print(
            f"Configured request: method={method}, url={mask_url(url)}, "
            f"headers={mask_headers(kwargs.get('headers'))}, body={body_size(body)}"
        )
    print(f"Configured request failed: {mask_url(error)}")


__all__ = [
    "get",
    "post",
    "put",
    "delete",
    "head",
    "options",
    "patch",
    "request",
    "session",
    "ConfiguredSession",
    "RequestException",
    "ConnectionError",
    "HTTPError",
    "URLRequired",
    "TooManyRedirects",
    "Timeout",
    "JSONDecodeError",
    "codes",
    "status_codes",
    "exceptions",
]
