"""Ownership of one native `wi_client` pointer.

The C contract says `wi_client_free` runs once, after every call on the client
has returned. This wrapper enforces it whatever Python code does: calls
`acquire()` the pointer and `release()` it after the foreign call; `close()`
refuses new calls, and the pointer is freed by whichever of `close()` or the
last call in flight finishes last. Thread-safe; `close()` never blocks.
"""

import threading

from . import _native
from .exceptions import ClientClosedError


class ClientHandle:
    """Counts the calls in flight on one `wi_client` and frees it once."""

    __slots__ = ("_closed", "_in_flight", "_lock", "_pointer")

    def __init__(self, pointer):
        self._pointer = pointer
        self._lock = threading.Lock()
        self._in_flight = 0
        self._closed = False

    @property
    def closed(self):
        """True once `close()` has been called."""
        return self._closed

    def acquire(self):
        """The pointer, held for one call; pair with `release()`."""
        with self._lock:
            if self._closed:
                raise ClientClosedError("this workload_identity Client is closed; create a new one")
            self._in_flight += 1
            return self._pointer

    def release(self):
        """Ends one call; frees the client if it was the last after `close()`."""
        with self._lock:
            self._in_flight -= 1
            pointer = self._take_if_idle()
        _free(pointer)

    def close(self):
        """Refuses new calls; frees the client now or when the last call ends.

        Idempotent.
        """
        with self._lock:
            self._closed = True
            pointer = self._take_if_idle()
        _free(pointer)

    def _take_if_idle(self):
        if not self._closed or self._in_flight:
            return None
        pointer, self._pointer = self._pointer, None
        return pointer


def _free(pointer):
    if pointer:
        _native.library().wi_client_free(pointer)
