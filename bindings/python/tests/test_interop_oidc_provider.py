"""Against oidc-provider (tests/interop/oidc-provider), a certified OpenID
provider no one here wrote, started by the test: discovery, introspection of
a token it issued (active, then inactive after revocation), and a
registration whose client then gets a token with client_credentials."""

import json
import subprocess
import threading

import pytest

from conftest import REPO
from workload_identity import Client

HARNESS = REPO / "tests" / "interop" / "oidc-provider"


@pytest.fixture(scope="module")
def oidc_provider():
    server = subprocess.Popen([str(HARNESS / "start")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        issuer = server.stdout.readline().strip()
        assert issuer.startswith("http://127.0.0.1:"), f"oidc-provider did not start (needs node): {issuer!r}"
        threading.Thread(target=server.stdout.read, daemon=True).start()
        yield issuer
    finally:
        server.stdin.close()
        server.wait(timeout=30)


def test_discovery_introspection_revocation_registration(oidc_provider):
    credentials = json.loads((HARNESS / "credentials.json").read_text())
    post = credentials["clients"]["client_secret_post"]
    with Client(
        flow="client_credentials",
        issuer=oidc_provider,
        token_endpoint="",
        client_id=post["client_id"],
        client_secret=post["client_secret"],
        scope="api:read",
    ) as client:
        assert client.get_server_metadata().issuer == oidc_provider
        token = client.get_access_token()
        answer = client.introspect_token(token)
        assert answer.active and answer.client_id == post["client_id"] and answer.has_scope("api:read")
        assert client.check_permission(token, "api:read")
        client.revoke_token(token, "access_token")
        assert not client.is_active(token)
        assert not client.check_permission(token)
    with Client(flow="none", issuer=oidc_provider, registration_token=credentials["initial_access_token"]) as registrar:
        registration = registrar.register_client(
            grant_types=["client_credentials"],
            response_types=[],
            redirect_uris=[],
            token_endpoint_auth_method="client_secret_basic",
            scope="api:read",
        )
    with Client(
        flow="client_credentials",
        issuer=oidc_provider,
        token_endpoint="",
        client_id=registration.client_id,
        client_secret=registration.client_secret,
        client_auth="client_secret_basic",
    ) as registered:
        assert registered.is_active(registered.get_access_token())
