"""Lane headers (COZE_SERVER_ENV) on every request the client sends."""

import pytest

from workload_identity import Client

PROTOCOL_PATHS = ("/oauth/token", "/oauth/exchange", "/outbound/integration", "/outbound/env")


def _lane_headers_by_path(devserver):
    """{path: (x-tt-env, x-use-ppe)} of the recorded requests; all must agree per path."""
    seen = {}
    for request in devserver.requests():
        headers = request["headers"]
        seen.setdefault(request["path"], set()).add((headers.get("x-tt-env"), headers.get("x-use-ppe")))
    return seen


def _call_every_endpoint(client):
    client.get_access_token()
    client.get_integration_credential("github")
    client.get_project_env_vars()


@pytest.mark.parametrize(
    "lane, expected",
    [
        ("ppe_feature_x", ("ppe_feature_x", "1")),
        ("boe_test_lane", ("boe_test_lane", None)),
        ("my_custom_lane", ("my_custom_lane", None)),
        ("NONE", (None, None)),
    ],
)
def test_the_lane_from_the_environment_goes_on_the_wire(devserver, monkeypatch, lane, expected):
    monkeypatch.setenv("COZE_SERVER_ENV", lane)
    with Client() as client:
        _call_every_endpoint(client)
    assert _lane_headers_by_path(devserver) == {path: {expected} for path in PROTOCOL_PATHS}


def test_no_lane_sends_no_lane_headers(devserver):
    with Client() as client:
        _call_every_endpoint(client)
    assert _lane_headers_by_path(devserver) == {path: {(None, None)} for path in PROTOCOL_PATHS}


def test_the_server_env_option_sets_the_lane_and_is_part_of_the_identity(devserver):
    with Client() as no_lane, Client(server_env="ppe_option_lane") as lane:
        assert no_lane.get_access_token() != lane.get_access_token()
    tokens = devserver.requests("/oauth/token")
    assert [request["headers"].get("x-tt-env") for request in tokens] == [None, "ppe_option_lane"]
    assert tokens[1]["headers"].get("x-use-ppe") == "1"
