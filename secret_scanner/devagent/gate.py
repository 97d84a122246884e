"""The broker's front door: TLS on the advertised port, process trust, and the job taken from the client ID.

The agent's broker admits only processes its job runner launched, and finds a client's job by splitting the
MQTT client ID `{jobId}_{ExecutableToken}_{pid}` on `_`. mosquitto can do neither, so this gate terminates TLS,
reads the CONNECT packet (bounded), refuses an untrusted process with CONNACK "Not authorized", and otherwise
logs the client in to mosquitto as the job named by the first `_` segment (rewriting the CONNECT's user name
and password), then relays bytes both ways. mosquitto's ACL does the topic checks.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from secret_scanner.devagent.broker import Broker
from secret_scanner.devagent.trust import Caller, LaunchRegistry

MAX_CONNECT_BYTES = 64 * 1024
CONNECT_WAIT_SECONDS = 10.0
_NOT_AUTHORIZED = {5: bytes([0x20, 0x03, 0x00, 0x87, 0x00]), 4: bytes([0x20, 0x02, 0x00, 0x05]),
                   3: bytes([0x20, 0x02, 0x00, 0x05])}


class MalformedPacket(Exception):
    """The first packet is not an MQTT CONNECT we can read."""


@dataclass(frozen=True)
class Connect:
    """The parts of a CONNECT packet the gate reads or rewrites."""

    level: int
    client_id: str
    head: bytes  # protocol name .. properties, with the original flags byte
    flags: int
    will: bytes  # will properties, topic and payload, as sent


@dataclass(frozen=True)
class Admission:
    """One connection attempt as the gate saw it."""

    at: float
    caller: Caller
    client_id: str
    level: int
    parsed_job: str
    admitted: bool


def split_client_id(client_id: str) -> str:
    """The job id the agent's broker reads from a client ID: everything before the first `_`."""
    return client_id.split("_", 1)[0]


def parse_connect(body: bytes) -> Connect:
    """Parse a CONNECT packet's variable header and payload (MQTT 3.1, 3.1.1 and 5)."""
    try:
        name_len = struct.unpack_from("!H", body, 0)[0]
        offset = 2 + name_len
        level, flags = body[offset], body[offset + 1]
        offset += 4  # level, flags, keep-alive
        if level == 5:
            length, offset = _varint(body, offset)
            offset += length
        head_end = offset
        client_id, offset = _string(body, offset)
        will_start = offset
        if flags & 0x04:
            if level == 5:
                length, offset = _varint(body, offset)
                offset += length
            _, offset = _string(body, offset)
            _, offset = _string(body, offset)
        if offset > len(body):
            raise MalformedPacket("CONNECT shorter than its fields")
        return Connect(level, client_id.decode("utf-8", errors="replace"), body[:head_end], flags,
                       body[will_start:offset])
    except (IndexError, struct.error) as exc:
        raise MalformedPacket("CONNECT shorter than its fields") from exc


def rewrite_connect(connect: Connect, username: str, password: str) -> bytes:
    """The CONNECT packet with our credentials in place of whatever the client sent."""
    head = bytearray(connect.head)
    flags_at = 2 + struct.unpack_from("!H", head, 0)[0] + 1
    head[flags_at] = connect.flags | 0xC0
    body = bytes(head) + _encode_string(connect.client_id.encode()) + connect.will
    body += _encode_string(username.encode()) + _encode_string(password.encode())
    return bytes([0x10]) + _encode_varint(len(body)) + body


class Gate:
    """Accepts TLS clients on 127.0.0.1:`port` and relays admitted ones to the broker."""

    def __init__(self, broker: Broker, registry: LaunchRegistry, context: ssl.SSLContext, port: int,
                 notify: Callable[[Admission], None]) -> None:
        self.broker = broker
        self.registry = registry
        self.context = context
        self.notify = notify
        self.admissions: list[Admission] = []
        self._listener = socket.create_server(("127.0.0.1", port))
        self.port = int(self._listener.getsockname()[1])
        self._closed = False

    def start(self) -> None:
        threading.Thread(target=self._accept_loop, name="gate", daemon=True).start()

    def stop(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.close()

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                raw, peer = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw, peer), daemon=True).start()

    def _serve(self, raw: socket.socket, peer: tuple[str, int]) -> None:
        caller = self.registry.identify((peer[0], peer[1]), ("127.0.0.1", self.port))
        raw.settimeout(CONNECT_WAIT_SECONDS)
        try:
            client = self.context.wrap_socket(raw, server_side=True)
            connect = parse_connect(_read_connect(client))
        except (OSError, MalformedPacket):
            with contextlib.suppress(OSError):
                raw.close()
            return
        parsed = split_client_id(connect.client_id)
        admission = Admission(time.time(), caller, connect.client_id, connect.level, parsed, caller.trusted)
        self.admissions.append(admission)
        self.notify(admission)
        if not caller.trusted:
            with contextlib.suppress(OSError):
                client.sendall(_NOT_AUTHORIZED.get(connect.level, _NOT_AUTHORIZED[4]))
                client.close()
            return
        account = self.broker.account_for(parsed)
        try:
            upstream = self._dial_broker()
            upstream.sendall(rewrite_connect(connect, account.username, account.password))
        except OSError:
            with contextlib.suppress(OSError):
                client.close()
            return
        _pump(client, upstream)

    def _dial_broker(self) -> ssl.SSLSocket:
        context = ssl.create_default_context(cafile=str(self.broker.certificate.cert_path))
        context.check_hostname = False
        sock = socket.create_connection(("127.0.0.1", self.broker.port), timeout=5)
        wrapped = context.wrap_socket(sock)
        wrapped.settimeout(None)
        return wrapped


def _read_connect(sock: ssl.SSLSocket) -> bytes:
    first = _read_exact(sock, 1)
    if first[0] & 0xF0 != 0x10:
        raise MalformedPacket("first packet is not CONNECT")
    length = 0
    for shift in range(0, 28, 7):
        byte = _read_exact(sock, 1)[0]
        length |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
    else:
        raise MalformedPacket("bad remaining length")
    if length > MAX_CONNECT_BYTES:
        raise MalformedPacket("CONNECT too large")
    return _read_exact(sock, length)


def _read_exact(sock: ssl.SSLSocket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise MalformedPacket("connection closed during CONNECT")
        data += chunk
    return data


def _pump(one: ssl.SSLSocket, other: ssl.SSLSocket) -> None:
    """Relay both ways in one thread: an SSL object must not be read and written by two threads at once."""
    peers = {one: other, other: one}
    try:
        while True:
            ready, _, _ = select.select(list(peers), [], [], 1.0)
            ready += [sock for sock in peers if sock.pending() and sock not in ready]
            for sock in ready:
                sock.settimeout(0.05)  # a partial TLS record must not stall the other direction
                try:
                    chunk = sock.recv(65536)
                except (TimeoutError, ssl.SSLWantReadError):
                    continue
                if not chunk:
                    return
                peers[sock].settimeout(10)
                peers[sock].sendall(chunk)
    except (OSError, ValueError):
        return
    finally:
        for sock in peers:
            with contextlib.suppress(OSError):
                sock.close()


def _varint(data: bytes, offset: int) -> tuple[int, int]:
    value = 0
    for shift in range(0, 28, 7):
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, offset
    raise MalformedPacket("bad variable byte integer")


def _string(data: bytes, offset: int) -> tuple[bytes, int]:
    length = struct.unpack_from("!H", data, offset)[0]
    end = offset + 2 + length
    if end > len(data):
        raise MalformedPacket("string runs past the packet")
    return data[offset + 2:end], end


def _encode_string(value: bytes) -> bytes:
    return struct.pack("!H", len(value)) + value


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)
