"""The one HTTP stack (secret_scanner.net.http) against real HTTPS servers on loopback that misbehave.

Issue #11: requests' timeout applies per socket read, so a server that trickles one byte at a time held a job
for ever. The deadline must cover connect, headers and body together.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from conftest import TlsMaterial

from secret_scanner.jobmode.plugin_settings import resolve_broker_address
from secret_scanner.net.http import DeadlineExceeded, HttpsSession, ResponseTooLarge, TransportError
from secret_scanner.net.tls import build_client_context

Behaviour = Callable[[ssl.SSLSocket, threading.Event], None]
BODY = b'{"broker.host": "127.0.0.1", "broker.port": "18675"}'


@dataclass
class Server:
    url: str
    stop: threading.Event


def _headers(length: int | None) -> bytes:
    extra = f"Content-Length: {length}\r\n" if length is not None else "Connection: close\r\n"
    return f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{extra}\r\n".encode()


def trickle(data: bytes, interval: float) -> Behaviour:
    def serve(conn: ssl.SSLSocket, stop: threading.Event) -> None:
        for index in range(len(data)):
            if stop.wait(interval):
                return
            conn.sendall(data[index:index + 1])
    return serve


def send_at_once(data: bytes) -> Behaviour:
    def serve(conn: ssl.SSLSocket, stop: threading.Event) -> None:
        conn.sendall(data)
    return serve


@pytest.fixture
def serve(tls_material: TlsMaterial) -> Iterator[Callable[[Behaviour], Server]]:
    stops: list[threading.Event] = []
    listeners: list[socket.socket] = []

    def start(behaviour: Behaviour) -> Server:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls_material.cert_path), str(tls_material.key_path))
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.1)
        stop = threading.Event()

        def handle(raw: socket.socket) -> None:
            try:
                with context.wrap_socket(raw, server_side=True) as conn:
                    conn.settimeout(5)
                    request = b""
                    while b"\r\n\r\n" not in request:
                        chunk = conn.recv(4096)
                        if not chunk:
                            return
                        request += chunk
                    behaviour(conn, stop)
                    stop.wait(1)  # keep the connection open: the client must end it by itself
            except OSError:
                pass  # the client gave up, as it should

        def accept() -> None:
            while not stop.is_set():
                try:
                    raw, _ = listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                threading.Thread(target=handle, args=(raw,), daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()
        stops.append(stop)
        listeners.append(listener)
        return Server(f"https://127.0.0.1:{listener.getsockname()[1]}", stop)

    yield start
    for stop in stops:
        stop.set()
    for listener in listeners:
        listener.close()


def session(timeout: float, cap: int = 1024) -> HttpsSession:
    return HttpsSession(build_client_context("127.0.0.1", None, "test"), timeout, cap)


def test_a_body_trickled_one_byte_at_a_time_ends_at_the_deadline(serve: Callable[[Behaviour], Server]) -> None:
    # Each byte arrives well within the per-read timeout, so only a total deadline can end this request.
    server = serve(lambda conn, stop: (conn.sendall(_headers(200)), trickle(b"x" * 200, 0.1)(conn, stop)))
    started = time.monotonic()
    with session(1.0) as client, pytest.raises(DeadlineExceeded):
        client.request("GET", server.url + "/")
    assert time.monotonic() - started < 2.5


def test_headers_trickled_one_byte_at_a_time_end_at_the_deadline(serve: Callable[[Behaviour], Server]) -> None:
    server = serve(trickle(_headers(len(BODY)) + BODY, 0.1))
    started = time.monotonic()
    with session(1.0) as client, pytest.raises(DeadlineExceeded):
        client.request("GET", server.url + "/")
    assert time.monotonic() - started < 2.5


def test_a_quick_trickle_within_the_deadline_is_read_whole(serve: Callable[[Behaviour], Server]) -> None:
    server = serve(trickle(_headers(len(BODY)) + BODY, 0.001))
    with session(10.0) as client:
        reply = client.request("GET", server.url + "/")
    assert (reply.status, reply.body) == (200, BODY)


@pytest.mark.parametrize("declared", [True, False])
def test_a_body_over_the_cap_is_refused(serve: Callable[[Behaviour], Server], declared: bool) -> None:
    body = b"y" * 5000
    server = serve(send_at_once(_headers(len(body) if declared else None) + body))
    with session(5.0, cap=1024) as client, pytest.raises(ResponseTooLarge, match="larger than 1024 bytes"):
        client.request("GET", server.url + "/")


def test_a_refused_connection_names_its_cause() -> None:
    from conftest import free_port

    with session(2.0) as client, pytest.raises(TransportError) as caught:
        client.request("GET", f"https://127.0.0.1:{free_port()}/")
    assert isinstance(caught.value.cause, ConnectionRefusedError) and not caught.value.tls


def test_plugin_settings_falls_back_when_the_agent_trickles(serve: Callable[[Behaviour], Server]) -> None:
    server = serve(lambda conn, stop: (conn.sendall(_headers(200)), trickle(b" " * 200, 0.1)(conn, stop)))
    started = time.monotonic()
    address = resolve_broker_address(server.url, None, 0.0, 1.0)
    assert address.fallback_reason is not None and "no answer within 1s" in address.fallback_reason
    assert time.monotonic() - started < 2.5
