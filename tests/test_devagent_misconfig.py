"""Each misconfiguration of the custom job guide, through the development agent: the documented outcome of a
run, and the pre-launch checklist item that names it. Plus the broker's client-ID split seen from a probe task,
and a binary started by hand, refused (403 on Plugin Settings, CONNACK Not authorized on the broker).
"""

from __future__ import annotations

import io
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import FALLBACK_BROKER_PORT, MOSQUITTO, scanner_env
from test_devagent import LINUX_JOB, deploy_product, narrowed, prepare_environment, write_job

from secret_scanner.cli.devagent import ExitCode, main
from secret_scanner.devagent.agent import AgentOptions, DevAgent
from secret_scanner.devagent.jobfile import load_job
from secret_scanner.devagent.view import View

EVENTS = "Jobs/secrets-scanner-linux/events"


@pytest.fixture
def devagent_env(monkeypatch: pytest.MonkeyPatch) -> None:
    prepare_environment(monkeypatch)


@pytest.fixture(scope="module")
def product_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("product-state")


@pytest.fixture
def agent_root(tmp_path: Path) -> Path:
    return deploy_product(tmp_path / "agent")


def _set(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(job: dict[str, Any]) -> None:
        for key, value in fields.items():
            if key.startswith("task_"):
                job["tasks"][0][key[5:]] = value
            else:
                job[key] = value
    return change


def _topics(*publications: str) -> dict[str, Any]:
    return {"allowedPublications": list(publications), "allowedSubscriptions": []}


# name, job id, change, run exit code, text in the run's view, checklist item, text in that item's detail
CASES = [
    ("underscore in the id", "secrets_scanner", None, 2, "contains an underscore", 2, "underscore"),
    ("event topic not allowed", None, _set(mqttTopics=_topics("KeeperLogger")), 0,
     f"event topic '{EVENTS}'", 5, "not in mqttTopics.allowedPublications"),
    ("KeeperLogger not allowed", None, _set(mqttTopics=_topics(EVENTS)), 4,
     "reason code 0x87 (Not authorized)", 5, "must include 'KeeperLogger'"),
    ("osFilter excludes the host", None, _set(osFilter={"windows": True, "linux": False, "macOS": False}),
     ExitCode.NOT_RUN, "osFilter does not include linux (checklist item 4)", 4, "excludes this host"),
    ("disabled", None, _set(enabled=False), ExitCode.NOT_RUN, "job disabled", 3, "enabled: false"),
    ("binary missing", None, _set(task_command="no-such-task-binary"), ExitCode.NOT_RUN,
     "binary not found", 1, "not found"),
    ("over its timeout", None, _set(task_command="sleep", task_arguments="30", task_timeoutSeconds=1),
     ExitCode.TIMED_OUT, "killed after timeoutSeconds: timeoutSeconds 1 (checklist item 7)", 7,
     "killed after timeoutSeconds"),
]


@pytest.mark.parametrize(("name", "job_id", "change", "run_code", "run_text", "item", "item_text"), CASES,
                         ids=[case[0] for case in CASES])
def test_misconfiguration_outcome_and_checklist_item(
    devagent_env: None, agent_root: Path, clean_tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    product_state: Path, name: str, job_id: str | None, change: Callable[[dict[str, Any]], None] | None, run_code: int,
    run_text: str, item: int, item_text: str,
) -> None:
    job = write_job(tmp_path / "jobs", change, job_id)
    is_product = json.loads(job.read_text(encoding="utf-8"))["tasks"][0]["command"] == "SecretScanner"
    extra = narrowed(clean_tree, product_state) if is_product else []
    code = main(["run", str(job), "--once", "--agent-root", str(agent_root), *extra])
    shown = capsys.readouterr().out
    assert code == run_code, shown
    assert run_text in shown, shown
    code = main(["preflight", str(job), "--agent-root", str(agent_root), "--json", *extra])
    items = {i["item"]: i for i in json.loads(capsys.readouterr().out)["items"]}
    assert code == 1
    assert items[item]["status"] == "FAIL", items[item]
    assert item_text in items[item]["detail"] and items[item]["fix"], items[item]


PROBE = r'''
import json, os, ssl, sys, threading, urllib.request
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
base = next(a for a in sys.argv if a.startswith("--keeper-api-base=")).split("=", 1)[1]
context = ssl.create_default_context()
context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
url = base + "/api/PluginSettings/KeeperPrivilegeManager"
settings = json.load(urllib.request.urlopen(url, context=context, timeout=5))
client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=os.environ["KEEPER_JOB_ID"] + "_Probe_" + str(os.getpid()),
                     protocol=MQTTProtocolVersion.MQTTv5)
client.tls_set_context(context)
acked = threading.Event()
codes = []
client.on_publish = lambda c, u, mid, rc, p: (codes.append(rc.value), acked.set())
client.connect(settings["broker.host"], int(settings["broker.port"]))
client.loop_start()
client.publish("KeeperLogger", json.dumps({"Id": "1", "Version": 1, "RespondToTopic": None, "MetaData": {
    "MessageType": 4, "LogLevel": 1, "Source": "Probe", "Category": "Probe", "Message": "probe says hello",
    "CorrelationId": "", "Context": ""}}), qos=1)
acked.wait(5)
print("PUBACK 0x%02X" % codes[0] if codes else "no PUBACK")
client.disconnect()
client.loop_stop()
'''


@pytest.mark.parametrize(("job_id", "puback", "seen_as"), [("probe-job", "0x00", "probe-job"),
                                                           ("probe_job", "0x87", "probe")])
def test_the_broker_reads_the_job_from_the_client_id_split_on_underscore(
    devagent_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], job_id: str, puback: str,
    seen_as: str,
) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE, encoding="utf-8")
    launcher = tmp_path / "probe.sh"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{probe}" "$@"\n', encoding="utf-8")
    launcher.chmod(0o755)
    job = write_job(tmp_path / "jobs", _set(mqttTopics=_topics("KeeperLogger"), task_command="Probe",
                                            task_executablePath=str(launcher)), job_id)
    code = main(["run", str(job), "--once"])
    shown = capsys.readouterr().out
    assert code == 0, shown
    assert f"stdout] PUBACK {puback}" in shown
    assert f"identified as job {seen_as!r}" in shown
    assert ("Probe: probe says hello" in shown) is (puback == "0x00")
    if job_id == "probe_job":
        assert "every publish will be denied (checklist item 2: no underscores in the id)" in shown


def test_a_binary_started_by_hand_is_refused(
    devagent_env: None, scanner_command: list[str], clean_tree: Path, product_state: Path,
) -> None:
    from paho.mqtt.client import Client
    from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

    out = io.StringIO()
    # After the 403 the product falls back to the agent's default broker port: hold it (bound, not listening,
    # so connections are refused) unless another process already has it.
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", FALLBACK_BROKER_PORT))
    except OSError:
        holder.close()
        holder = None
    with DevAgent([load_job(LINUX_JOB)], AgentOptions(mosquitto=MOSQUITTO), View(out=out)) as agent:
        assert agent.plugin is not None and agent.gate is not None
        env = scanner_env(KEEPER_JOB_ID="secrets-scanner-linux")
        done = subprocess.run([*scanner_command, "--scan", f"--keeper-api-base={agent.plugin.base_url}",
                               "--path", str(clean_tree), "--state-dir", str(product_state)],
                              env=env, capture_output=True, text=True, timeout=60)
        refused = [r for r in agent.plugin.requests if r.status == 403]
        assert refused and refused[0].caller.pid is not None and not refused[0].caller.trusted
        # The broker refuses a process no job runner launched, too: CONNACK Not authorized.
        answered = threading.Event()
        codes: list[int] = []
        client = Client(CallbackAPIVersion.VERSION2, client_id="secrets-scanner-linux_ByHand_1",
                        protocol=MQTTProtocolVersion.MQTTv5)
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        client.tls_set_context(context)
        client.on_connect = lambda c, u, f, rc, p: (codes.append(rc.value), answered.set())
        client.connect("127.0.0.1", agent.gate.port)
        client.loop_start()
        answered.wait(5)
        client.loop_stop()
    if holder is not None:
        holder.close()
        assert done.returncode == 4, done.stderr  # delivery failed: no settings, no broker
    assert "HTTP 403" in done.stderr and "started by the job runner" in done.stderr
    assert f"using the default broker 127.0.0.1:{FALLBACK_BROKER_PORT}" in done.stderr
    assert codes == [0x87]
    shown = out.getvalue()
    assert ": 403 (Plugin tier: only processes the job runner launched; checklist items 9 and 13)" in shown
    assert "refused client 'secrets-scanner-linux_ByHand_1'" in shown
    assert os.environ.get("KEEPER_JOB_ID") is None
