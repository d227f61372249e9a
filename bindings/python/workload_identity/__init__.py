"""workload_identity: Coze workload identity for Python, over the native library.

A drop-in for the Coze Python SDK (`coze-workload-identity`): replace
``from coze_workload_identity import ...`` with
``from workload_identity import ...``. The native `libworkload_identity` is
found through `$WI_LIBRARY_PATH`, a copy inside this package, or the
`target/release/` of the source checkout; it is loaded on first use.
Log lines go to the ``logging.getLogger("workload_identity")`` logger.
"""

from ._log_bridge import sync_log_level
from ._version import __version__
from .client import Client
from .exceptions import (
    ClientClosedError,
    ConfigurationError,
    IntegrationError,
    InternalError,
    InvalidArgumentError,
    Status,
    TokenExchangeError,
    TokenRetrievalError,
    WorkloadIdentityError,
)
from .models import ProjectEnvVar, ProjectEnvVars
from .user import as_user, current_user_token, requires_access_token

__all__ = [
    "Client",
    "ClientClosedError",
    "ConfigurationError",
    "IntegrationError",
    "InternalError",
    "InvalidArgumentError",
    "ProjectEnvVar",
    "ProjectEnvVars",
    "Status",
    "TokenExchangeError",
    "TokenRetrievalError",
    "WorkloadIdentityError",
    "__version__",
    "as_user",
    "current_user_token",
    "requires_access_token",
    "sync_log_level",
]
