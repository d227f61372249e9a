"""Authenticated egress: `HttpsProxy`, `CaBundlePath` and the `requests`
module through the dev server's authenticating proxy to its HTTPS target,
whose certificate chains to a test CA made by the dev server."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests as real_requests

import workload_identity
from workload_identity import CaBundlePath, ConfigurationError, HttpsProxy
from workload_identity import requests as wi_requests

TICKET = "tk+egress/ticket=1"
PROXY_VARIABLES = (
    "COZE_SKILL_PROXY_DOMAIN",
    "COZE_OUTBOUND_AUTH_PROXY",
    "COZE_OUTBOUND_AUTH_PROXY_CA",
    "COZE_OUTBOUND_AUTH_PROXY_CA_PATH",
    "identity_ticket",
    "IDENTITY_TICKET",
)


@pytest.fixture
def rig(devserver, monkeypatch):
    """The egress rig accepting TICKET, set in the environment with the CA as content."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    info = devserver.control("egress", {"ticket": TICKET})
    monkeypatch.setenv("COZE_OUTBOUND_AUTH_PROXY", info["proxy_url"])
    monkeypatch.setenv("identity_ticket", TICKET)
    monkeypatch.setenv("COZE_OUTBOUND_AUTH_PROXY_CA", info["ca_pem"])
    wi_requests._default_session = None
    yield info
    wi_requests._default_session = None


def counters(devserver):
    seen = devserver.control("egress")
    return seen["connects_allowed"], seen["connects_refused"]


def test_the_sdk_names_import():
    for name in ("requests", "HttpsProxy", "CaBundlePath", "load_skill_env", "ensure_skill_env_loaded",
                 "SkillEnvAPIError", "env_keys", "Client"):
        assert hasattr(workload_identity, name), name
    for name in ("get", "post", "put", "delete", "head", "options", "patch", "request", "session",
                 "ConfiguredSession", "RequestException", "Timeout", "codes", "exceptions"):
        assert hasattr(wi_requests, name), name
    assert workload_identity.env_keys.DEFAULT_COZE_SKILL_ENV_ENDPOINT.startswith("https://")


def test_https_proxy_precedence_and_credentials(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COZE_OUTBOUND_AUTH_PROXY", "http://fallback:3128")
    monkeypatch.setenv("COZE_SKILL_PROXY_DOMAIN", "http://old:creds@proxy.internal:8080")
    monkeypatch.setenv("identity_ticket", "tk+a/b=c d")
    assert HttpsProxy() == "http://space:tk%2Ba%2Fb%3Dc+d@proxy.internal:8080"
    monkeypatch.setenv("COZE_SKILL_PROXY_DOMAIN", "")
    assert HttpsProxy() == "http://space:tk%2Ba%2Fb%3Dc+d@fallback:3128"


def test_https_proxy_errors(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError, match="Neither COZE_SKILL_PROXY_DOMAIN nor COZE_OUTBOUND_AUTH_PROXY"):
        HttpsProxy()
    monkeypatch.setenv("COZE_OUTBOUND_AUTH_PROXY", "ftp://user:hunter2@proxy:21")
    with pytest.raises(ConfigurationError, match="identity_ticket environment variable is not configured"):
        HttpsProxy()
    monkeypatch.setenv("identity_ticket", "secret-ticket")
    with pytest.raises(ConfigurationError) as raised:
        HttpsProxy()
    message = str(raised.value)
    assert "ftp://user:***@proxy:21" in message
    assert "hunter2" not in message and "secret-ticket" not in message


def test_ca_bundle_path(monkeypatch, tmp_path):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert CaBundlePath() is None
    missing = tmp_path / "missing.pem"
    monkeypatch.setenv("COZE_OUTBOUND_AUTH_PROXY_CA_PATH", str(missing))
    with pytest.raises(ValueError) as raised:
        CaBundlePath()
    assert (
        f"COZE_OUTBOUND_AUTH_PROXY_CA_PATH environment variable is set to '{missing}' but the file does "
        "not exist. Please check the path."
    ) in str(raised.value)
    missing.write_text("pem")
    assert CaBundlePath() == str(missing)
    monkeypatch.setenv("COZE_OUTBOUND_AUTH_PROXY_CA", "-----BEGIN CERTIFICATE-----\npython\n")
    written = CaBundlePath()
    assert written != str(missing) and CaBundlePath() == written
    assert Path(written).read_text() == "-----BEGIN CERTIFICATE-----\npython\n"
    assert stat.S_IMODE(os.stat(written).st_mode) == 0o600


def test_every_method_reaches_the_target_through_the_proxy(rig, devserver):
    allowed, refused = counters(devserver)
    url = rig["target_url"]
    response = wi_requests.get(url + "hello", verify=False)  # the caller's verify is ignored
    assert response.status_code == 200
    assert response.json()["path"] == "/hello"
    assert wi_requests.post(url, json={"a": 1}).json()["method"] == "POST"
    for method in ("put", "delete", "options", "patch"):
        assert getattr(wi_requests, method)(url).json()["method"] == method.upper()
    assert wi_requests.head(url).status_code == 200
    assert wi_requests.request("GET", url).ok
    with wi_requests.session() as session:
        assert session.get(url).json()["ok"] is True
        assert session.trust_env is False
    now_allowed, now_refused = counters(devserver)
    assert now_allowed - allowed >= 2 and now_refused == refused


def test_a_wrong_ticket_is_refused(rig, devserver, monkeypatch):
    monkeypatch.setenv("identity_ticket", "not-the-ticket")
    _, refused = counters(devserver)
    with pytest.raises(real_requests.exceptions.ProxyError) as raised:
        wi_requests.session().get(rig["target_url"])
    assert "not-the-ticket" not in str(raised.value)
    assert counters(devserver)[1] == refused + 1


def test_the_proxy_ca_is_required(rig, monkeypatch):
    monkeypatch.delenv("COZE_OUTBOUND_AUTH_PROXY_CA")
    with pytest.raises(ValueError, match="COZE_OUTBOUND_AUTH_PROXY_CA_PATH environment variable is not configured"):
        wi_requests.session()


def test_coze_debug_prints_nothing_secret(rig, tmp_path):
    script = tmp_path / "debug_probe.py"
    script.write_text(
        "import sys\n"
        "from workload_identity import requests\n"
        f"response = requests.get({rig['target_url']!r}, headers={{'Authorization': 'Bearer app-secret'}})\n"
        "print('status', response.status_code, 'argv', sys.argv[1:])\n"
    )
    environment = dict(os.environ, PYTHONPATH=str(Path(workload_identity.__file__).parents[1]))
    result = subprocess.run(
        [sys.executable, str(script), "--coze-debug", "keep"],
        env=environment, capture_output=True, text=True, timeout=60, check=True,
    )
    assert "status 200 argv ['keep']" in result.stdout
    assert "Configured proxy_url: http://space:***@127.0.0.1:" in result.stdout
    assert "Configured response: status=200" in result.stdout
    for secret in (TICKET, "tk%2Begress", "app-secret"):
        assert secret not in result.stdout + result.stderr
