"""The examples of the Coze Python SDK's README, unchanged but for the import
line (`coze_workload_identity` -> `workload_identity`), against the dev server.

Examples that print a token have their output captured and discarded at once,
so that no token reaches the test report.
"""

import logging

# Was: from coze_workload_identity import Client, ConfigurationError, TokenRetrievalError, TokenExchangeError
from workload_identity import Client, ConfigurationError, TokenExchangeError, TokenRetrievalError


def test_quick_start(capsys, devserver):
    # Create client
    client = Client()

    # Get access token
    token = client.get_access_token()
    print(f"Access token: {token}")

    # Use as context manager
    with Client() as client:
        token = client.get_access_token()
        # Use the token for API calls

    printed = capsys.readouterr().out
    assert printed == f"Access token: {token}\n"
    assert token.startswith("at_")
    assert devserver.count("/oauth/token") == 1, "the second client reuses the cached token"


def test_get_access_token_example(capsys):
    client = Client()
    try:
        token = client.get_access_token()
        # Use the token for API calls
    except ConfigurationError as e:
        print(f"Configuration error: {e}")
    except TokenRetrievalError as e:
        print(f"Token retrieval error: {e}")
    except TokenExchangeError as e:
        print(f"Token exchange error: {e}")

    assert token.startswith("at_")
    assert capsys.readouterr().out == ""


def test_close_example():
    client = Client()
    try:
        token = client.get_access_token()
    finally:
        client.close()

    assert token.startswith("at_")
    assert client.closed


def test_get_integration_credential_example(capsys):
    client = Client()
    try:
        credential = client.get_integration_credential("github")
        # Use the credential for integration API calls
    except ConfigurationError as e:
        print(f"Configuration error: {e}")
    except Exception as e:
        print(f"Integration error: {e}")

    assert credential == "ghp_dev_github_credential"
    assert capsys.readouterr().out == ""


def test_get_integration_credential_example_reports_an_unknown_integration(capsys):
    client = Client()
    try:
        credential = client.get_integration_credential("no_such_integration")
        # Use the credential for integration API calls
    except ConfigurationError as e:
        print(f"Configuration error: {e}")
    except Exception as e:
        print(f"Integration error: {e}")

    printed = capsys.readouterr().out
    assert printed.startswith("Integration error: ")
    assert "integration not found: no_such_integration" in printed


def test_error_handling_example(capsys, monkeypatch):
    monkeypatch.setenv("COZE_WORKLOAD_IDENTITY_CLIENT_SECRET", "not-the-secret")

    client = Client()
    try:
        token = client.get_access_token()
    except ConfigurationError as e:
        # Handle missing or invalid configuration
        print(f"Configuration error: {e}")
    except TokenRetrievalError as e:
        # Handle ID token retrieval failures
        print(f"Token retrieval error: {e}")
    except TokenExchangeError as e:
        # Handle token exchange failures
        print(f"Token exchange error: {e}")
    except Exception as e:
        # Handle other unexpected errors
        print(f"Unexpected error: {e}")
    finally:
        client.close()

    printed = capsys.readouterr().out
    assert printed.startswith("Token retrieval error: ")
    assert "invalid_client" in printed
    assert "not-the-secret" not in printed


def test_logging_example(caplog):
    logger = logging.getLogger("workload_identity")
    try:
        logging.basicConfig(level=logging.DEBUG)
        logger = logging.getLogger('workload_identity')
        logger.setLevel(logging.DEBUG)

        with Client() as client:
            token = client.get_access_token()
    finally:
        logger.setLevel(logging.NOTSET)

    lines = [record for record in caplog.records if record.name == "workload_identity"]
    assert any(record.levelno == logging.DEBUG and "request to" in record.getMessage() for record in lines)
    assert any(record.levelno == logging.INFO and "refreshed" in record.getMessage() for record in lines)
    assert all(token not in record.getMessage() for record in lines)
