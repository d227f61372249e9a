"""workload_identity: Coze workload identity for Python, over the native library.

A drop-in for the Coze Python SDK (`coze-workload-identity`): replace
``from coze_workload_identity import ...`` with
``from workload_identity import ...``. The native `libworkload_identity` is
found through `$WI_LIBRARY_PATH`, a copy inside this package, or the
`target/release/` of the source checkout; it is loaded on first use.
Log lines go to the ``logging.getLogger("workload_identity")`` logger.
`AsyncClient` offers `Client`'s methods as coroutines, for asyncio code.

Also the SDK's egress and skill environment names: `HttpsProxy`,
`CaBundlePath`, `load_skill_env`, `ensure_skill_env_loaded`,
`SkillEnvAPIError`, `env_keys`, and the `requests` module (imported on first
use; it needs ``pip install 'workload-identity[requests]'``).
"""

import importlib as _importlib
import importlib.util as _importlib_util

from ._log_bridge import sync_log_level
from ._version import __version__
from .aio import AsyncClient
from .client import Client
from .exceptions import (
    ClientClosedError,
    ConfigurationError,
    IntegrationError,
    InternalError,
    InvalidArgumentError,
    Status,
    StoreError,
    TokenExchangeError,
    TokenRetrievalError,
    WorkloadIdentityError,
)
from . import env_keys
from .models import AccessToken, ProjectEnvVar, ProjectEnvVars
from .user import as_user, current_user_token, requires_access_token
from .proxy import CaBundleError, CaBundlePath, HttpsProxy
from .skill_env import SkillEnvAPIError, ensure_skill_env_loaded, load_skill_env

__all__ = [
    "AccessToken",
    "AsyncClient",
    "CaBundleError",
    "CaBundlePath",
    "Client",
    "ClientClosedError",
    "ConfigurationError",
    "IntegrationError",
    "InternalError",
    "InvalidArgumentError",
    "ProjectEnvVar",
    "ProjectEnvVars",
    "HttpsProxy",
    "SkillEnvAPIError",
    "Status",
    "StoreError",
    "TokenExchangeError",
    "TokenRetrievalError",
    "WorkloadIdentityError",
    "__version__",
    "as_user",
    "current_user_token",
    "requires_access_token",
    "ensure_skill_env_loaded",
    "env_keys",
    "load_skill_env",
    "sync_log_level",
]
if _importlib_util.find_spec("requests") is not None:
    __all__.append("requests")


def __getattr__(name):
    # `workload_identity.requests` is imported on first use, as importing it
    # loads the skill environment and needs the optional requests package.
    if name == "requests":
        return _importlib.import_module(f"{__name__}.requests")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
