"""The authorization server's other endpoints against the dev server:
discovery, introspection, `is_active` (raises on every failure) and the
fail-safe `check_permission` (False on every failure), revocation and
registration, in `Client` and `AsyncClient`."""

import asyncio
import logging

import pytest

from workload_identity import (
    AsyncClient,
    Client,
    ClientRegistration,
    ConfigurationError,
    InvalidArgumentError,
    OAuthOperationError,
    ServerMetadata,
    Status,
    StoreError,
    TokenIntrospection,
    WorkloadIdentityError,
)

INTROSPECT = "/oauth2/introspect"


def oauth_client(devserver, identity, **extra):
    """A client_credentials client whose endpoints come from discovery
    (token_endpoint set empty, so that COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT is not used)."""
    options = dict(
        flow="client_credentials",
        client_id=identity.client_id,
        client_secret=identity.client_secret,
        issuer=devserver.issuer,
        token_endpoint="",
    )
    options.update(extra)
    return Client(**options)


def test_statuses_and_classes():
    assert Status.OAUTH_OPERATION == 6 and Status.STORE == 7
    assert issubclass(OAuthOperationError, WorkloadIdentityError)
    assert StoreError("x").status == Status.STORE


def test_metadata_is_discovered_once_at_first_need(devserver, identity):
    with oauth_client(devserver, identity) as client:
        assert devserver.count("/.well-known/oauth-authorization-server") == 0
        metadata = client.get_server_metadata()
        assert isinstance(metadata, ServerMetadata)
        assert metadata.issuer == devserver.issuer
        assert metadata.introspection_endpoint == f"{devserver.base_url}/oauth2/introspect"
        assert "client_credentials" in metadata.grant_types_supported
        assert metadata.raw["registration_endpoint"] == metadata.registration_endpoint
        client.get_access_token()
        assert devserver.count("/.well-known/oauth-authorization-server") == 1
        assert devserver.count("/oauth2/token") == 1
    with Client() as plain, pytest.raises(ConfigurationError):
        plain.get_server_metadata()


def test_introspection_and_is_active(devserver, identity):
    token = devserver.issue_access_token(identity.client_id, "read write")
    with oauth_client(devserver, identity) as client:
        answer = client.introspect_token(token, "access_token")
        assert isinstance(answer, TokenIntrospection)
        assert answer.active and answer.client_id == identity.client_id
        assert answer.scopes == ["read", "write"] and answer.has_scope("write")
        assert answer.exp is not None and answer.exp.tzinfo is not None
        assert answer.raw["active"] is True
        assert client.introspect_token("unknown-token").raw == {"active": False}
        assert client.is_active(token)
        assert client.is_active(token, "write read")
        assert not client.is_active(token, "admin")
        assert not client.is_active("unknown-token")
        assert client.check_permission(token, "read")
        assert not client.check_permission(token, "admin")


@pytest.mark.parametrize(
    "fault",
    [
        {"path": INTROSPECT, "status": 500},
        {"path": INTROSPECT, "delay_ms": 1000},
        {"path": INTROSPECT, "kind": "malformed_json"},
        {"path": INTROSPECT, "set": {"active": "true"}},
        {"path": INTROSPECT, "remove": ["active"]},
        {"path": INTROSPECT, "kind": "huge_body"},
    ],
    ids=["500", "timeout", "not-json", "active-string", "active-missing", "huge"],
)
def test_every_server_failure_denies(devserver, identity, fault, caplog):
    token = devserver.issue_access_token(identity.client_id, "read")
    with oauth_client(devserver, identity, max_retries=0, timeout_ms=300) as client:
        devserver.fault(**fault)
        with pytest.raises(OAuthOperationError) as raised:
            client.is_active(token, "read")
        assert token not in str(raised.value)
        devserver.fault(**fault)
        with caplog.at_level(logging.WARNING, logger="workload_identity"):
            assert client.check_permission(token, "read") is False
        assert "check_permission denied" in caplog.text and token not in caplog.text
        devserver.fault(**fault)
        with pytest.raises(OAuthOperationError):
            client.introspect_token(token)


def test_server_down_bad_arguments_and_closed_client_deny(devserver, identity, closed_port):
    token = devserver.issue_access_token(identity.client_id, "read")
    with Client(flow="none", introspection_endpoint=f"http://127.0.0.1:{closed_port}/i", max_retries=0) as down:
        with pytest.raises(OAuthOperationError) as raised:
            down.is_active(token)
        assert raised.value.retryable
        assert down.check_permission(token) is False
    client = oauth_client(devserver, identity)
    for bad_token, bad_scope in [("", None), (None, None), ("a\0b", None), (42, None), (token, ""), (token, 7)]:
        with pytest.raises(InvalidArgumentError):
            client.is_active(bad_token, bad_scope)
        assert client.check_permission(bad_token, bad_scope) is False
    client.close()
    assert client.check_permission(token) is False
    with pytest.raises(WorkloadIdentityError):
        client.is_active(token)


def test_revocation(devserver, identity):
    with oauth_client(devserver, identity) as client:
        token = client.get_access_token()
        client.revoke_token(token, "access_token")
        assert not client.is_active(token)
        assert client.get_access_token() != token, "the revoked token was served from the cache"
        devserver.fault(path="/oauth2/revoke", status=503, count=3)
        with pytest.raises(OAuthOperationError) as raised:
            client.revoke_token("whatever")
        assert raised.value.http_status == 503 and raised.value.retryable
        with pytest.raises(InvalidArgumentError):
            client.revoke_token("")


def test_registration(devserver, identity):
    devserver.configure(registration_token="py-initial")
    try:
        with Client(flow="none", issuer=devserver.issuer, registration_token="py-initial") as registrar:
            for bad in ["[]", '"x"', "{", 42, ["a"]]:
                with pytest.raises(InvalidArgumentError):
                    registrar.register_client(bad)
            assert devserver.count("/oauth2/register") == 0
            registration = registrar.register_client({"client_name": "py"}, grant_types=["client_credentials"])
            assert isinstance(registration, ClientRegistration)
            assert registration.client_id.startswith("reg_") and registration.client_secret
            assert registration.raw["client_name"] == "py"
            assert registration.client_secret not in repr(registration)
            registered = oauth_client(
                devserver,
                identity,
                client_id=registration.client_id,
                client_secret=registration.client_secret,
                client_auth="client_secret_basic",
            )
            with registered:
                assert registered.is_active(registered.get_access_token())
        with Client(flow="none", issuer=devserver.issuer) as refused:
            with pytest.raises(OAuthOperationError) as raised:
                refused.register_client(client_name="x")
            assert raised.value.oauth_code == "invalid_token"
    finally:
        devserver.configure(registration_token=None)


def test_async_client(devserver, identity):
    token = devserver.issue_access_token(identity.client_id, "read")

    async def main():
        async with AsyncClient(
            flow="client_credentials",
            client_id=identity.client_id,
            client_secret=identity.client_secret,
            issuer=devserver.issuer,
            token_endpoint="",
            max_retries=0,
        ) as client:
            assert (await client.get_server_metadata()).issuer == devserver.issuer
            assert (await client.introspect_token(token)).active
            assert await client.is_active(token, "read")
            assert await client.check_permission(token, "read")
            devserver.fault(path=INTROSPECT, status=500)
            assert await client.check_permission(token, "read") is False
            devserver.fault(path=INTROSPECT, status=500)
            with pytest.raises(OAuthOperationError):
                await client.is_active(token)
            await client.revoke_token(token)
            assert not await client.is_active(token)
            registration = await client.register_client(client_name="async")
            assert registration.client_id

    asyncio.run(main())
