"""A real HTTPS Plugin Settings server on loopback whose answers a test sets: ok, 403 for a while, errors,
garbage, missing keys, slow, or held until released.
"""

from __future__ import annotations

import http.server
import json
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from loopback import free_port
from tlsmaterial import TlsMaterial

FALLBACK_BROKER_PORT = 8675


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
