"""The agent's local HTTPS API as a task sees it: GET /api/PluginSettings/KeeperPrivilegeManager.

Plugin tier, as on the agent: the answer is 200 with the broker address only for a process this development
agent launched (see trust.py), and 403 for anyone else, such as the same binary started by hand. `/health`
needs no authorization. Every request is recorded for the view and the pre-launch checklist.
"""

from __future__ import annotations

import http.server
import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from secret_scanner.devagent.trust import Caller, LaunchRegistry

SETTINGS_PATH = "/api/PluginSettings/KeeperPrivilegeManager"
PLUGIN_PREFIX = "/api/PluginSettings/"


@dataclass(frozen=True)
class SettingsRequest:
    """One request as the server answered it."""

    at: float
    caller: Caller
    method: str
    path: str
    status: int


class PluginServer:
    """HTTPS on 127.0.0.1:`port` (0: a free port), answering like the agent's Plugin Settings API."""

    def __init__(self, context: ssl.SSLContext, port: int, registry: LaunchRegistry,
                 broker_port: Callable[[], int], notify: Callable[[SettingsRequest], None]) -> None:
        self.registry = registry
        self.requests: list[SettingsRequest] = []
        self._broker_port = broker_port
        self._notify = notify
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._httpd.daemon_threads = True
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="plugin-settings", daemon=True)

    @property
    def base_url(self) -> str:
        """What the agent substitutes for {KeeperApiBaseUrl}."""
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def answer(self, method: str, path: str, caller: Caller) -> tuple[int, dict[str, Any]]:
        """Status and JSON body for one request; records it."""
        route = path.split("?", 1)[0]
        if route == "/health":
            status, body = 200, {"status": "Healthy"}
        elif not route.startswith(PLUGIN_PREFIX):
            status, body = 404, {"error": "not found"}
        elif not caller.trusted:
            status, body = 403, {"error": "Forbidden: the caller is not a process the job runner launched"}
        elif method != "GET" or route != SETTINGS_PATH:
            status, body = 404, {"error": "the development agent serves only GET " + SETTINGS_PATH}
        else:
            status, body = 200, {"broker.host": "127.0.0.1", "broker.port": str(self._broker_port())}
        record = SettingsRequest(time.time(), caller, method, route[:200], status)
        self.requests.append(record)
        self._notify(record)
        return status, body

    def _handler_class(self) -> type[http.server.BaseHTTPRequestHandler]:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            server_version = "KeeperDevAgent"
            sys_version = ""

            def do_GET(self) -> None:
                self._reply("GET")

            def do_POST(self) -> None:
                self._reply("POST")

            def do_PUT(self) -> None:
                self._reply("PUT")

            def _reply(self, method: str) -> None:
                peer = self.client_address
                caller = server.registry.identify((str(peer[0]), int(peer[1])), ("127.0.0.1", server.port))
                status, body = server.answer(method, self.path, caller)
                payload = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the caller gave up

            def log_message(self, format: str, *args: Any) -> None:
                pass  # requests are shown by the view, attributed to their process

        return Handler
