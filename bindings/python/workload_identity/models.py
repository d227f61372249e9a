"""The values the client returns beyond plain strings.

`ProjectEnvVar` is a `dict` ``{"key": ..., "value": ...}`` that also has the
`.key` and `.value` attributes of the Coze SDK's dataclass, so code written
for either shape works. Values are secrets: `repr()` shows keys only.
`AccessToken` is a token with its expiry (`Client.get_access_token_with_expiry()`).
Plain data; not synchronized (share read-only between threads).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional


@dataclass(frozen=True)
class AccessToken:
    """An access token and when it expires.

    Attributes:
        token: the access token (a secret: `repr()` hides it).
        expires_at: a timezone-aware `datetime` in UTC: the time the request
            that obtained the token was sent plus its ``expires_in``. Aware,
            so it compares with ``datetime.now(timezone.utc)`` without the
            local-or-UTC ambiguity of a naive one.
    """

    token: str = field(repr=False)
    expires_at: datetime


class ProjectEnvVar(Dict[str, str]):
    """One project environment variable: ``{"key": K, "value": V}``, with
    attribute access (`var.key`, `var.value`) as in the Coze SDK."""

    def __init__(self, key: str, value: str) -> None:
        if not isinstance(key, str):
            raise ValueError(f"key must be a string, got {type(key)}")
        if not isinstance(value, str):
            raise ValueError(f"value must be a string, got {type(value)}")
        super().__init__(key=key, value=value)

    @property
    def key(self) -> str:
        """The variable's name."""
        return self["key"]

    @property
    def value(self) -> str:
        """The variable's value (a secret)."""
        return self["value"]

    def __repr__(self) -> str:
        return f"ProjectEnvVar(key={self['key']!r}, value=<hidden>)"


class ProjectEnvVars:
    """The project's environment variables, in server order.

    `vars` is the list of `ProjectEnvVar`; iterating yields them (as the Coze
    SDK does), `len()` counts them, and lookups by key (`get`, `[]`, `in`)
    use the first variable of that name.
    """

    def __init__(self, vars: List[Any]) -> None:
        if not isinstance(vars, list):
            raise ValueError(f"vars must be a list, got {type(vars)}")
        self.vars: List[ProjectEnvVar] = [
            var if isinstance(var, ProjectEnvVar) else _from_mapping(var, i) for i, var in enumerate(vars)
        ]

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> ProjectEnvVars:
        """Builds the object from ``{"vars": [{"key": K, "value": V}, ...]}``."""
        if not isinstance(data, dict):
            raise ValueError(f"data must be a dict, got {type(data)}")
        if "vars" not in data:
            raise ValueError("data must contain 'vars' key")
        return cls(data["vars"])

    def to_dict(self) -> Dict[str, List[Dict[str, str]]]:
        """``{"vars": [{"key": K, "value": V}, ...]}`` (plain dicts, copied)."""
        return {"vars": [{"key": var.key, "value": var.value} for var in self.vars]}

    def get(self, key: str, default: Optional[str] = None) -> Optional[str]:
        """The value of variable `key`, or `default` when there is none."""
        for var in self.vars:
            if var.key == key:
                return var.value
        return default

    def __getitem__(self, key: str) -> str:
        for var in self.vars:
            if var.key == key:
                return var.value
        raise KeyError(f"Environment variable '{key}' not found")

    def __contains__(self, key: object) -> bool:
        return any(var.key == key for var in self.vars)

    def __len__(self) -> int:
        return len(self.vars)

    def __iter__(self) -> Iterator[ProjectEnvVar]:
        return iter(self.vars)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProjectEnvVars):
            return NotImplemented
        return self.vars == other.vars

    def __repr__(self) -> str:
        return f"ProjectEnvVars(keys={[var.key for var in self.vars]!r})"


def _from_mapping(var: Any, index: int) -> ProjectEnvVar:
    if not isinstance(var, dict):
        raise ValueError(f"vars[{index}] must be a dict, got {type(var)}")
    if "key" not in var or "value" not in var:
        raise ValueError(f"vars[{index}] must contain 'key' and 'value' keys")
    return ProjectEnvVar(var["key"], var["value"])
