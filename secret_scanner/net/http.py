"""The one HTTP stack: `requests` over a context from net/tls.py, with a body cap and a TOTAL deadline.

Plugin Settings (job mode) and the admin Jobs API client both call the agent through HttpsSession, so they share
one trust decision, one proxy rule (never: `trust_env` is off, loopback agent traffic must not reach a proxy),
no redirects, and one way of failing.

requests' `timeout` applies to each socket operation, so a peer that trickles one byte a second keeps a request
alive for ever (issue #11). Here every socket operation of the request (TLS handshake, sending, reading the
headers and the streamed body) gets at most what is left of the request's deadline, and the body is read in
chunks up to the cap; connect, headers and body together end by `timeout_seconds`.
"""

from __future__ import annotations

import ssl
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InsecureRequestWarning

from secret_scanner.errors import ScannerError

_CHUNK_BYTES = 64 * 1024
_deadline = threading.local()  # the running request's time.monotonic() deadline, per thread


@dataclass(frozen=True)
class HttpReply:
    """A whole answer: status and body (at most the session's cap)."""

    status: int
    body: bytes


class HttpError(ScannerError):
    """A request failed below HTTP: callers turn it into their own family and words."""


class DeadlineExceeded(HttpError):
    """No complete answer within the request's deadline (connect, headers and body together)."""


class ResponseTooLarge(HttpError):
    """The body is larger than the cap."""


class TransportError(HttpError):
    """The connection failed; `cause` is the innermost error (ssl.SSLError, ConnectionRefusedError, ...)."""

    def __init__(self, message: str, cause: BaseException, *, tls: bool, reading: bool) -> None:
        super().__init__(message)
        self.cause = cause
        self.tls = tls  # the TLS layer failed (handshake, certificate, alert)
        self.reading = reading  # the failure came while reading the body, after the status line


class HttpsSession:
    """HTTPS requests to one peer under a TLS policy context; use as a context manager or close()."""

    def __init__(self, context: ssl.SSLContext, timeout_seconds: float, max_body_bytes: int) -> None:
        # Every socket this context wraps enforces the running request's deadline; the context is built for
        # this session by net/tls.py and not shared with the MQTT client.
        context.sslsocket_class = _DeadlineSocket
        self._timeout = timeout_seconds
        self._max_body = max_body_bytes
        self._verify = context.verify_mode != ssl.CERT_NONE
        self._session = requests.Session()
        self._session.trust_env = False
        self._session.mount("https://", _PolicyAdapter(context))

    def __enter__(self) -> HttpsSession:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def request(self, method: str, url: str, body: bytes | None = None,
                headers: Mapping[str, str] | None = None) -> HttpReply:
        """Send one request and read the whole answer; HttpError subclasses for every failure below HTTP."""
        deadline = time.monotonic() + self._timeout
        _deadline.value = deadline
        reading = False
        try:
            with warnings.catch_warnings():
                # Unverified TLS is the documented policy for loopback only (net/tls.py): no need to nag.
                warnings.simplefilter("ignore", InsecureRequestWarning)
                response = self._session.request(
                    method, url, data=body, headers={"Accept-Encoding": "identity", **(headers or {})},
                    timeout=self._timeout, verify=self._verify, allow_redirects=False, stream=True)
            reading = True
            with response:
                return HttpReply(response.status_code, self._read_body(response, deadline))
        except HttpError:
            raise
        except Exception as exc:  # requests, urllib3, ssl and OS errors share no narrower base
            raise _translate(exc, self._timeout, reading) from exc
        finally:
            _deadline.value = None

    def _read_body(self, response: requests.Response, deadline: float) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._max_body:
            raise ResponseTooLarge(f"answer larger than {self._max_body} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            if time.monotonic() >= deadline:
                raise DeadlineExceeded(f"no complete answer within {self._timeout:g}s")
            chunk = response.raw.read(_CHUNK_BYTES, decode_content=True)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > self._max_body:
                raise ResponseTooLarge(f"answer larger than {self._max_body} bytes")
            chunks.append(chunk)


class _PolicyAdapter(HTTPAdapter):
    """Uses the policy's SSL context as it is: requests must neither add certifi's CAs nor reload anything."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        if not self._context.check_hostname:
            kwargs["assert_hostname"] = False
        super().init_poolmanager(*args, **kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        conn.cert_reqs = "CERT_NONE" if self._context.verify_mode == ssl.CERT_NONE else "CERT_REQUIRED"
        conn.ca_certs = None
        conn.ca_cert_dir = None


class _DeadlineSocket(ssl.SSLSocket):
    """An SSL socket whose every operation waits at most until the running request's deadline."""

    def _bound(self) -> None:
        deadline: float | None = getattr(_deadline, "value", None)
        if deadline is None:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request's deadline passed")
        current = self.gettimeout()
        if current is None or current > remaining:
            self.settimeout(remaining)

    def do_handshake(self, block: bool = False) -> None:
        self._bound()
        super().do_handshake(block)

    def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
        self._bound()
        return super().recv(buflen, flags)

    def recv_into(self, buffer: Any, nbytes: int | None = None, flags: int = 0) -> int:
        self._bound()
        return super().recv_into(buffer, nbytes, flags)  # type: ignore[arg-type]

    def read(self, len: int = 1024, buffer: Any = None) -> bytes:
        self._bound()
        return super().read(len, buffer)

    def send(self, data: Any, flags: int = 0) -> int:
        self._bound()
        return super().send(data, flags)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what it wraps, outermost first: requests and urllib3 nest the real cause several levels."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        wrapped = [getattr(current, "reason", None), *current.args, current.__cause__, current.__context__]
        current = next((w for w in wrapped if isinstance(w, BaseException) and id(w) not in seen), None)


def _is_timeout(chain: list[BaseException]) -> bool:
    if isinstance(chain[-1], TimeoutError):
        return True
    for item in chain:
        if isinstance(item, requests.Timeout | urllib3.exceptions.ReadTimeoutError):
            return True
        if isinstance(item, urllib3.exceptions.ConnectTimeoutError) and not isinstance(
                item, urllib3.exceptions.NewConnectionError):
            return True
    return False


def _translate(exc: BaseException, timeout: float, reading: bool) -> HttpError:
    chain = list(_chain(exc))
    if _is_timeout(chain):
        return DeadlineExceeded(f"no complete answer within {timeout:g}s")
    tls = any(isinstance(item, ssl.SSLError | urllib3.exceptions.SSLError | requests.exceptions.SSLError)
              for item in chain)
    cause = chain[-1]
    return TransportError(f"{type(cause).__name__}", cause, tls=tls, reading=reading)
