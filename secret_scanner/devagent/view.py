"""The operator's view: KeeperLogger messages and job events as they arrive, plus what the runner did.

A subscriber logged in to mosquitto with its own read-only account receives every topic. KeeperLogger envelopes
are shown as an operator reads them (time, level, source, category, message); event-topic payloads as events;
runner notices and task output prefixed with their origin. Everything can also go to a JSON-lines file.
Text is shown as received, minus control characters (a terminal must not be steered by a payload).
"""

from __future__ import annotations

import json
import re
import ssl
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from secret_scanner.devagent.broker import Broker

LOGGER_TOPIC = "KeeperLogger"
MAX_PAYLOAD_BYTES = 256 * 1024
LEVELS = {0: "Debug", 1: "Info", 2: "Warning", 3: "Error", 4: "Critical", 5: "Verbose"}
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


@dataclass(frozen=True)
class Received:
    """One MQTT message the view received."""

    at: float
    topic: str
    document: dict[str, Any] | None
    size: int


def clean(text: object, limit: int = 2000) -> str:
    return _CONTROL.sub(" ", str(text))[:limit]


def level_name(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return LEVELS.get(value, str(value))
    return clean(value, 20) if value is not None else "?"


@dataclass
class View:
    """Prints to `out` (and a JSON-lines file); keeps what MQTT delivered for the checklist."""

    out: IO[str] = field(default_factory=lambda: sys.stdout)
    json_path: Path | None = None
    quiet_output: bool = False
    received: list[Received] = field(default_factory=list)
    output: list[tuple[int, str, str]] = field(default_factory=list)  # pid, stream, line (bounded)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _json: IO[str] | None = None
    _client: Any = None

    def open(self) -> None:
        if self.json_path is not None:
            self._json = self.json_path.open("a", encoding="utf-8")

    def close(self) -> None:
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
        if self._json is not None:
            self._json.close()
            self._json = None

    def subscribe(self, broker: Broker) -> None:
        """Log in to mosquitto as the view account and receive every topic; waits for the SUBACK."""
        ready = threading.Event()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="devagent-view",
                             protocol=MQTTProtocolVersion.MQTTv5)
        context = ssl.create_default_context(cafile=str(broker.certificate.cert_path))
        context.check_hostname = False
        client.tls_set_context(context)
        client.username_pw_set(broker.view_account.username, broker.view_account.password)
        client.on_connect = lambda c, *_: c.subscribe("#", qos=1)
        client.on_subscribe = lambda *_: ready.set()
        client.on_message = lambda _c, _u, msg: self._on_message(msg.topic, bytes(msg.payload))
        client.connect("127.0.0.1", broker.port)
        client.loop_start()
        self._client = client
        if not ready.wait(10):
            raise RuntimeError("the view could not subscribe to the broker")

    def notice(self, text: str, **fields: object) -> None:
        """A line from the development agent itself."""
        self._emit(f"[devagent] {clean(text)}", {"kind": "devagent", "message": text, **fields})

    def task_output(self, job_id: str, pid: int, stream: str, line: str) -> None:
        with self._lock:
            if len(self.output) < 1000:
                self.output.append((pid, stream, line))
        if self.quiet_output:
            return
        self._emit(f"[{job_id} pid {pid} {stream}] {clean(line)}",
                   {"kind": "task-output", "job": job_id, "pid": pid, "stream": stream, "line": line})

    def on_topic(self, topic: str) -> list[Received]:
        with self._lock:
            return [item for item in self.received if item.topic == topic]

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return True
            time.sleep(0.05)
        return predicate()

    def _on_message(self, topic: str, payload: bytes) -> None:
        document: dict[str, Any] | None = None
        if len(payload) <= MAX_PAYLOAD_BYTES:
            try:
                parsed = json.loads(payload.decode("utf-8"))
                document = parsed if isinstance(parsed, dict) else None
            except (UnicodeDecodeError, ValueError):
                document = None
        with self._lock:
            self.received.append(Received(time.time(), topic, document, len(payload)))
        if topic == LOGGER_TOPIC and document is not None and isinstance(document.get("MetaData"), dict):
            meta = document["MetaData"]
            line = (f"{level_name(meta.get('LogLevel')):<8} {clean(meta.get('Source'), 60)} "
                    f"{clean(meta.get('Category'), 60)}: {clean(meta.get('Message'))}")
            self._emit(line, {"kind": "log", "topic": topic, "level": level_name(meta.get("LogLevel")),
                              "source": meta.get("Source"), "category": meta.get("Category"),
                              "message": meta.get("Message"), "correlationId": meta.get("CorrelationId"),
                              "context": meta.get("Context")})
        elif document is not None:
            summary = clean(document.get("event", "")) or "message"
            shown = {k: v for k, v in document.items() if k in ("job_id", "run_id", "findings", "complete")}
            self._emit(f"event {clean(topic, 200)}: {summary} {clean(json.dumps(shown), 400)}",
                       {"kind": "event", "topic": topic, "payload": document})
        else:
            self._emit(f"message {clean(topic, 200)}: {len(payload)} bytes (not a JSON object)",
                       {"kind": "other", "topic": topic, "size": len(payload)})

    def _emit(self, line: str, record: dict[str, object]) -> None:
        now = datetime.now().astimezone()
        with self._lock:
            self.out.write(f"{now:%H:%M:%S.%f}"[:12] + " " + line + "\n")
            self.out.flush()
            if self._json is not None:
                self._json.write(json.dumps({"time": now.isoformat(timespec="milliseconds"), **record},
                                            default=str) + "\n")
                self._json.flush()
