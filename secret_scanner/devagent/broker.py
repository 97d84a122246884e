"""The real mosquitto behind the gate: TLS listener on loopback, one account per job, an ACL per job.

Each job gets an account named after its id whose ACL grants exactly the job's `mqttTopics` (write for
allowedPublications, read for allowedSubscriptions). The gate (gate.py) logs a task in as the job its client ID
names; a client that names no known job is logged in as an account with no topics at all, so it connects and
every publish is denied, which is what happens on the agent's broker. Passwords are random per start, so a
process that dials mosquitto directly, around the gate, is refused.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from secret_scanner.devagent.certificate import CertificateFiles
from secret_scanner.devagent.faults import EnvironmentFault

DEFAULT_MOSQUITTO = "/usr/sbin/mosquitto"
MOSQUITTO_ENV = "SECRET_SCANNER_DEVAGENT_MOSQUITTO"
VIEW_USER = "devagent-view"
UNASSOCIATED_USER = "devagent-unassociated"
START_SECONDS = 10.0
_PBKDF2_ROUNDS = 101  # mosquitto_passwd's own count for the $7$ (PBKDF2-SHA512) format


@dataclass(frozen=True)
class TopicGrant:
    """What one job may do on the broker: its mqttTopics."""

    publications: tuple[str, ...]
    subscriptions: tuple[str, ...]


@dataclass(frozen=True)
class Account:
    username: str
    password: str


def find_mosquitto(given: str | None = None) -> str:
    """The mosquitto binary: --mosquitto, $SECRET_SCANNER_DEVAGENT_MOSQUITTO, PATH, then /usr/sbin."""
    import shutil

    candidates = [given] if given else [os.environ.get(MOSQUITTO_ENV), shutil.which("mosquitto"),
                                        DEFAULT_MOSQUITTO]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    where = given or f"PATH or {DEFAULT_MOSQUITTO}"
    raise EnvironmentFault(f"mosquitto not found ({where}): install it (sudo apt-get install -y mosquitto, "
                           "brew install mosquitto) or pass --mosquitto PATH")


def require_free_port(port: int, what: str) -> int:
    """`port` if it can be bound on 127.0.0.1, or a free port when `port` is 0; EnvironmentFault if in use."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise EnvironmentFault(f"{what} port {port} on 127.0.0.1 is in use ({exc.strerror}); "
                                   "pick another port or omit the option for a free one") from exc
        return int(sock.getsockname()[1])


def usable_name(text: str) -> bool:
    """Whether `text` can be a mosquitto user name in the password and ACL files."""
    return bool(text) and not any(c in ":#+" or c.isspace() or ord(c) < 32 for c in text)


class Broker:
    """A mosquitto process with one TLS listener on 127.0.0.1."""

    def __init__(self, mosquitto: str, directory: Path, certificate: CertificateFiles,
                 grants: Mapping[str, TopicGrant]) -> None:
        self.mosquitto = mosquitto
        self.directory = directory
        self.certificate = certificate
        self.port = 0
        self.accounts = {job_id: Account(job_id, secrets.token_hex(16)) for job_id in grants
                         if usable_name(job_id)}
        self.view_account = Account(VIEW_USER, secrets.token_hex(16))
        self.unassociated = Account(UNASSOCIATED_USER, secrets.token_hex(16))
        self._grants = grants
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.directory / "mosquitto.log"

    def account_for(self, job_id: str) -> Account:
        """The account the gate logs a client in with: the job's own, or one with no topics."""
        return self.accounts.get(job_id, self.unassociated)

    def start(self) -> None:
        self.port = require_free_port(0, "broker")
        self._write_files()
        # Its own session: a Ctrl-C at the terminal must not kill the broker before a stopped task has reported.
        self._process = subprocess.Popen([self.mosquitto, "-c", str(self.directory / "mosquitto.conf")],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                         start_new_session=os.name != "nt")
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise EnvironmentFault(f"mosquitto exited at start: {self._last_error()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise EnvironmentFault(f"mosquitto did not listen on 127.0.0.1:{self.port} within {START_SECONDS:g} s")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def _last_error(self) -> str:
        stderr = self._process.stderr.read().decode(errors="replace") if self._process and self._process.stderr else ""
        try:
            logged = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            logged = ""
        lines = [line for line in (stderr + "\n" + logged).splitlines() if line.strip()]
        return lines[-1][:300] if lines else "no message"

    def _write_files(self) -> None:
        passwd = "".join(f"{a.username}:{hash_password(a.password)}\n" for a in self._all_accounts())
        _write_private(self.directory / "passwd", passwd)
        _write_private(self.directory / "acl", self._acl_text())
        lines = [
            "per_listener_settings false",
            "allow_anonymous false",
            f"password_file {self.directory / 'passwd'}",
            f"acl_file {self.directory / 'acl'}",
            "persistence false",
            "connection_messages true",
            f"log_dest file {self.log_path}",
            "log_type all",
            f"listener {self.port} 127.0.0.1",
            f"cafile {self.certificate.cert_path}",
            f"certfile {self.certificate.cert_path}",
            f"keyfile {self.certificate.key_path}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # mosquitto started as root drops to user `mosquitto`, which cannot read our owner-only key.
            lines.insert(0, "user root")
        _write_private(self.directory / "mosquitto.conf", "\n".join(lines) + "\n")

    def _all_accounts(self) -> Sequence[Account]:
        return [*self.accounts.values(), self.view_account, self.unassociated]

    def _acl_text(self) -> str:
        blocks = [f"user {VIEW_USER}\ntopic read #\n", f"user {UNASSOCIATED_USER}\n"]
        for job_id, account in self.accounts.items():
            grant = self._grants[job_id]
            lines = [f"user {account.username}"]
            lines += [f"topic write {topic}" for topic in grant.publications if _safe_topic(topic)]
            lines += [f"topic read {topic}" for topic in grant.subscriptions if _safe_topic(topic)]
            blocks.append("\n".join(lines) + "\n")
        return "\n".join(blocks)


def _safe_topic(topic: str) -> bool:
    # A newline would inject ACL lines; mosquitto itself refuses control characters in topics.
    return bool(topic) and not any(ord(c) < 32 for c in topic)


def hash_password(password: str) -> str:
    """mosquitto_passwd's $7$ format: PBKDF2-HMAC-SHA512 with a 12-byte salt, both base64."""
    salt = os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, _PBKDF2_ROUNDS, dklen=64)
    return f"$7${_PBKDF2_ROUNDS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
