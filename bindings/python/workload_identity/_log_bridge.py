"""Forwarding the library's log lines to the `workload_identity` Python logger.

One process-wide `wi_set_log_callback` callback, installed by the first
`Client()`. The most verbose native level sent follows the logger's effective
level, read again at every `Client()` and by `sync_log_level()` (so that
configuring logging before creating a client is enough). The ctypes callback
object lives in this module for the life of the process (the library keeps
calling it). It may run on any thread, the library's own `wi-refresh` thread
included: ctypes takes the GIL around it, and `logging` is thread-safe. At
interpreter exit the callback is removed, so that a native thread does not call
into a finalizing interpreter.
"""

import atexit
import logging
import threading

from . import _native
from .exceptions import error_for_status

LOGGER_NAME = "workload_identity"
logger = logging.getLogger(LOGGER_NAME)

_PYTHON_LEVEL = {
    _native.WI_LOG_ERROR: logging.ERROR,
    _native.WI_LOG_WARN: logging.WARNING,
    _native.WI_LOG_INFO: logging.INFO,
    _native.WI_LOG_DEBUG: logging.DEBUG,
}


def _forward(level, message, _user_data):
    # `message` is borrowed for this call only; ctypes has copied it into bytes.
    text = message.decode("utf-8", "replace") if message else ""
    logger.log(_PYTHON_LEVEL.get(level, logging.DEBUG), "%s", text)


_CALLBACK = _native.LOG_CALLBACK(_forward)
_install_lock = threading.Lock()
_uninstall_registered = False


def _native_level():
    """The most verbose native level the logger would emit (at least errors)."""
    effective = logger.getEffectiveLevel()
    if effective <= logging.DEBUG:
        return _native.WI_LOG_DEBUG
    if effective <= logging.INFO:
        return _native.WI_LOG_INFO
    if effective <= logging.WARNING:
        return _native.WI_LOG_WARN
    return _native.WI_LOG_ERROR


def _uninstall():
    # LOG_CALLBACK() is the NULL function pointer: back to the library's default.
    _native.library().wi_set_log_callback(_native.LOG_CALLBACK(), _native.WI_LOG_ERROR, None)


def sync_log_level() -> None:
    """(Re)installs the log callback at the `workload_identity` logger's
    current effective level.

    Every `Client()` does this; call it after making the logger more verbose
    (e.g. ``logger.setLevel(logging.DEBUG)``) while clients already exist, so
    that the library starts sending the extra lines. Thread-safe.
    """
    global _uninstall_registered
    with _install_lock:
        status = _native.library().wi_set_log_callback(_CALLBACK, _native_level(), None)
        if status:
            raise error_for_status(status, "wi_set_log_callback failed")
        if not _uninstall_registered:
            atexit.register(_uninstall)
            _uninstall_registered = True
