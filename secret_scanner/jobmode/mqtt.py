"""MQTT publisher for the agent's broker: paho-mqtt 2.x, MQTT v5, TLS, QoS 1, every PUBACK accounted for.

A connection refused right after start is the agent's registration race, so the first connection is retried
for a short window. After that the network loop runs in a background thread (keep-alives during a long scan).
If the broker drops the connection, paho reconnects and resends what was not acknowledged; a second drop ends
the session and whatever is still unacknowledged is reported as undelivered. A PUBACK reason code >= 0x80
(0x87 Not authorized: the topic is missing from the job's mqttTopics.allowedPublications) is a failure.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

from secret_scanner.errors import DeliveryError
from secret_scanner.net.retry import backoff_delays

log = logging.getLogger(__name__)

QOS = 1
KEEPALIVE_SECONDS = 60
CONNECT_TIMEOUT_SECONDS = 5.0
# After SIGTERM/SIGINT: how long outstanding PUBACKs are still awaited before the run spools and exits.
SHUTDOWN_GRACE_SECONDS = 2.0
_MAX_SESSIONS = 2  # the first connection and one reconnection
# CONNACK codes the agent's broker can answer while our process is not yet registered (the race).
_RETRYABLE_CONNACK = {0x86, 0x87, 0x88, 0x89, 0x9F}
_REASON_NAMES = {
    0x80: "Unspecified error",
    0x83: "Implementation specific error",
    0x87: "Not authorized",
    0x90: "Topic Name invalid",
    0x91: "Packet identifier in use",
    0x97: "Quota exceeded",
    0x99: "Payload format invalid",
}


@dataclass(frozen=True)
class Ack:
    """The broker's answer to one publish: `code` is the PUBACK reason code, None when none came."""

    code: int | None

    @property
    def ok(self) -> bool:
        return self.code is not None and self.code < 0x80

    def reason(self) -> str:
        """The reason code in words, e.g. "reason code 0x87 (Not authorized)"."""
        if self.code is None:
            return "no PUBACK"
        return f"reason code 0x{self.code:02X} ({_REASON_NAMES.get(self.code, 'error')})"

    def describe(self) -> str:
        if self.code is None:
            return "not acknowledged"
        if self.ok:
            return "acknowledged"
        return f"refused with {self.reason()}"


@dataclass(frozen=True)
class Ticket:
    """One publish handed to the client; `mid` is None when the client refused it outright."""

    topic: str
    mid: int | None


class Publisher:
    def __init__(
        self,
        host: str,
        port: int,
        client_id: str,
        context: ssl.SSLContext,
        connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
    ) -> None:
        self.host = host
        self.port = port
        self.client_id = client_id
        self._connect_timeout = connect_timeout
        self._cond = threading.Condition()
        self._acks: dict[int, int] = {}
        self._connack: int | None = None
        self._sessions = 0
        self._given_up = False
        self._connected = False
        self._loop_running = False
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            reconnect_on_failure=True,
        )
        self._client.tls_set_context(context)
        self._client.reconnect_delay_set(min_delay=1, max_delay=2)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def connect(self, retry_seconds: float, sleep: Callable[[float], None] = time.sleep) -> None:
        """Connect, retrying refusals for `retry_seconds`; DeliveryError naming the cause if never."""
        delays = backoff_delays(retry_seconds)
        while True:
            try:
                self._connect_once()
                return
            except _Retryable as exc:
                delay = next(delays, None)
                if delay is None:
                    raise DeliveryError(
                        f"cannot connect to the MQTT broker at {self.address}: {exc}"
                    ) from exc
                log.debug("MQTT connection to %s failed (%s); retrying in %.2fs", self.address, exc, delay)
                sleep(delay)

    def publish(self, topic: str, payload: bytes) -> Ticket:
        """Hand one QoS 1 message to the client; queued and sent (again) after a reconnection if needed."""
        try:
            info = self._client.publish(topic, payload, qos=QOS, retain=False)
        except (ValueError, OSError) as exc:
            log.debug("publish to %s rejected by the client: %s", topic, type(exc).__name__)
            return Ticket(topic, None)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            return Ticket(topic, None)
        return Ticket(topic, info.mid)

    def wait(self, tickets: Sequence[Ticket], timeout: float, cancel: threading.Event | None = None
             ) -> list[Ack]:
        """Wait until every ticket has a PUBACK, the session is given up, or `timeout` passes. Once `cancel`
        is set (SIGTERM, Ctrl-C) the wait ends within SHUTDOWN_GRACE_SECONDS: what is not acknowledged by
        then is already in the spool (write-ahead), so a shutdown never waits the full PUBACK timeout."""
        deadline = time.monotonic() + timeout
        shortened = False
        mids = [t.mid for t in tickets if t.mid is not None]
        with self._cond:
            while not self._given_up and any(m not in self._acks for m in mids):
                if cancel is not None and cancel.is_set() and not shortened:
                    deadline = min(deadline, time.monotonic() + SHUTDOWN_GRACE_SECONDS)
                    shortened = True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(min(remaining, 0.1 if cancel is not None else 0.5))
            return [Ack(self._acks.get(t.mid)) if t.mid is not None else Ack(None) for t in tickets]

    def close(self) -> None:
        """Disconnect cleanly (MQTT DISCONNECT) and stop the network thread."""
        if self._connected:
            self._client.disconnect()
            with self._cond:
                end = time.monotonic() + 2.0
                while self._connected and time.monotonic() < end:
                    self._cond.wait(0.1)
        if self._loop_running:
            self._client.loop_stop()
            self._loop_running = False

    def _connect_once(self) -> None:
        with self._cond:
            self._connack = None
        try:
            self._client.connect(self.host, self.port, keepalive=KEEPALIVE_SECONDS)
        except ssl.SSLError as exc:
            raise DeliveryError(f"TLS with the MQTT broker at {self.address} failed: {_short(exc)}") from exc
        except OSError as exc:
            raise _Retryable(_short(exc)) from exc
        end = time.monotonic() + self._connect_timeout
        while self._connack is None and time.monotonic() < end:
            rc = self._client.loop(timeout=0.1)
            if rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_AGAIN) and self._connack is None:
                raise _Retryable(f"connection closed before CONNACK ({mqtt.error_string(rc)})")
        code = self._connack
        if code is None:
            self._drop_socket()
            raise _Retryable(f"no CONNACK within {self._connect_timeout:g}s")
        if code != 0:
            self._drop_socket()
            text = f"broker refused the connection with reason code 0x{code:02X}"
            if code in _RETRYABLE_CONNACK:
                raise _Retryable(text)
            raise DeliveryError(f"MQTT broker at {self.address}: {text}")
        self._client.loop_start()
        self._loop_running = True

    def _drop_socket(self) -> None:
        sock = self._client.socket()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: ReasonCode, properties: Any
    ) -> None:
        code = _code(reason_code)
        with self._cond:
            self._connack = code
            if code == 0:
                self._connected = True
                self._sessions += 1
                if self._sessions > 1:
                    log.warning(
                        "reconnected to the MQTT broker at %s; resending unacknowledged messages",
                        self.address,
                    )
            self._cond.notify_all()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: ReasonCode, properties: Any
    ) -> None:
        with self._cond:
            was_connected = self._connected
            self._connected = False
            if was_connected and _code(reason_code) != 0 and self._loop_running:
                if self._sessions >= _MAX_SESSIONS:
                    self._given_up = True
                    log.warning("the MQTT broker at %s dropped the connection again; giving up", self.address)
                    client.disconnect()  # ends paho's reconnect loop
                else:
                    log.warning(
                        "the MQTT broker at %s dropped the connection; reconnecting once", self.address
                    )
            self._cond.notify_all()

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason_code: ReasonCode, properties: Any
    ) -> None:
        with self._cond:
            self._acks[mid] = _code(reason_code)
            self._cond.notify_all()


class _Retryable(Exception):
    """A connection failure worth another try within the registration-race window."""


def _code(reason_code: ReasonCode | int) -> int:
    value = getattr(reason_code, "value", reason_code)
    return int(value) if isinstance(value, int) else 0x80


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
