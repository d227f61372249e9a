"""The client's methods beyond the README: lifecycle, env vars, RFC 8693
exchange, invalidation, forced refresh, statistics, version."""

import gc

import pytest

import workload_identity
from workload_identity import (
    Client,
    ClientClosedError,
    InvalidArgumentError,
    ProjectEnvVar,
    ProjectEnvVars,
    Status,
    WorkloadIdentityError,
    _native,
)

ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"


def test_use_after_close_is_a_clear_error():
    client = Client()
    client.get_access_token()
    client.close()
    client.close()  # idempotent
    assert client.closed
    assert repr(client) == "<workload_identity.Client closed>"
    calls = [
        client.get_access_token,
        client.force_refresh,
        client.get_project_env_vars,
        client.stats,
        lambda: client.get_integration_credential("github"),
        lambda: client.invalidate_token("at_x"),
        lambda: client.exchange_token("at_x"),
    ]
    for call in calls:
        with pytest.raises(ClientClosedError, match="closed") as raised:
            call()
        # One name and meaning in every binding: an invalid argument (the client).
        assert isinstance(raised.value, InvalidArgumentError)
        assert isinstance(raised.value, ValueError)
        assert isinstance(raised.value, WorkloadIdentityError)
        assert raised.value.status == Status.INVALID_ARGUMENT


def test_the_context_manager_closes_the_client():
    with Client() as client:
        assert not client.closed
        assert repr(client) == "<workload_identity.Client open>"
    assert client.closed


def test_an_unclosed_client_is_freed_when_collected(identity):
    client = Client()
    handle = client._handle
    del client
    gc.collect()
    assert handle.closed


def test_project_env_vars_keep_server_order_and_the_coze_sdk_surface():
    with Client() as client:
        env = client.get_project_env_vars()
    assert isinstance(env, ProjectEnvVars)
    assert env.vars == [
        {"key": "DATABASE_URL", "value": "postgres://dev:dev@127.0.0.1/dev"},
        {"key": "FEATURE_FLAG", "value": "on"},
        {"key": "GREETING", "value": "héllo wörld"},
    ]
    assert len(env) == 3
    assert [var.key for var in env] == ["DATABASE_URL", "FEATURE_FLAG", "GREETING"]
    assert all(isinstance(var, ProjectEnvVar) for var in env)
    assert env.vars[2].value == env.vars[2]["value"] == "héllo wörld"
    assert env.get("FEATURE_FLAG") == "on"
    assert env.get("MISSING") is None
    assert env.get("MISSING", "fallback") == "fallback"
    assert env["GREETING"] == "héllo wörld"
    with pytest.raises(KeyError, match="MISSING"):
        env["MISSING"]
    assert "DATABASE_URL" in env and "MISSING" not in env
    assert env.to_dict() == {"vars": env.vars}
    assert ProjectEnvVars.from_dict(env.to_dict()) == env
    assert "postgres" not in repr(env) and "postgres" not in repr(env.vars)


def test_project_env_vars_follow_the_server(devserver):
    devserver.configure(env=[["Z_LAST", "1"], ["A_FIRST", ""], ["Z_LAST", "duplicate"]])
    with Client() as client:
        env = client.get_project_env_vars()
    assert [var.key for var in env] == ["Z_LAST", "A_FIRST", "Z_LAST"]
    assert env["Z_LAST"] == "1"
    assert env.get("A_FIRST", "default") == ""
    assert "A_FIRST" in env


def test_exchange_token_sends_the_rfc_8693_parameters(devserver):
    with Client() as client:
        subject = client.get_access_token()
        issued = client.exchange_token(
            subject,
            audience="https://api.example.com",
            scope="read write",
            requested_token_type=ACCESS_TOKEN_TYPE,
        )
    assert issued.startswith("at_") and issued != subject
    form = devserver.requests("/oauth/exchange")[-1]["form"]
    assert form["subject_token_type"] == ACCESS_TOKEN_TYPE
    assert form["audience"] == "https://api.example.com"
    assert form["scope"] == "read write"
    assert "resource" not in form and "actor_token" not in form


def test_invalidate_token_drops_only_the_rejected_token(devserver):
    with Client() as client:
        first = client.get_access_token()
        client.invalidate_token("at_some_other_token")
        assert client.get_access_token() == first
        client.invalidate_token(first)
        second = client.get_access_token()
    assert second != first
    assert devserver.count("/oauth/token") == 2


def test_force_refresh_fetches_a_new_token():
    with Client() as client:
        first = client.get_access_token()
        refreshed = client.force_refresh()
        assert refreshed != first
        assert client.get_access_token() == refreshed
        stats = client.stats()
    assert stats["refreshes_succeeded"] == 2
    assert stats["server_requests"] == 4


def test_stats_count_hits_misses_and_requests():
    with Client() as client:
        assert client.stats() == dict.fromkeys(_native.STATS_COUNTERS, 0)
        client.get_access_token()
        client.get_access_token()
        stats = client.stats()
    assert stats["cache_misses"] == 1
    assert stats["cache_hits"] == 1
    assert stats["refreshes_started"] == stats["refreshes_succeeded"] == 1
    assert stats["server_requests"] == 2


def test_the_package_version_is_the_library_version():
    assert workload_identity.__version__ == _native.library().wi_version().decode()


def test_an_invalidation_ends_the_leases_of_every_client_of_the_identity():
    with Client() as a, Client() as b:
        # The second call is answered from the cache: it comes with a lease.
        a.get_access_token()
        first = a.get_access_token()
        assert b.get_access_token() == first
        b.invalidate_token(first)
        second = a.get_access_token()
        assert second != first, "a client handed out a token another client dropped"
        assert a.get_access_token() == second  # leased again
        b.force_refresh()
        assert a.get_access_token() != second
