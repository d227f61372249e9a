"""`Client`'s methods for the authorization server's other endpoints:
RFC 8414 discovery, RFC 7662 introspection with the fail-safe checks on top
of it, RFC 7009 revocation and RFC 7591 registration. A mixin of `Client`
(it uses the client's native handle); every rule lives in the library.
"""

from __future__ import annotations

import ctypes
import json
import logging
from typing import Any, Dict, Optional, Union

from . import _native
from .exceptions import InvalidArgumentError
from .oauth_models import ClientRegistration, ServerMetadata, TokenIntrospection

_logger = logging.getLogger("workload_identity")


class OAuthOperations:
    """The authorization server's other endpoints, as methods of `Client`."""

    def get_server_metadata(self) -> ServerMetadata:
        """The authorization server's metadata (RFC 8414) of the `issuer`
        option, fetched by the library at its first need, once per identity;
        every endpoint not set explicitly comes from it.

        Raises:
            ConfigurationError: no `issuer`.
            OAuthOperationError: the document cannot be fetched, is not a JSON
                object, names another issuer or no token endpoint.
        """
        document = self._string_call(self._lib.wi_get_server_metadata)
        return ServerMetadata.from_dict(json.loads(document))

    def introspect_token(self, token: str, token_type_hint: Optional[str] = None) -> TokenIntrospection:
        """The introspection answer (RFC 7662) about `token`; with the
        `introspection_cache_s` option a positive answer may come from the
        library's cache.

        Raises:
            InvalidArgumentError: `token` is empty or not text.
            OAuthOperationError: network, server, or an answer without a
                boolean ``active``. The token never appears in the message.
        """
        document = self._string_call(
            self._lib.wi_introspect_token,
            _native.to_c_string(_required(token, "token"), "token"),
            _native.to_c_string(token_type_hint, "token_type_hint"),
        )
        return TokenIntrospection.from_dict(json.loads(document))

    def is_active(self, token: str, required_scope: Optional[str] = None) -> bool:
        """True only when introspection answers ``"active": true`` and the
        token holds every space-separated scope of `required_scope` (when
        given); False for an inactive token or a missing scope.

        Raises on any failure (never returns True then): `InvalidArgumentError`
        for a bad argument, `OAuthOperationError` for the server or network.
        `check_permission` is the form that returns False instead.
        """
        raw_token = _native.to_c_string(_required(token, "token"), "token")
        raw_scope = _native.to_c_string(required_scope, "required_scope")
        error = ctypes.c_void_p()
        pointer = self._handle.acquire()
        try:
            active = self._lib.wi_token_is_active(pointer, raw_token, raw_scope, ctypes.byref(error))
        finally:
            self._handle.release()
        if error.value:
            raise _native.error_from(self._lib.wi_error_status(error), error)
        return bool(active)

    def check_permission(self, token: Any, required_scope: Optional[str] = None) -> bool:
        """Fail-safe permission check (as inkPass's ``check_permission``): True
        only when the token is active and holds `required_scope`; False for
        anything else, any failure included (bad argument, network, server,
        malformed answer, closed client). Never raises; a failure is logged as
        a warning on the ``workload_identity`` logger (never the token)."""
        try:
            return self.is_active(token, required_scope)
        except Exception as error:  # fail-safe: every failure denies
            _logger.warning("check_permission denied: %s", error)
            return False

    def revoke_token(self, token: str, token_type_hint: Optional[str] = None) -> None:
        """Revokes `token` (RFC 7009) and drops it from the library's caches of
        this client's identity (and from the file token store), whatever the
        server answers.

        Raises:
            InvalidArgumentError, ConfigurationError, OAuthOperationError.
        """
        raw_token = _native.to_c_string(_required(token, "token"), "token")
        raw_hint = _native.to_c_string(token_type_hint, "token_type_hint")
        self._lease = None
        error = ctypes.c_void_p()
        pointer = self._handle.acquire()
        try:
            status = self._lib.wi_revoke_token(pointer, raw_token, raw_hint, ctypes.byref(error))
        finally:
            self._handle.release()
        if status:
            raise _native.error_from(status, error)

    def register_client(
        self, metadata: Union[Dict[str, Any], str, None] = None, **fields: Any
    ) -> ClientRegistration:
        """Registers a client (RFC 7591). `metadata` is a dict or JSON object
        text; keyword `fields` are added to it (``register_client(client_name=
        "batch", grant_types=["client_credentials"])``). The `registration_token`
        option is sent as Bearer. Sent once, never retried.

        Raises:
            InvalidArgumentError: the metadata is not a JSON object (before any
                request).
            ConfigurationError, OAuthOperationError.
        """
        text = _native.to_c_string(_metadata(metadata, fields), "metadata")
        document = self._string_call(self._lib.wi_register_client, text)
        return ClientRegistration.from_dict(json.loads(document))


def _required(value: Any, name: str) -> Any:
    if value is None:
        raise InvalidArgumentError(f"{name} is required")
    return value


def _metadata(metadata: Union[Dict[str, Any], str, None], fields: Dict[str, Any]) -> str:
    """The metadata as JSON text; a string is passed on for the library to check."""
    if isinstance(metadata, str) and not fields:
        return metadata
    if metadata is None:
        metadata = {}
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError as error:
            raise InvalidArgumentError(f"metadata is not JSON: {error}") from None
    if not isinstance(metadata, dict):
        raise InvalidArgumentError(f"metadata must be a dict or JSON object text, not {type(metadata).__name__}")
    try:
        return json.dumps({**metadata, **fields})
    except (TypeError, ValueError) as error:
        raise InvalidArgumentError(f"metadata cannot be serialized to JSON: {error}") from None
