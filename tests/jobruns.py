"""Running the scanner in job mode for the end-to-end tests: the subprocess call, its job arguments, and the
exact KeeperLogger envelope every message must have.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

from settings_server import SettingsServer

LOGGER = "KeeperLogger"
ALLOWED_PUBLICATIONS_HINT = "mqttTopics.allowedPublications"


def run(
    command: list[str], args: list[str], env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command + args, env=env, capture_output=True, text=True, timeout=timeout)


def job_args(server: SettingsServer, tree: Path, state: Path, *extra: str) -> list[str]:
    return [
        "--scan",
        f"--keeper-api-base={server.url}",
        "--path",
        str(tree),
        "--state-dir",
        str(state),
        *extra,
    ]


def meta(document: dict[str, Any]) -> dict[str, Any]:
    return document["MetaData"]  # type: ignore[no-any-return]


def assert_envelope(document: dict[str, Any]) -> None:
    assert set(document) == {"Id", "Version", "RespondToTopic", "MetaData"}
    assert str(uuid.UUID(document["Id"])) == document["Id"]
    assert uuid.UUID(document["Id"]).version == 4
    assert document["Version"] == 1
    assert document["RespondToTopic"] is None
    data = document["MetaData"]
    assert set(data) == {
        "MessageType",
        "LogLevel",
        "Source",
        "Category",
        "Message",
        "CorrelationId",
        "Context",
    }
    assert data["MessageType"] == 4
    assert data["LogLevel"] in (0, 1, 2, 3, 4, 5)
    assert data["Source"] == "SecretScanner"
    assert data["Category"]
    assert data["Message"].strip()
    assert len(data["Message"]) <= 1000
    assert "\n" not in data["Message"] and "\r" not in data["Message"]
    assert "\n" not in data["Context"] and "\r" not in data["Context"]
    if data["Context"]:
        assert isinstance(json.loads(data["Context"]), dict)
