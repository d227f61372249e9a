"""Interoperability with an authorization server that no one here wrote:
client_credentials from oidc-provider (tests/interop/oidc-provider) under
client_secret_basic, client_secret_post and private_key_jwt (ES256 and RS256,
keys generated here with openssl; the harness registers their public halves)."""

import json
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import REPO
from workload_identity import Client, TokenRetrievalError

HARNESS = REPO / "tests" / "interop" / "oidc-provider"
CREDENTIALS = json.loads((HARNESS / "credentials.json").read_text())
KEY_ARGUMENTS = {
    "ES256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "RS256": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
}


def start_oidc_provider(key_path):
    """Starts the harness with `key_path` as the wi-jwt client's key: (process, token endpoint)."""
    server = subprocess.Popen(
        [str(HARNESS / "start"), "--jwt-key", str(key_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    issuer = server.stdout.readline().strip()  # the first start may run npm ci first
    if not issuer.startswith("http://127.0.0.1:"):
        server.kill()
        raise RuntimeError(f"oidc-provider harness did not start: {issuer!r}")
    threading.Thread(target=server.stdout.read, daemon=True).start()  # never let the pipe fill
    with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=10) as response:
        return server, json.load(response)["token_endpoint"]


@pytest.fixture(scope="module")
def oidc_provider(tmp_path_factory):
    """One server per key (the harness registers one key for wi-jwt): {alg: (key path, token endpoint)}."""
    directory = tmp_path_factory.mktemp("interop")
    servers, endpoints = [], {}
    try:
        for alg, arguments in KEY_ARGUMENTS.items():
            key = directory / f"{alg}.pem"
            subprocess.run(["openssl", "genpkey", "-out", str(key), *arguments], check=True, capture_output=True)
            server, token_endpoint = start_oidc_provider(key)
            servers.append(server)
            endpoints[alg] = (key, token_endpoint)
        yield endpoints
    finally:
        for server in servers:
            server.stdin.close()  # the harness exits when its stdin closes
            server.wait(timeout=10)


def get_token(**options):
    """A token (client_credentials, scope api:read), then the cached one with its expiry."""
    with Client(flow="client_credentials", scope="api:read", **options) as client:
        token = client.get_access_token()
        assert isinstance(token, str) and token, "no token"
        got = client.get_access_token_with_expiry()
        assert got.token == token, "the second call did not serve the cached token"
        assert 60 < got.expires_at.timestamp() - time.time() <= 600
        assert client.stats()["server_requests"] == 1


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_client_secret(oidc_provider, method):
    client = CREDENTIALS["clients"][method]
    get_token(
        token_endpoint=oidc_provider["ES256"][1],
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        client_auth=method,
    )


@pytest.mark.parametrize("alg", sorted(KEY_ARGUMENTS))
def test_private_key_jwt(oidc_provider, alg):
    key, token_endpoint = oidc_provider[alg]
    get_token(
        token_endpoint=token_endpoint,
        client_id=CREDENTIALS["clients"]["private_key_jwt"]["client_id"],
        client_auth="private_key_jwt",
        private_key_path=key,
    )


def test_wrong_secret_is_invalid_client(oidc_provider):
    with Client(
        flow="client_credentials",
        token_endpoint=oidc_provider["ES256"][1],
        client_id=CREDENTIALS["clients"]["client_secret_basic"]["client_id"],
        client_secret="wrong-interop-secret",
        client_auth="client_secret_basic",
    ) as client:
        with pytest.raises(TokenRetrievalError) as raised:
            client.get_access_token()
    error = raised.value
    assert (error.http_status, error.oauth_code, error.retryable) == (401, "invalid_client", False)
    assert "wrong-interop-secret" not in str(error)
