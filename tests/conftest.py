"""Shared fixtures with real parts: a TLS mosquitto broker, an HTTPS Plugin Settings server, an MQTT observer,
and the command that runs the scanner as a subprocess (or the frozen binary, with SECRET_SCANNER_BIN).

Servers bind to 127.0.0.1 only. Certificates come from trustme; like the agent's, the server certificate is
issued to "Localhost".
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme

from secret_scanner.catalog import specimen

MOSQUITTO = os.environ.get("SECRET_SCANNER_TEST_MOSQUITTO", "/usr/sbin/mosquitto")
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
JOB_ID = "secrets-scanner"
EVENT_TOPIC = f"Jobs/{JOB_ID}/events"
OBSERVER_USER = "observer"
OBSERVER_PASSWORD = "observer-test-only"  # a throwaway local test broker's password
FALLBACK_BROKER_PORT = 8675


# --------------------------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def _require_binary(path: str, what: str) -> None:
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{what} ({path}) is missing: CI must install it (apt-get install mosquitto)")
        pytest.skip(f"{what} ({path}) is not installed")


# ------------------------------------------------------------------------------------------------- TLS


@dataclass(frozen=True)
class TlsMaterial:
    ca_path: Path
    cert_path: Path
    key_path: Path
    other_ca_path: Path  # a CA that did NOT issue the server certificate


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    directory = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    leaf = ca.issue_cert("Localhost")
    ca_path, cert_path, key_path = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca.cert_pem.write_to_path(str(ca_path))
    leaf.private_key_pem.write_to_path(str(key_path))
    cert_path.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    other = directory / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    return TlsMaterial(ca_path, cert_path, key_path, other)


# ---------------------------------------------------------------------------------------------- broker


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
    _require_binary(MOSQUITTO, "mosquitto broker")
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


# -------------------------------------------------------------------------------------------- observer


@dataclass
class Observer:
    """An authenticated subscriber to `#` that keeps every message it sees."""

    messages: list[tuple[str, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    client: Any = None

    def on_topic(self, topic: str) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(payload) for t, payload in self.messages if t == topic]

    def all_bytes(self) -> bytes:
        with self.lock:
            return b"\n".join(t.encode() + b" " + p for t, p in self.messages)

    def wait_for(self, predicate: Callable[[Observer], bool], timeout: float = 5.0) -> bool:
        return wait_until(lambda: predicate(self), timeout)


@pytest.fixture
def observe() -> Iterator[Callable[[Broker], Observer]]:
    from paho.mqtt.client import Client
    from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

    clients: list[Any] = []

    def start(broker: Broker) -> Observer:
        observer = Observer()
        subscribed = threading.Event()
        client = Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"observer-{len(clients)}",
            protocol=MQTTProtocolVersion.MQTTv5,
        )
        context = ssl.create_default_context(cafile=str(broker.tls.ca_path))
        context.check_hostname = False  # the certificate names "Localhost", we dial 127.0.0.1
        client.tls_set_context(context)
        client.username_pw_set(OBSERVER_USER, OBSERVER_PASSWORD)

        def on_connect(c: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
            c.subscribe("#", qos=1)

        def on_subscribe(c: Any, userdata: Any, mid: int, rcs: Any, props: Any) -> None:
            subscribed.set()

        def on_message(c: Any, userdata: Any, msg: Any) -> None:
            with observer.lock:
                observer.messages.append((msg.topic, bytes(msg.payload)))

        client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
        client.connect(broker.host, broker.port)
        client.loop_start()
        clients.append(client)
        if not subscribed.wait(5):
            raise RuntimeError("observer could not subscribe")
        observer.client = client
        return observer

    yield start
    for client in clients:
        client.disconnect()
        client.loop_stop()


# ------------------------------------------------------------------------------------- settings server


@dataclass
class SettingsServer:
    """Plugin Settings. `mode`: ok, 403-then-ok, 403, 404, 500, garbage, missing, slow, hold (answers ok
    once `release` is set)."""

    url: str
    broker_host: str = "127.0.0.1"
    broker_port: int = FALLBACK_BROKER_PORT
    mode: str = "ok"
    forbidden_first: int = 2
    slow_seconds: float = 3.0
    release: threading.Event = field(default_factory=threading.Event)
    requests: list[str] = field(default_factory=list)

    def answer(self, path: str) -> tuple[int, bytes, float]:
        self.requests.append(path)
        if path != "/api/PluginSettings/KeeperPrivilegeManager":
            return 404, b'{"error":"not found"}', 0.0
        body = json.dumps(
            {"broker.host": self.broker_host, "broker.port": str(self.broker_port), "other.key": "x"}
        ).encode()
        if self.mode == "ok":
            return 200, body, 0.0
        if self.mode == "403-then-ok":
            return (403, b"", 0.0) if len(self.requests) <= self.forbidden_first else (200, body, 0.0)
        if self.mode in ("403", "404", "500"):
            return int(self.mode), b"", 0.0
        if self.mode == "garbage":
            return 200, b"<html>not json", 0.0
        if self.mode == "missing":
            return 200, b'{"broker.port": "8675"}', 0.0
        if self.mode == "slow":
            return 200, body, self.slow_seconds
        if self.mode == "hold":
            self.release.wait(60)
            return 200, body, 0.0
        raise AssertionError(f"unknown mode {self.mode}")


@pytest.fixture
def settings_server(tls_material: TlsMaterial) -> Iterator[SettingsServer]:
    port = free_port()
    server_state = SettingsServer(url=f"https://127.0.0.1:{port}")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body, delay = server_state.answer(self.path)
            if delay:
                time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up (timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    httpd.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(tls_material.cert_path), str(tls_material.key_path))
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server_state
    server_state.release.set()
    httpd.shutdown()
    httpd.server_close()


# ----------------------------------------------------------------------------------------- the program


@pytest.fixture
def scanner_command() -> list[str]:
    """The program under test: the frozen binary when SECRET_SCANNER_BIN is set, else this package."""
    binary = os.environ.get("SECRET_SCANNER_BIN")
    return [binary] if binary else [sys.executable, "-m", "secret_scanner"]


def scanner_env(**extra: str | None) -> dict[str, str]:
    """A clean environment for a job-mode run: short test windows, our job id, nothing inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEEPER_", "SECRET_SCANNER_"))}
    env.update(
        {
            "KEEPER_JOB_ID": JOB_ID,
            "SECRET_SCANNER_RETRY_SECONDS": "1",
            "SECRET_SCANNER_PUBACK_TIMEOUT": "5",
            "SECRET_SCANNER_HTTP_TIMEOUT": "2",
            "PYTHONUNBUFFERED": "1",
        }
    )
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


@dataclass(frozen=True)
class PlantedTree:
    root: Path
    secrets: tuple[str, ...]


def plant_tree(root: Path, extra_files: int = 0) -> PlantedTree:
    """A small tree with a GitHub token, an AWS key id and a password, all made at run time."""
    root.mkdir(parents=True, exist_ok=True)
    github = specimen.make("github", "ghp_")
    aws = specimen.make("aws-key-id", "AKIA")
    password = specimen.make("password", "20")
    (root / "deploy.env").write_text(f"# deploy settings\nGITHUB_TOKEN={github}\n", encoding="utf-8")
    (root / "aws").mkdir(exist_ok=True)
    (root / "aws" / "credentials").write_text(f"[default]\naws_access_key_id = {aws}\n", encoding="utf-8")
    (root / "db.conf").write_text(f'host=db.internal\npassword = "{password}"\n', encoding="utf-8")
    (root / "notes.txt").write_text("nothing to see here\n", encoding="utf-8")
    for index in range(extra_files):
        (root / f"plain-{index:04d}.txt").write_text(f"line {index}\n", encoding="utf-8")
    return PlantedTree(root, (github, aws, password))


@pytest.fixture
def planted(tmp_path: Path) -> PlantedTree:
    return plant_tree(tmp_path / "tree")


@pytest.fixture
def clean_tree(tmp_path: Path) -> Path:
    root = tmp_path / "clean"
    root.mkdir()
    (root / "readme.txt").write_text("no credentials here\n", encoding="utf-8")
    return root
