"""Skill environment loading (the Coze SDK's `load_skill_env`), done by the
native library; this module finds the caller's source path and mirrors what
the library wrote into `os.environ`.

The library looks for ``.coze/agents/<digits>`` in the source path, reads the
agent's ``config.json`` and ``/source/ticket.json``, sets ``agent_id``,
``pat_token``, ``skill_id`` and ``identity_ticket``, and applies the skill's
variables from the skill environment endpoint, once per process. It writes the
C environment; Python's `os.environ` is a copy made at start-up, so the names
the library reports are copied into it here (values never pass through the
report). Thread-safe: concurrent callers share one attempt.
"""

import ctypes
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

from . import _log_bridge, _native
from .exceptions import Status, WorkloadIdentityError

logger = logging.getLogger(__name__)

_PACKAGE_DIR = os.path.dirname(os.path.realpath(__file__))
_API_ERROR_MARKER = "GetSkillEnvs error: "
# What an attempt sets before it asks the endpoint (an API error reports no names).
_AGENT_VARIABLES = ("agent_id", "pat_token", "skill_id", "identity_ticket", "IDENTITY_TICKET")

# The identity ticket file (the SDK's name; a test may point it elsewhere).
TICKET_FILE_PATH = Path("/source/ticket.json")

# Set once the process has made its attempt: later calls need no frame walk.
_attempted = False
# Set by _reset_skill_env_for_tests: the next call starts a new attempt.
_force_next = False


class SkillEnvAPIError(WorkloadIdentityError, RuntimeError):
    """Raised when the skill environment endpoint returns a non-zero error code
    (``BaseResp.StatusCode``).

    Attributes:
        payload: the endpoint's answer (a dict).
        error_json: `payload` as JSON text.
    """

    default_status = Status.SKILL_ENV

    def __init__(self, payload: Dict[str, Any]) -> None:
        self.payload = payload
        self.error_json = json.dumps(payload, ensure_ascii=False)
        super().__init__(f"GetSkillEnvs error: {self.error_json}")


def load_skill_env(source_path: Optional[str] = None, force: bool = False, timeout: Any = 10) -> bool:
    """Discovers the current Coze skill and loads its environment variables.

    Best effort: returns True when the agent was found and either no skill
    matched or at least one variable was applied, False otherwise (missing
    files, unreachable endpoint, bad answer: a warning is logged). Once per
    process unless `force`.

    Args:
        source_path: where to look for ``.coze/agents/<digits>``; default: the
            source files of the calling frames (the first holding one wins).
        force: load again even if this process already did.
        timeout: seconds for connecting and for reading the endpoint (a
            number, or a ``(connect, read)`` pair whose larger value is used).

    Raises:
        SkillEnvAPIError: the endpoint answered with an API error code.
    """
    global _attempted, _force_next
    force = force or _force_next
    if _attempted and not force:
        return _cached_result()
    paths = [source_path] if source_path else _caller_source_paths()
    try:
        report = _load(paths, force, timeout)
        _force_next = False
    except SkillEnvAPIError:
        _attempted, _force_next = True, False
        raise
    except Exception as error:  # best effort, as the Coze SDK
        logger.warning("Failed to load skill environment variables: %s", error)
        return False
    _attempted = _attempted or bool(report.get("attempted"))
    return bool(report.get("loaded"))


def ensure_skill_env_loaded() -> bool:
    """Loads the skill environment for the current caller, once per process."""
    return load_skill_env()


def _cached_result() -> bool:
    try:
        return bool(_load([], False, 10).get("loaded"))
    except SkillEnvAPIError:
        return False


def _load(paths: List[str], force: bool, timeout: Any) -> Dict[str, Any]:
    lib = _native.library()
    _log_bridge.sync_log_level()
    encoded = [os.fsencode(path) for path in paths]
    array = (ctypes.c_char_p * len(encoded))(*encoded) if encoded else None
    out = ctypes.c_void_p()
    error = ctypes.c_void_p()
    ticket_file = os.fsencode(TICKET_FILE_PATH) if TICKET_FILE_PATH else None
    status = lib.wi_load_skill_env(
        array, len(encoded), ticket_file, bool(force), _timeout_ms(timeout), ctypes.byref(out), ctypes.byref(error)
    )
    if status == Status.SKILL_ENV:
        # The attempt set the agent's variables before the endpoint failed.
        _mirror_into_os_environ({"set": list(_AGENT_VARIABLES)})
        raise _api_error(_native.error_from(status, error))
    if status:
        raise _native.error_from(status, error)
    report = json.loads(_native.take_string(out))
    if not report.get("cached"):
        _mirror_into_os_environ(report)
    return report


def _timeout_ms(timeout: Any) -> int:
    """Milliseconds for the library (0: its default of 10 s)."""
    if isinstance(timeout, (tuple, list)):
        timeout = max((value for value in timeout if isinstance(value, (int, float))), default=None)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        return 0
    return max(1, min(int(timeout * 1000), 0xFFFFFFFF))


def _api_error(error: WorkloadIdentityError) -> SkillEnvAPIError:
    _, _, text = error.message.partition(_API_ERROR_MARKER)
    try:
        payload = json.loads(text)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        payload = {"error": text or error.message}
    return SkillEnvAPIError(payload)


_libc_getenv = None


def _mirror_into_os_environ(report: Dict[str, Any]) -> None:
    """Copies the variables the library set or removed into `os.environ`."""
    global _libc_getenv
    if _libc_getenv is None:
        getenv = ctypes.CDLL(None).getenv
        getenv.restype = ctypes.c_char_p
        getenv.argtypes = [ctypes.c_char_p]
        _libc_getenv = getenv
    for name in report.get("set") or []:
        value = _libc_getenv(os.fsencode(name))
        if value is not None:
            os.environ[name] = os.fsdecode(value)
    for name in report.get("unset") or []:
        os.environ.pop(name, None)


def _caller_source_paths() -> List[str]:
    """The source files of the calling frames, innermost first, this
    package's own excluded (the Coze SDK inspects the same frames)."""
    paths: List[str] = []
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        frame = frame.f_back
        if not filename:
            continue
        path = os.path.realpath(filename)
        if path == _PACKAGE_DIR or path.startswith(_PACKAGE_DIR + os.sep) or path in paths:
            continue
        paths.append(path)
    return paths


def _reset_skill_env_for_tests() -> None:
    """Makes the next call start a new attempt, as if the process had made none
    (the SDK's test hook)."""
    global _attempted, _force_next
    _attempted = False
    _force_next = True
