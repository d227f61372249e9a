"""The exception hierarchy: the Coze SDK's classes plus the C status classes.

Every exception carries the detail of the `wi_error` it came from, copied into
Python (the native error is freed at once): `status`, `http_status`,
`oauth_code`, `retryable`. Messages never hold a secret or a token.
Immutable after construction; safe to share between threads; picklable.
"""

from __future__ import annotations

import enum
from typing import Dict, Optional, Type, Union


class Status(enum.IntEnum):
    """`wi_status`: the class of a failure, as the C API numbers it."""

    OK = 0
    INVALID_ARGUMENT = 1
    CONFIGURATION = 2
    TOKEN_RETRIEVAL = 3
    TOKEN_EXCHANGE = 4
    INTEGRATION = 5
    OAUTH_OPERATION = 6
    STORE = 7
    SKILL_ENV = 8
    INTERNAL = 99


class WorkloadIdentityError(Exception):
    """Base exception for all workload identity SDK errors.

    Attributes:
        message: the one-line description (also `str(error)`).
        status: the `Status` of the failure (a plain int for a status newer
            than this package).
        http_status: the HTTP status of the response that failed, or `None`
            when no HTTP response was involved.
        oauth_code: the RFC 6749 `error` member of the response
            (e.g. ``"invalid_client"``), or `None`.
        retryable: True when the same call may succeed if tried again later.
    """

    default_status: Optional[Status] = None

    def __init__(
        self,
        message: str = "",
        *,
        status: Union[Status, int, None] = None,
        http_status: Optional[int] = None,
        oauth_code: Optional[str] = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = self.default_status if status is None else status
        self.http_status = http_status
        self.oauth_code = oauth_code
        self.retryable = retryable


class InvalidArgumentError(WorkloadIdentityError, ValueError):
    """An argument the library cannot accept: None where a value is required,
    a string that is not valid UTF-8 or holds a NUL, an unknown option key or
    a bad option value. Also a `ValueError`, as Python code expects."""

    default_status = Status.INVALID_ARGUMENT


class ConfigurationError(WorkloadIdentityError):
    """Raised when required configuration is missing or invalid."""

    default_status = Status.CONFIGURATION


class TokenRetrievalError(WorkloadIdentityError):
    """Raised when ID token retrieval (step 1, client credentials) fails."""

    default_status = Status.TOKEN_RETRIEVAL


class TokenExchangeError(WorkloadIdentityError):
    """Raised when token exchange (step 2, or `exchange_token`) fails."""

    default_status = Status.TOKEN_EXCHANGE


class IntegrationError(WorkloadIdentityError):
    """Raised when the integration-credential or project env-var API fails."""

    default_status = Status.INTEGRATION


class OAuthOperationError(WorkloadIdentityError):
    """Raised when discovery, introspection, revocation or registration fails."""

    default_status = Status.OAUTH_OPERATION


class StoreError(WorkloadIdentityError):
    """Raised when the ``token_store`` directory cannot be created, is unsafe
    (owned by another user, writable by group or others) or cannot be written."""

    default_status = Status.STORE


class InternalError(WorkloadIdentityError):
    """A bug in the library, caught at its boundary (`WI_STATUS_INTERNAL`)."""

    default_status = Status.INTERNAL


class ClientClosedError(InvalidArgumentError):
    """Raised when a client is used after `close()`: an invalid argument (the
    client), so also an `InvalidArgumentError` and a `ValueError`, as a closed
    file is. The same name and meaning as Node's `ClientClosedError` and Go's
    `ErrClientClosed`."""


_CLASS_BY_STATUS: Dict[Union[Status, int], Type[WorkloadIdentityError]] = {
    Status.INVALID_ARGUMENT: InvalidArgumentError,
    Status.CONFIGURATION: ConfigurationError,
    Status.TOKEN_RETRIEVAL: TokenRetrievalError,
    Status.TOKEN_EXCHANGE: TokenExchangeError,
    Status.INTEGRATION: IntegrationError,
    Status.OAUTH_OPERATION: OAuthOperationError,
    Status.STORE: StoreError,
    Status.INTERNAL: InternalError,
}


def error_for_status(
    status: int,
    message: str,
    *,
    http_status: Optional[int] = None,
    oauth_code: Optional[str] = None,
    retryable: bool = False,
) -> WorkloadIdentityError:
    """The exception of the class that `status` (a `wi_status` number) names."""
    try:
        known: Union[Status, int] = Status(status)
    except ValueError:
        known = status
    cls = _CLASS_BY_STATUS.get(known, WorkloadIdentityError)
    return cls(message, status=known, http_status=http_status, oauth_code=oauth_code, retryable=retryable)
