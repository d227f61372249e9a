"""The results of the authorization server's other endpoints, as dataclasses:
`ServerMetadata` (RFC 8414), `TokenIntrospection` (RFC 7662) and
`ClientRegistration` (RFC 7591). Each keeps the whole answer in `raw` (a
dict, as the server sent it, extension members included) and the standard
members as attributes, `None` when absent. Plain data; immutable; safe to
share between threads. `ClientRegistration`'s `repr()` hides the secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional


def _text(data: Dict[str, Any], name: str) -> Optional[str]:
    value = data.get(name)
    return value if isinstance(value, str) else None


def _texts(data: Dict[str, Any], name: str) -> Optional[List[str]]:
    value = data.get(name)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    return None


def _time(data: Dict[str, Any], name: str) -> Optional[datetime]:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


@dataclass(frozen=True)
class ServerMetadata:
    """An authorization server's metadata (RFC 8414 section 2), checked by the
    library: it names the configured issuer and a token endpoint."""

    issuer: str
    token_endpoint: str
    introspection_endpoint: Optional[str] = None
    revocation_endpoint: Optional[str] = None
    registration_endpoint: Optional[str] = None
    jwks_uri: Optional[str] = None
    scopes_supported: Optional[List[str]] = None
    grant_types_supported: Optional[List[str]] = None
    token_endpoint_auth_methods_supported: Optional[List[str]] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> ServerMetadata:
        return cls(
            issuer=_text(data, "issuer") or "",
            token_endpoint=_text(data, "token_endpoint") or "",
            introspection_endpoint=_text(data, "introspection_endpoint"),
            revocation_endpoint=_text(data, "revocation_endpoint"),
            registration_endpoint=_text(data, "registration_endpoint"),
            jwks_uri=_text(data, "jwks_uri"),
            scopes_supported=_texts(data, "scopes_supported"),
            grant_types_supported=_texts(data, "grant_types_supported"),
            token_endpoint_auth_methods_supported=_texts(data, "token_endpoint_auth_methods_supported"),
            raw=data,
        )


@dataclass(frozen=True)
class TokenIntrospection:
    """An introspection answer (RFC 7662 section 2.2). `active` is the only
    member every answer has; times are timezone-aware UTC datetimes."""

    active: bool
    scope: Optional[str] = None
    client_id: Optional[str] = None
    username: Optional[str] = None
    token_type: Optional[str] = None
    exp: Optional[datetime] = None
    iat: Optional[datetime] = None
    nbf: Optional[datetime] = None
    sub: Optional[str] = None
    aud: Optional[List[str]] = None
    iss: Optional[str] = None
    jti: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def scopes(self) -> List[str]:
        """The space-separated `scope`, split."""
        return (self.scope or "").split()

    def has_scope(self, scope: str) -> bool:
        """True when the token's scopes hold `scope`."""
        return scope in self.scopes

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> TokenIntrospection:
        return cls(
            active=data.get("active") is True,
            scope=_text(data, "scope"),
            client_id=_text(data, "client_id"),
            username=_text(data, "username"),
            token_type=_text(data, "token_type"),
            exp=_time(data, "exp"),
            iat=_time(data, "iat"),
            nbf=_time(data, "nbf"),
            sub=_text(data, "sub"),
            aud=_texts(data, "aud"),
            iss=_text(data, "iss"),
            jti=_text(data, "jti"),
            raw=data,
        )


@dataclass(frozen=True)
class ClientRegistration:
    """A registration answer (RFC 7591 section 3.2.1): the new client's id and,
    when issued, its secret (hidden from `repr()`; also in `raw`)."""

    client_id: str
    client_secret: Optional[str] = field(default=None, repr=False)
    client_id_issued_at: Optional[datetime] = None
    client_secret_expires_at: Optional[datetime] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> ClientRegistration:
        return cls(
            client_id=_text(data, "client_id") or "",
            client_secret=_text(data, "client_secret"),
            client_id_issued_at=_time(data, "client_id_issued_at"),
            client_secret_expires_at=_time(data, "client_secret_expires_at"),
            raw=data,
        )
