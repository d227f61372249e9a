"""Fixtures: the package from this source tree, one dev server per test run,
and a fresh identity (so a cold token cache) in the COZE_* variables per test.

The dev server is `$WI_DEVSERVER` (default `../../target/release/wi-devserver`
from this binding), started with `--port 0` and killed at the end of the run.
"""

import json
import os
import re
import socket
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

BINDING = Path(__file__).resolve().parents[1]
REPO = BINDING.parents[1]
sys.path.insert(0, str(BINDING))

COZE_VARIABLES = (
    "COZE_WORKLOAD_IDENTITY_CLIENT_ID",
    "COZE_WORKLOAD_IDENTITY_CLIENT_SECRET",
    "COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT",
    "COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT",
    "COZE_OUTBOUND_AUTH_ENDPOINT",
    "COZE_SERVER_ENV",
)


class DevServer:
    """A running wi-devserver and its `/_dev/` control API."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.token_endpoint = f"{base_url}/oauth/token"
        self.access_token_endpoint = f"{base_url}/oauth/exchange"
        self.outbound_auth_endpoint = f"{base_url}/outbound"

    def control(self, path, body=None):
        """GET (no body) or POST (JSON body) `/_dev/<path>`; the decoded answer."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base_url}/_dev/{path}", data=data, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def requests(self, path=None):
        """Recorded protocol requests, in arrival order (only `path`'s if given)."""
        recorded = self.control("requests")["requests"]
        return [request for request in recorded if path is None or request["path"] == path]

    def count(self, path):
        """How many protocol requests went to `path` since the last reset."""
        return self.control("stats")["by_path"].get(path, 0)

    def reset(self):
        self.control("reset", {})

    def configure(self, **settings):
        self.control("config", settings)

    def fault(self, **fault):
        self.control("faults", fault)

    def user_token(self, subject, client_id="dev-client"):
        """An access token of user `subject`, issued without a protocol request."""
        body = {"kind": "access", "client_id": client_id, "subject": subject}
        return self.control("tokens", body)["token"]

    def subject_of(self, token):
        """The `sub` of a live token (a delegated token's user), from introspection."""
        form = urllib.parse.urlencode({"token": token, "client_id": "dev-client"}).encode()
        request = urllib.request.Request(
            f"{self.base_url}/oauth2/introspect",
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response).get("sub")

    def add_identity(self):
        """Registers a new client with a random id and secret."""
        identity = Identity(f"py-{uuid.uuid4().hex[:12]}", f"secret-{uuid.uuid4().hex}")
        self.configure(clients=[[identity.client_id, identity.client_secret]])
        return identity


@dataclass(frozen=True)
class Identity:
    client_id: str
    client_secret: str


@pytest.fixture(scope="session")
def devserver():
    binary = os.environ.get("WI_DEVSERVER") or str(REPO / "target" / "release" / "wi-devserver")
    process = subprocess.Popen([binary, "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        first_line = process.stdout.readline()
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)\n", first_line)
        if not match:
            raise RuntimeError(f"{binary} did not start: {first_line!r}")
        # The server logs one line per request: keep reading so the pipe never fills.
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield DevServer(match.group(1))
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(autouse=True)
def identity(devserver, monkeypatch):
    """A fresh client on the dev server, set in the COZE_* variables (no lane)."""
    devserver.reset()
    fresh = devserver.add_identity()
    for name in COZE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COZE_WORKLOAD_IDENTITY_CLIENT_ID", fresh.client_id)
    monkeypatch.setenv("COZE_WORKLOAD_IDENTITY_CLIENT_SECRET", fresh.client_secret)
    monkeypatch.setenv("COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT", devserver.token_endpoint)
    monkeypatch.setenv("COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT", devserver.access_token_endpoint)
    monkeypatch.setenv("COZE_OUTBOUND_AUTH_ENDPOINT", devserver.outbound_auth_endpoint)
    return fresh


@pytest.fixture
def closed_port():
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
