"""A real mosquitto 2.x broker for the job-mode tests: one TLS listener on 127.0.0.1 with an ACL and an
authenticated observer account. Without mosquitto the tests skip, and fail when CI=true.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from loopback import free_port, wait_until
from program import EVENT_TOPIC
from tlsmaterial import TlsMaterial

MOSQUITTO = os.environ.get("SECRET_SCANNER_TEST_MOSQUITTO", "/usr/sbin/mosquitto")
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
OBSERVER_USER = "observer"
OBSERVER_PASSWORD = "observer-test-only"  # a throwaway local test broker's password


def require_binary(path: str, what: str) -> None:
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{what} ({path}) is missing: CI must install it (apt-get install mosquitto)")
        pytest.skip(f"{what} ({path}) is not installed")


@dataclass
class Broker:
    """A running mosquitto 2.x with one TLS listener on 127.0.0.1 (MQTT v5 capable)."""

    host: str
    port: int
    directory: Path
    tls: TlsMaterial
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.directory / "mosquitto.log"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_shows(self, text: str, timeout: float = 5.0) -> bool:
        """Whether the broker log contains `text` (waiting a little: the broker writes it asynchronously)."""
        return wait_until(lambda: text in self.log_text(), timeout)

    def connected_client_ids(self) -> list[str]:
        return re.findall(r"New client connected from \S+ as (\S+) \(p\d", self.log_text())

    def protocol_of(self, client_id: str) -> str | None:
        match = re.search(
            rf"New client connected from \S+ as {re.escape(client_id)} \((p\d)", self.log_text()
        )
        return match.group(1) if match else None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.directory / "mosquitto.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_until(self._listening, 10):
            self.stop()
            raise RuntimeError(f"mosquitto did not start on port {self.port}:\n{self.log_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def _listening(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            return False
        try:
            with socket.create_connection((self.host, self.port), timeout=0.2):
                return True
        except OSError:
            return False


BrokerFactory = Callable[..., Broker]


@pytest.fixture
def broker_factory(
    tmp_path_factory: pytest.TempPathFactory, tls_material: TlsMaterial
) -> Iterator[BrokerFactory]:
    """make(allow=(topics anonymous clients may publish to), port=None, anonymous=True) -> a started Broker.

    anonymous=False makes the broker refuse our (credential-less) client at CONNACK, as an agent does for a
    process it has not registered yet."""
    require_binary(MOSQUITTO, "mosquitto broker")
    started: list[Broker] = []

    def make(
        allow: Sequence[str] = ("KeeperLogger", EVENT_TOPIC), port: int | None = None, anonymous: bool = True
    ) -> Broker:
        directory = tmp_path_factory.mktemp("broker")
        port = port or free_port()
        acl = "".join(f"topic write {topic}\n" for topic in allow)
        acl += f"\nuser {OBSERVER_USER}\ntopic read #\n"
        (directory / "acl").write_text(acl, encoding="utf-8")
        subprocess.run(
            [MOSQUITTO_PASSWD, "-b", "-c", str(directory / "passwd"), OBSERVER_USER, OBSERVER_PASSWORD],
            check=True,
            capture_output=True,
        )
        (directory / "mosquitto.conf").write_text(
            "user root\n"
            "per_listener_settings false\n"
            f"allow_anonymous {'true' if anonymous else 'false'}\n"
            f"password_file {directory / 'passwd'}\n"
            f"acl_file {directory / 'acl'}\n"
            "persistence false\n"
            "connection_messages true\n"
            f"log_dest file {directory / 'mosquitto.log'}\n"
            "log_type all\n"
            f"listener {port} 127.0.0.1\n"
            f"cafile {tls_material.ca_path}\n"
            f"certfile {tls_material.cert_path}\n"
            f"keyfile {tls_material.key_path}\n",
            encoding="utf-8",
        )
        broker = Broker("127.0.0.1", port, directory, tls_material)
        broker.start()
        started.append(broker)
        return broker

    yield make
    for broker in started:
        broker.stop()


@pytest.fixture
def broker(broker_factory: BrokerFactory) -> Broker:
    return broker_factory()
