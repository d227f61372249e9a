"""Every error class, with the detail the native error carries, and bad input
that must give a clear exception (never a crash)."""

import pickle

import pytest

from workload_identity import (
    Client,
    ConfigurationError,
    IntegrationError,
    InvalidArgumentError,
    Status,
    TokenExchangeError,
    TokenRetrievalError,
    WorkloadIdentityError,
)

REQUIRED_VARIABLES = (
    "COZE_WORKLOAD_IDENTITY_CLIENT_ID",
    "COZE_WORKLOAD_IDENTITY_CLIENT_SECRET",
    "COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT",
    "COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT",
)


def test_missing_configuration_names_every_missing_variable(monkeypatch):
    for name in REQUIRED_VARIABLES:
        monkeypatch.delenv(name)
    with pytest.raises(ConfigurationError) as raised:
        Client()
    for name in REQUIRED_VARIABLES:
        assert name in str(raised.value)
    assert raised.value.status == Status.CONFIGURATION
    assert raised.value.http_status is None


def test_an_empty_variable_counts_as_missing(monkeypatch):
    monkeypatch.setenv("COZE_WORKLOAD_IDENTITY_CLIENT_SECRET", "")
    monkeypatch.delenv("COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT")
    with pytest.raises(ConfigurationError) as raised:
        Client()
    message = str(raised.value)
    assert "COZE_WORKLOAD_IDENTITY_CLIENT_SECRET" in message
    assert "COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT" in message
    assert "COZE_WORKLOAD_IDENTITY_CLIENT_ID" not in message


def test_wrong_secret_is_a_token_retrieval_error_with_the_oauth_detail(monkeypatch):
    monkeypatch.setenv("COZE_WORKLOAD_IDENTITY_CLIENT_SECRET", "wrong-secret-value")
    with Client() as client, pytest.raises(TokenRetrievalError) as raised:
        client.get_access_token()
    error = raised.value
    assert isinstance(error, WorkloadIdentityError)
    assert error.status == Status.TOKEN_RETRIEVAL
    assert error.http_status == 401
    assert error.oauth_code == "invalid_client"
    assert error.retryable is False
    assert "wrong-secret-value" not in str(error)


def test_a_failed_exchange_is_a_token_exchange_error(devserver):
    devserver.fault(
        path="/oauth/exchange",
        status=400,
        body={"error": "invalid_grant", "error_description": "subject token rejected"},
    )
    with Client() as client, pytest.raises(TokenExchangeError) as raised:
        client.get_access_token()
    assert raised.value.status == Status.TOKEN_EXCHANGE
    assert raised.value.http_status == 400
    assert raised.value.oauth_code == "invalid_grant"


def test_a_refused_subject_token_is_a_token_exchange_error():
    with Client() as client, pytest.raises(TokenExchangeError) as raised:
        client.exchange_token("at_not_issued_here")
    assert raised.value.http_status == 400
    assert raised.value.oauth_code == "invalid_grant"


def test_a_server_error_is_retryable(devserver):
    devserver.fault(path="/oauth/token", status=503)
    with Client(max_retries=0) as client, pytest.raises(TokenRetrievalError) as raised:
        client.get_access_token()
    assert raised.value.http_status == 503
    assert raised.value.retryable is True


def test_an_integration_business_error_is_an_integration_error():
    with Client() as client, pytest.raises(IntegrationError) as raised:
        client.get_integration_credential("no_such_integration")
    assert raised.value.status == Status.INTEGRATION
    assert "1001" in str(raised.value)
    assert "integration not found: no_such_integration" in str(raised.value)


def test_an_env_vars_business_error_is_an_integration_error(devserver):
    devserver.fault(path="/outbound/env", status=200, body={"code": 5000, "msg": "busy"})
    with Client() as client, pytest.raises(IntegrationError) as raised:
        client.get_project_env_vars()
    assert "busy" in str(raised.value)


def test_outbound_calls_need_the_outbound_endpoint(monkeypatch):
    monkeypatch.delenv("COZE_OUTBOUND_AUTH_ENDPOINT")
    with Client() as client:
        with pytest.raises(ConfigurationError):
            client.get_integration_credential("github")
        with pytest.raises(ConfigurationError):
            client.get_project_env_vars()


def test_an_unknown_option_is_an_invalid_argument_naming_it():
    with pytest.raises(InvalidArgumentError) as raised:
        Client(client_idd="typo")
    assert "client_idd" in str(raised.value)
    assert raised.value.status == Status.INVALID_ARGUMENT
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize(
    "options",
    [
        {"timeout_ms": "soon"},
        {"max_retries": -1},
        {"token_endpoint": "ftp://127.0.0.1/token"},
        {"allow_insecure_http": "perhaps"},
    ],
)
def test_a_bad_option_value_is_an_invalid_argument_naming_the_key(options):
    (key,) = options
    with pytest.raises(InvalidArgumentError, match=key):
        Client(**options)


@pytest.mark.parametrize("timeout", [0, -1, "10", (1,), (1, 2, 3), (1, None), True])
def test_a_bad_timeout_is_an_invalid_argument(timeout):
    with pytest.raises(InvalidArgumentError, match="timeout"):
        Client(timeout=timeout)


def test_timeout_and_timeout_ms_together_are_refused():
    with pytest.raises(InvalidArgumentError, match="timeout_ms"):
        Client(timeout=5, timeout_ms=5000)


def test_an_unreachable_server_is_a_retryable_token_retrieval_error(monkeypatch, closed_port):
    monkeypatch.setenv("COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT", f"http://127.0.0.1:{closed_port}/oauth/token")
    with Client(max_retries=0) as client, pytest.raises(TokenRetrievalError) as raised:
        client.get_access_token()
    assert raised.value.http_status is None
    assert raised.value.retryable is True


@pytest.mark.parametrize(
    "name, reason",
    [
        (None, "NULL"),
        ("", "empty"),
        (b"\xff\xfe", "UTF-8"),
        ("\udcff", "Unicode"),
        ("git\0hub", "NUL"),
        (42, "str"),
    ],
)
def test_a_bad_integration_name_is_an_invalid_argument(name, reason, devserver):
    with Client() as client, pytest.raises(InvalidArgumentError, match=reason):
        client.get_integration_credential(name)
    assert devserver.count("/outbound/integration") == 0


def test_bad_exchange_parameters_are_invalid_arguments():
    with Client() as client:
        with pytest.raises(InvalidArgumentError, match="subject_token"):
            client.exchange_token(None)
        with pytest.raises(InvalidArgumentError, match="actor_token_type"):
            client.exchange_token("subject", actor_token="actor")
        with pytest.raises(InvalidArgumentError, match="audience"):
            client.exchange_token("subject", audience="a\0b")


def test_bad_option_strings_are_invalid_arguments():
    with pytest.raises(InvalidArgumentError, match="NUL"):
        Client(user_agent="agent\0")
    with pytest.raises(InvalidArgumentError, match="UTF-8"):
        Client(user_agent=b"\xc3\x28")
    with pytest.raises(InvalidArgumentError, match="unsupported"):
        Client(max_retries=[1])


def test_errors_pickle_with_their_detail(monkeypatch):
    monkeypatch.setenv("COZE_WORKLOAD_IDENTITY_CLIENT_SECRET", "wrong")
    with Client() as client, pytest.raises(TokenRetrievalError) as raised:
        client.get_access_token()
    copy = pickle.loads(pickle.dumps(raised.value))
    assert type(copy) is TokenRetrievalError
    assert (str(copy), copy.status, copy.http_status, copy.oauth_code, copy.retryable) == (
        str(raised.value),
        Status.TOKEN_RETRIEVAL,
        401,
        "invalid_client",
        False,
    )


def test_errors_can_be_raised_by_hand_as_in_the_coze_sdk():
    error = ConfigurationError("Missing required environment variables: X")
    assert str(error) == "Missing required environment variables: X"
    assert error.status == Status.CONFIGURATION
    assert error.http_status is None and error.oauth_code is None and error.retryable is False
