"""The flows and client authentications of version 2 through the binding,
against the dev server's OAuth token endpoint (/oauth2/token); the token's
expiry, the non-blocking probe, the token store, and every option key of the
README's configuration table as a keyword argument."""

import os
import re
import stat
import subprocess
import time
from datetime import datetime, timezone

import pytest

from conftest import REPO
from workload_identity import (
    AccessToken,
    Client,
    ConfigurationError,
    Status,
    StoreError,
    TokenExchangeError,
    TokenRetrievalError,
)

KEYS = REPO / "tools" / "devserver" / "tests" / "keys"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"


@pytest.fixture(autouse=True)
def only_given_options(identity, monkeypatch):
    """No COZE_* variable fills a gap: each client holds the options its test gives."""
    for name in list(os.environ):
        if name.startswith("COZE_"):
            monkeypatch.delenv(name)


def flow_client(devserver, flow, **options):
    """A client of `flow` at the dev server's OAuth token endpoint."""
    return Client(flow=flow, token_endpoint=f"{devserver.base_url}/oauth2/token", **options)


def assert_access_token(token):
    assert isinstance(token, str) and re.fullmatch(r"at_[0-9a-f]{32}", token), "not a dev-server access token"


@pytest.mark.parametrize(
    "client_auth, method, key",
    [
        (None, "client_secret_post", None),
        ("client_secret_post", "client_secret_post", None),
        ("client_secret_basic", "client_secret_basic", None),
        ("private_key_jwt", "private_key_jwt", "rsa"),
        ("private_key_jwt", "private_key_jwt", "ec"),
    ],
)
def test_client_credentials_under_each_client_auth(devserver, client_auth, method, key):
    client_id = f"py-cc-{client_auth}-{key}"
    credentials = {"client_id": client_id, "client_auth": client_auth}
    if key:
        devserver.configure(client_keys=[[client_id, (KEYS / f"{key}.pub.pem").read_text()]])
        credentials.update(private_key_path=KEYS / f"{key}.pem", private_key_id="py-tests")
    else:
        devserver.configure(clients=[[client_id, "py-secret"]])
        credentials["client_secret"] = "py-secret"
    devserver.reset()
    with flow_client(
        devserver,
        "client_credentials",
        scope="read write",
        audience="api://py",
        resource="https://api.example/",
        **credentials,
    ) as client:
        token = client.get_access_token()
        assert_access_token(token)
        assert client.get_access_token() == token
        assert client.force_refresh() != token
        assert client.stats()["server_requests"] == 2
    requests = devserver.requests()
    assert len(requests) == 2
    for request in requests:
        assert request["client_auth"] == method
        form = request["form"]
        assert form["grant_type"] == "client_credentials"
        assert (form["scope"], form["audience"], form["resource"]) == ("read write", "api://py", "https://api.example/")
        assert ("client_secret" in form) == (method == "client_secret_post")
    if key:
        assert requests[0]["form"]["client_assertion"] != requests[1]["form"]["client_assertion"]


@pytest.mark.parametrize("client_auth", ["none", "client_id"])
def test_client_id_alone(devserver, client_auth):
    # none and client_id are one method: the header makes each case an identity of its own.
    credentials = {"client_id": "dev-client", "client_secret": "dev-secret", "client_auth": client_auth}
    credentials["header.X-Case"] = client_auth
    devserver.reset()
    with flow_client(devserver, "password", username="dev-user", password="dev-password", **credentials) as client:
        assert_access_token(client.get_access_token())
    (request,) = devserver.requests()
    assert request["client_auth"] == "none"
    assert "client_secret" not in request["form"]
    # client_credentials needs proof.
    with flow_client(devserver, "client_credentials", **credentials) as client:
        with pytest.raises(TokenRetrievalError) as raised:
            client.get_access_token()
    assert (raised.value.http_status, raised.value.oauth_code, raised.value.retryable) == (401, "invalid_client", False)


def test_password_then_rotated_refresh_tokens(devserver):
    credentials = {"client_id": "dev-client", "client_secret": "dev-secret", "username": "dev-user"}
    devserver.reset()
    with flow_client(
        devserver, "password", password="dev-password", client_auth="client_secret_basic", **credentials
    ) as client:
        client.get_access_token()
        client.force_refresh()
        client.force_refresh()
    requests = devserver.requests()
    assert [r["form"]["grant_type"] for r in requests] == ["password", "refresh_token", "refresh_token"]
    assert all(r["client_auth"] == "client_secret_basic" for r in requests)
    assert requests[0]["form"]["username"] == "dev-user"
    assert requests[1]["form"]["refresh_token"] != requests[2]["form"]["refresh_token"]

    with flow_client(devserver, "password", password="not-the-password", **credentials) as client:
        with pytest.raises(TokenRetrievalError) as raised:
            client.get_access_token()
    error = raised.value
    assert (error.http_status, error.oauth_code, error.retryable) == (400, "invalid_grant", False)
    assert "not-the-password" not in str(error)


def test_refresh_token_rotation_then_invalid_grant(devserver):
    initial = devserver.control("tokens", {"kind": "refresh", "client_id": "dev-client"})["token"]

    def client_for(tenant):
        return flow_client(
            devserver,
            "refresh_token",
            client_id="dev-client",
            client_secret="dev-secret",
            refresh_token=initial,
            **{"header.X-Tenant": tenant},
        )

    devserver.reset()
    with client_for("first") as client:
        client.get_access_token()
        client.force_refresh()
    requests = devserver.requests()
    assert requests[0]["headers"]["x-tenant"] == "first"
    assert requests[0]["form"]["refresh_token"] == initial
    assert requests[1]["form"]["refresh_token"] != initial

    # The initial token was rotated away.
    with client_for("second") as client:
        with pytest.raises(TokenRetrievalError) as raised:
            client.get_access_token()
    error = raised.value
    assert (error.status, error.oauth_code, error.retryable) == (Status.TOKEN_RETRIEVAL, "invalid_grant", False)
    assert "re-authentication" in str(error)
    assert initial not in str(error)


def test_token_exchange_reads_its_file_at_every_fetch(devserver, tmp_path):
    subject = tmp_path / "subject-token"
    subject.write_text("eyJ.first.sig\n")
    devserver.reset()
    with flow_client(
        devserver, "token_exchange", client_id="dev-client", client_secret="dev-secret", subject_token_file=subject
    ) as client:
        client.get_access_token()
        subject.write_text("eyJ.second.sig")
        client.force_refresh()
        subject.write_text("")
        with pytest.raises(TokenExchangeError) as raised:
            client.force_refresh()
    assert str(subject) in str(raised.value) and "empty" in str(raised.value)
    assert (raised.value.http_status, raised.value.retryable) == (None, False)
    requests = devserver.requests()
    assert [r["form"]["subject_token"] for r in requests] == ["eyJ.first.sig", "eyJ.second.sig"]
    assert requests[0]["form"]["subject_token_type"] == JWT_TOKEN_TYPE


def test_flow_none_needs_nothing_and_has_no_token():
    with Client(flow="none") as client:
        assert client.peek_access_token() is None
        with pytest.raises(ConfigurationError):
            client.get_access_token()
        with pytest.raises(ConfigurationError):
            client.get_access_token_with_expiry()


def test_get_access_token_with_expiry(devserver):
    devserver.configure(clients=[["py-expiry", "expiry-secret"]], ttl=900)
    try:
        with flow_client(devserver, "client_credentials", client_id="py-expiry", client_secret="expiry-secret") as c:
            before = time.time()
            got = c.get_access_token_with_expiry()
            after = time.time()
            assert isinstance(got, AccessToken)
            assert_access_token(got.token)
            assert got.expires_at.tzinfo is timezone.utc
            assert before + 899 <= got.expires_at.timestamp() <= after + 901
            assert got.expires_at > datetime.now(timezone.utc)
            assert got.token not in repr(got)
            assert c.get_access_token_with_expiry() == got  # the cached token, the same expiry
            assert c.get_access_token() == got.token
            assert c.stats()["server_requests"] == 1
    finally:
        devserver.reset()  # the start-up TTL again


def test_peek_access_token(devserver):
    devserver.configure(clients=[["py-peek", "peek-secret"]])
    settings = {"client_id": "py-peek", "client_secret": "peek-secret"}
    client = flow_client(devserver, "client_credentials", **settings)
    assert client.peek_access_token() is None
    assert client.stats()["server_requests"] == 0
    token = client.get_access_token()
    assert client.peek_access_token() == token
    # Another client of the identity has no lease of its own: the library answers.
    with flow_client(devserver, "client_credentials", **settings) as other:
        assert other.peek_access_token() == token
    client.invalidate_token(token)
    assert client.peek_access_token() is None
    assert client.stats()["server_requests"] == 1
    client.close()
    with pytest.raises(Exception, match="closed"):
        client.peek_access_token()


@pytest.mark.parametrize(
    "options, names",
    [
        ({"flow": "client_credentials"}, ["client_id", "token_endpoint", "issuer"]),
        ({"flow": "password"}, ["username", "password", "token_endpoint"]),
        ({"flow": "refresh_token"}, ["refresh_token", "token_endpoint"]),
        ({"flow": "token_exchange"}, ["subject_token_file", "token_endpoint"]),
        ({"flow": "client_credentials", "client_auth": "private_key_jwt"}, ["client_id", "private_key_path"]),
    ],
)
def test_a_flow_missing_its_settings_names_each(options, names):
    with pytest.raises(ConfigurationError) as raised:
        Client(**options)
    for name in names:
        assert name in str(raised.value)


def test_unusable_private_keys_name_the_path_never_the_key(devserver, tmp_path):
    malformed = tmp_path / "malformed.pem"
    malformed.write_text("KEY-MATERIAL-SECRET, not PEM\n")
    encrypted = tmp_path / "encrypted.pem"
    encrypted.write_text(
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nS0VZLU1BVEVSSUFM\n-----END ENCRYPTED PRIVATE KEY-----\n"
    )
    cases = [(tmp_path / "missing.pem", "cannot be read"), (malformed, "not PEM"), (encrypted, "encrypted")]
    for path, reason in cases:
        with pytest.raises(ConfigurationError) as raised:
            flow_client(
                devserver, "client_credentials", client_id="py-jwt", client_auth="private_key_jwt",
                private_key_path=path,
            )  # fmt: skip
        message = str(raised.value)
        assert str(path) in message and reason in message
        assert "KEY-MATERIAL" not in message and "S0VZ" not in message


def test_token_store(devserver, tmp_path):
    store = tmp_path / "store"
    credentials = {"client_id": "dev-client", "client_secret": "dev-secret"}
    with flow_client(devserver, "client_credentials", token_store=f"file:{store}", **credentials) as client:
        assert_access_token(client.get_access_token())
    assert stat.S_IMODE(store.stat().st_mode) == 0o700

    group_writable = tmp_path / "open"
    group_writable.mkdir()
    group_writable.chmod(0o770)
    with pytest.raises(StoreError) as raised:
        flow_client(devserver, "client_credentials", token_store=f"file:{group_writable}", **credentials)
    assert raised.value.status == Status.STORE == 7
    assert str(group_writable) in str(raised.value)
    assert "dev-secret" not in str(raised.value)
    assert Status.OAUTH_OPERATION == 6


def readme_option_keys():
    """The option keys of the README's configuration table (generated from the library's option table)."""
    readme = (REPO / "README.md").read_text()
    table = readme[readme.index("<!-- options:begin -->") : readme.index("<!-- options:end -->")]
    return re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE)


def test_every_option_key_of_the_table_is_a_keyword_argument(devserver, tmp_path):
    ca_bundle = tmp_path / "ca.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-subj", "/CN=wi-test", "-days", "1", "-keyout", str(tmp_path / "ca-key.pem"), "-out", str(ca_bundle)],
        check=True, capture_output=True,
    )  # fmt: skip
    url = f"{devserver.base_url}/oauth2/token"
    # One valid value per key, of the Python type a caller would use (a new
    # row of the table fails here until it has one).
    samples = {
        "flow": "none", "client_id": "py-options", "client_secret": "options-secret", "token_endpoint": url,
        "access_token_endpoint": url, "outbound_auth_endpoint": url, "server_env": "NONE", "scope": "read write",
        "audience": "api://py", "resource": "https://api.example/", "refresh_token": "rt_options",
        "username": "user", "password": "pass", "subject_token_file": tmp_path / "subject-token",
        "subject_token_type": JWT_TOKEN_TYPE, "client_auth": "client_id", "private_key_path": KEYS / "ec.pem",
        "private_key_id": "kid-1", "issuer": devserver.base_url, "introspection_endpoint": url,
        "revocation_endpoint": url, "registration_endpoint": url, "registration_token": "registration-token",
        "token_store": "memory", "exchange_cache_size": 16, "introspection_cache_s": 30, "timeout_ms": 5000, "connect_timeout_ms": 1000,
        "deadline_ms": 10000, "expiry_buffer_s": 30, "max_retries": 1, "proxy": "http://127.0.0.1:9",
        "ca_bundle_path": ca_bundle, "user_agent": "wi-py-tests/1", "allow_insecure_http": True,
    }  # fmt: skip
    keys = readme_option_keys()
    assert len(keys) >= 30, f"only {len(keys)} keys found in README.md"
    assert sorted(keys) == sorted(samples)
    for key in keys:
        Client(**{"flow": "none", key: samples[key]}).close()
    Client(**samples).close()
