"""Loading and declaring libworkload_identity through ctypes.

Owns the one process-wide `ctypes.CDLL` handle, loaded on first use so that
`import workload_identity` works before the library is built (`_locate`
finds and checks it). `CDLL` (not
`PyDLL`) releases the GIL for every foreign call, so threads calling the
library run in parallel. Every function gets `argtypes`/`restype`; strings the
library returns through out-parameters are declared `c_void_p` (never
`c_char_p`, which would copy and leak them) and go back through
`wi_free_string`. Thread-safe.
"""

import ctypes
import threading

from . import _locate
from .exceptions import InternalError, InvalidArgumentError, error_for_status

WI_LOG_ERROR = 1
WI_LOG_WARN = 2
WI_LOG_INFO = 3
WI_LOG_DEBUG = 4

_out = ctypes.POINTER(ctypes.c_void_p)

# void (*wi_log_callback)(wi_log_level level, const char *message, void *user_data)
LOG_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_uint32, ctypes.c_char_p, ctypes.c_void_p)


class ExchangeParams(ctypes.Structure):
    """`wi_exchange_params`: borrowed UTF-8 strings, NULL meaning "not sent"."""

    _fields_ = [
        ("subject_token", ctypes.c_char_p),
        ("subject_token_type", ctypes.c_char_p),
        ("audience", ctypes.c_char_p),
        ("resource", ctypes.c_char_p),
        ("scope", ctypes.c_char_p),
        ("requested_token_type", ctypes.c_char_p),
        ("actor_token", ctypes.c_char_p),
        ("actor_token_type", ctypes.c_char_p),
    ]


STATS_COUNTERS = (
    "cache_hits",
    "cache_misses",
    "refreshes_started",
    "refreshes_succeeded",
    "refreshes_failed",
    "stale_served",
    "retries",
    "server_requests",
    "exchange_cache_hits",
    "exchange_cache_misses",
    "exchange_cache_evictions",
)


class Stats(ctypes.Structure):
    """`wi_stats`: the caller sets `struct_size`; the library fills what fits."""

    _fields_ = [("struct_size", ctypes.c_uint32)] + [(name, ctypes.c_uint64) for name in STATS_COUNTERS]


# name: (restype, argtypes). Borrowed or static strings (wi_version,
# wi_error_message, wi_error_oauth_code) may be `c_char_p`: ctypes copies them
# and frees nothing.
_PROTOTYPES = {
    "wi_version": (ctypes.c_char_p, []),
    "wi_options_new": (ctypes.c_void_p, []),
    "wi_options_set": (ctypes.c_uint32, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, _out]),
    "wi_options_free": (None, [ctypes.c_void_p]),
    "wi_client_new": (ctypes.c_uint32, [ctypes.c_void_p, _out, _out]),
    "wi_client_free": (None, [ctypes.c_void_p]),
    "wi_get_access_token": (ctypes.c_uint32, [ctypes.c_void_p, _out, _out]),
    "wi_get_access_token_lease": (
        ctypes.c_uint32,
        [ctypes.c_void_p, _out, ctypes.POINTER(ctypes.c_uint32), _out],
    ),
    "wi_get_access_token_with_expiry": (
        ctypes.c_uint32,
        [ctypes.c_void_p, _out, ctypes.POINTER(ctypes.c_int64), _out],
    ),
    "wi_peek_access_token_lease": (ctypes.c_bool, [ctypes.c_void_p, _out, ctypes.POINTER(ctypes.c_uint32)]),
    "wi_force_refresh": (ctypes.c_uint32, [ctypes.c_void_p, _out, _out]),
    "wi_exchange_token": (ctypes.c_uint32, [ctypes.c_void_p, ctypes.POINTER(ExchangeParams), _out, _out]),
    "wi_get_delegated_token": (
        ctypes.c_uint32,
        [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, _out, _out],
    ),
    "wi_get_integration_credential": (ctypes.c_uint32, [ctypes.c_void_p, ctypes.c_char_p, _out, _out]),
    "wi_get_project_env_vars": (ctypes.c_uint32, [ctypes.c_void_p, _out, _out]),
    "wi_invalidate_token": (ctypes.c_uint32, [ctypes.c_void_p, ctypes.c_char_p, _out]),
    "wi_client_stats": (ctypes.c_uint32, [ctypes.c_void_p, ctypes.POINTER(Stats)]),
    "wi_free_string": (None, [ctypes.c_void_p]),
    "wi_error_status": (ctypes.c_uint32, [ctypes.c_void_p]),
    "wi_error_message": (ctypes.c_char_p, [ctypes.c_void_p]),
    "wi_error_http_status": (ctypes.c_uint16, [ctypes.c_void_p]),
    "wi_error_oauth_code": (ctypes.c_char_p, [ctypes.c_void_p]),
    "wi_error_retryable": (ctypes.c_bool, [ctypes.c_void_p]),
    "wi_error_free": (None, [ctypes.c_void_p]),
    "wi_set_log_callback": (ctypes.c_uint32, [LOG_CALLBACK, ctypes.c_uint32, ctypes.c_void_p]),
    "wi_get_outbound_proxy": (ctypes.c_uint32, [_out, _out, _out]),
    "wi_load_skill_env": (
        ctypes.c_uint32,
        [ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t, ctypes.c_char_p, ctypes.c_bool, ctypes.c_uint32, _out, _out],
    ),
    "wi_invalidation_counter": (ctypes.c_void_p, []),
}

_load_lock = threading.Lock()
_library = None


def library():
    """The loaded library with every prototype declared; loads it on first call.

    Which file, and the checks it must pass, are `_locate`'s: every failure
    is a `ConfigurationError` naming the file.
    """
    global _library
    if _library is None:
        with _load_lock:
            if _library is None:
                loaded = _locate.load()
                for name, (restype, argtypes) in _PROTOTYPES.items():
                    try:
                        function = getattr(loaded.cdll, name)
                    except AttributeError:
                        raise loaded.missing_function(name) from None
                    function.restype = restype
                    function.argtypes = argtypes
                _library = loaded.cdll
    return _library


def invalidations():
    """The library's process-wide invalidation counter, read in place
    (`.value`, no call): static memory, valid for good. A lease holds only
    while the counter keeps the value it had before the call that granted it.
    """
    return ctypes.c_uint32.from_address(library().wi_invalidation_counter())


def take_string(pointer):
    """Copies a string the library returned into Python and frees the original.

    `pointer` is a `c_void_p` out-parameter filled by a successful call (so
    the library is loaded).
    """
    address = pointer.value
    if not address:
        raise InternalError("the library reported success but returned no string")
    try:
        return ctypes.string_at(address).decode("utf-8")
    finally:
        _library.wi_free_string(address)


def error_from(status, error):
    """The exception for a failed call: `status` and the `wi_error` that the
    `c_void_p` out-parameter `error` holds (copied, then freed; may be NULL)."""
    if not error.value:
        return error_for_status(status, f"the library failed with status {status} and no detail")
    lib = library()
    try:
        oauth_code = lib.wi_error_oauth_code(error)
        return error_for_status(
            status,
            (lib.wi_error_message(error) or b"").decode("utf-8", "replace"),
            http_status=lib.wi_error_http_status(error) or None,
            oauth_code=None if oauth_code is None else oauth_code.decode("utf-8", "replace"),
            retryable=bool(lib.wi_error_retryable(error)),
        )
    finally:
        lib.wi_error_free(error)


def to_c_string(value, what):
    """`value` as bytes for a `const char *` parameter; None stays None (NULL).

    A `str` must encode as UTF-8; `bytes` pass through for the library to
    check. A NUL inside either is refused here: C would silently cut it.
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise InvalidArgumentError(f"{what} is not valid Unicode text ({error.reason})") from None
    elif not isinstance(value, bytes):
        raise InvalidArgumentError(f"{what} must be a str, not {type(value).__name__}")
    if b"\0" in value:
        raise InvalidArgumentError(f"{what} must not contain a NUL character")
    return value
