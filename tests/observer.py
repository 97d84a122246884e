"""An MQTT observer: an authenticated subscriber to `#` on the test broker that keeps every message it
sees.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from broker import OBSERVER_PASSWORD, OBSERVER_USER, Broker
from loopback import wait_until


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
