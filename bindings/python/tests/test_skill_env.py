"""Skill environment loading through the Python names of the Coze SDK, against
the dev server's skill environment endpoint: in-process with a source path,
and as real programs in an agent directory (caller-frame discovery by
`Client()` and by importing the `requests` module)."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

import workload_identity
from workload_identity import SkillEnvAPIError, ensure_skill_env_loaded, load_skill_env

PAT = "dev-pat-token"
LOADED_NAMES = ("agent_id", "pat_token", "skill_id", "identity_ticket", "IDENTITY_TICKET", "SKILL_API_KEY",
                "SKILL_REGION", "COZE_OUTBOUND_AUTH_PROXY", "COZE_OUTBOUND_AUTH_PROXY_CA",
                "COZE_OUTBOUND_AUTH_PROXY_CA_PATH")
SKILL_PATH = "/skill/get_skill_envs"


@pytest.fixture
def workspace(tmp_path, devserver, monkeypatch):
    """An agent directory 7001 with skill `skills/weather` (id 42); the
    endpoint is the dev server's; every variable loading sets is restored."""
    for name in LOADED_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COZE_SKILL_ENV_ENDPOINT", devserver.base_url + SKILL_PATH)
    agent = tmp_path / ".coze" / "agents" / "7001"
    skill = agent / "skills" / "weather"
    skill.mkdir(parents=True)
    (agent / "config.json").write_text(json.dumps(
        {"patToken": PAT, "skills": [{"relPath": "skills/weather", "skillId": "42"}]}
    ))
    before = dict(os.environ)
    yield skill
    for name in set(os.environ) - set(before):
        del os.environ[name]
    os.environ.update(before)


def test_a_matching_skill_loads_into_os_environ(workspace, devserver, monkeypatch):
    ticket_file = workspace / "ticket.json"
    ticket_file.write_text('{"IDENTITY_TICKET": "tk-from-file"}')
    monkeypatch.setattr(workload_identity.skill_env, "TICKET_FILE_PATH", ticket_file)
    workload_identity.skill_env._reset_skill_env_for_tests()
    assert load_skill_env(source_path=str(workspace / "main.py")) is True
    assert os.environ["identity_ticket"] == os.environ["IDENTITY_TICKET"] == "tk-from-file"
    assert os.environ["SKILL_API_KEY"] == "sk-dev-skill-key"
    assert os.environ["agent_id"] == "7001" and os.environ["skill_id"] == "42"
    assert os.environ["pat_token"] == PAT
    request = devserver.requests(SKILL_PATH)[-1]
    assert request["body"] == '{"agent_id": 7001, "skill_id": 42, "identity_ticket": "tk-from-file"}'
    assert request["headers"]["authorization"] == f"Bearer {PAT}"
    # Once per process: later calls do nothing and answer the same.
    count = devserver.count(SKILL_PATH)
    assert ensure_skill_env_loaded() is True
    assert load_skill_env() is True
    assert devserver.count(SKILL_PATH) == count


def test_without_a_skill_the_agent_is_loaded_and_skill_id_removed(workspace, devserver):
    os.environ["skill_id"] = "stale"
    assert load_skill_env(source_path=str(workspace.parent.parent), force=True) is True
    assert "skill_id" not in os.environ
    assert os.environ["agent_id"] == "7001"
    assert devserver.count(SKILL_PATH) == 0


def test_an_api_error_code_raises(workspace, devserver):
    payload = {"BaseResp": {"StatusCode": 4001, "StatusMessage": "skill disabled"}}
    devserver.fault(path=SKILL_PATH, status=200, body=payload)
    with pytest.raises(SkillEnvAPIError) as raised:
        load_skill_env(source_path=str(workspace), force=True)
    assert raised.value.payload == payload
    assert raised.value.error_json == json.dumps(payload, ensure_ascii=False)
    assert str(raised.value) == f"GetSkillEnvs error: {raised.value.error_json}"
    assert isinstance(raised.value, RuntimeError)
    assert os.environ["skill_id"] == "42", "set before the endpoint answered"


@pytest.mark.parametrize(
    "fault",
    [{"status": 500}, {"kind": "malformed_json"}, {"status": 200, "body": {"data": {"envs": {"A": 1}}}},
     {"kind": "huge_body", "bytes": 2000000}],
    ids=["non-200", "malformed", "not-a-string-map", "huge"],
)
def test_bad_answers_load_nothing(workspace, devserver, fault):
    devserver.fault(path=SKILL_PATH, **fault)
    assert load_skill_env(source_path=str(workspace), force=True) is False
    assert "SKILL_API_KEY" not in os.environ


@pytest.mark.parametrize(
    "config, why",
    [("{not json", "not JSON"), ("[1, 2]", "not a JSON object"), ('{"skills": []}', "no patToken"),
     (" " * (1024 * 1024 + 1), "larger than")],
    ids=["not-json", "not-object", "no-pat-token", "huge"],
)
def test_unusable_config_files_warn_and_load_nothing(workspace, devserver, caplog, config, why):
    config_file = workspace.parent.parent / "config.json"
    config_file.write_text(config)
    with caplog.at_level(logging.WARNING, logger="workload_identity"):
        assert load_skill_env(source_path=str(workspace), force=True) is False
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert any(str(config_file) in text and why in text for text in warnings), warnings
    assert "agent_id" not in os.environ
    assert devserver.count(SKILL_PATH) == 0


def run_program(source, directory, devserver):
    """Runs `source` as a program in `directory`; its stdout as JSON."""
    program = directory / "main.py"
    program.write_text(source)
    environment = dict(os.environ, PYTHONPATH=str(Path(workload_identity.__file__).parents[1]))
    result = subprocess.run([sys.executable, str(program)], cwd="/", env=environment,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for secret in (PAT, "sk-dev-skill-key"):
        assert secret not in result.stderr
    return json.loads(result.stdout)


def test_client_loads_the_skill_environment_of_its_caller(workspace, devserver):
    seen = run_program(
        "import json, os\n"
        "from workload_identity import Client\n"
        "with Client() as client:\n"
        "    client.get_access_token()\n"
        "print(json.dumps({name: os.environ.get(name) for name in ('agent_id', 'skill_id', 'SKILL_REGION')}))\n",
        workspace, devserver,
    )
    assert seen == {"agent_id": "7001", "skill_id": "42", "SKILL_REGION": "cn-north"}


def test_importing_requests_loads_the_proxy_settings_it_uses(workspace, devserver):
    rig = devserver.control("egress", {"ticket": "tk+skill/1="})
    devserver.configure(skill_envs=[{
        "agent_id": "7001", "skill_id": "42", "pat_token": PAT,
        "envs": {"COZE_OUTBOUND_AUTH_PROXY": rig["proxy_url"], "COZE_OUTBOUND_AUTH_PROXY_CA": rig["ca_pem"],
                 "identity_ticket": "tk+skill/1="},
    }])
    seen = run_program(
        "import json\n"
        "from workload_identity import requests\n"
        f"print(json.dumps(requests.get({rig['target_url']!r}).json()))\n",
        workspace, devserver,
    )
    assert seen["ok"] is True
