"""Identities: configuration from options or the environment, and tokens
never shared between clients whose identity differs (the Coze SDK hands its
one cached token to every client)."""

import pytest

from workload_identity import Client, TokenRetrievalError


def test_clients_with_different_credentials_never_share_a_token(devserver, identity):
    other = devserver.add_identity()
    with Client() as first, Client(client_id=other.client_id, client_secret=other.client_secret) as second:
        first_token = first.get_access_token()
        second_token = second.get_access_token()
        assert first_token != second_token
        assert first.get_access_token() == first_token
        assert second.get_access_token() == second_token
    sent_ids = [request["form"]["client_id"] for request in devserver.requests("/oauth/token")]
    assert sent_ids == [identity.client_id, other.client_id]


def test_a_wrong_secret_never_receives_the_cached_token_of_the_right_one(identity):
    with Client() as right:
        right.get_access_token()
    with Client(client_secret="not-" + identity.client_secret) as wrong, pytest.raises(TokenRetrievalError):
        wrong.get_access_token()


def test_clients_of_the_same_identity_share_one_token(devserver):
    with Client() as first, Client() as second:
        assert first.get_access_token() == second.get_access_token()
        assert first.stats() == second.stats()
    assert devserver.count("/oauth/token") == 1


def test_options_override_their_environment_variables(devserver, monkeypatch):
    other = devserver.add_identity()
    monkeypatch.setenv("COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT", "http://127.0.0.1:1/unused")
    with Client(
        client_id=other.client_id,
        client_secret=other.client_secret,
        token_endpoint=devserver.token_endpoint,
        user_agent="python-binding-test/1",
        server_env=None,  # None falls back to the (unset) variable
    ) as client:
        client.get_access_token()
    (request,) = devserver.requests("/oauth/token")
    assert request["form"]["client_id"] == other.client_id
    assert request["headers"]["user-agent"] == "python-binding-test/1"


def test_options_alone_configure_a_client(devserver, monkeypatch):
    other = devserver.add_identity()
    for name in ("CLIENT_ID", "CLIENT_SECRET", "TOKEN_ENDPOINT"):
        monkeypatch.delenv(f"COZE_WORKLOAD_IDENTITY_{name}")
    monkeypatch.delenv("COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT")
    with Client(
        client_id=other.client_id,
        client_secret=other.client_secret,
        token_endpoint=devserver.token_endpoint,
        access_token_endpoint=devserver.access_token_endpoint,
        timeout=(2, 10),
        max_retries=1,
        expiry_buffer_s=30,
    ) as client:
        assert client.get_access_token().startswith("at_")


def test_the_coze_timeout_argument_bounds_a_slow_server(devserver):
    devserver.fault(path="/oauth/token", kind="delay", delay_ms=3000)
    with Client(timeout=0.2, max_retries=0) as client, pytest.raises(TokenRetrievalError) as raised:
        client.get_access_token()
    assert raised.value.retryable is True
