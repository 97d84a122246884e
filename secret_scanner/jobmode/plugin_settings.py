"""Plugin Settings client: asks the agent's local HTTPS API where its MQTT broker listens.

GET {api_base}/api/PluginSettings/KeeperPrivilegeManager returns a flat JSON object of strings; we read
`broker.host` and `broker.port`. A 403 right after start is the agent's registration race and is retried for a
short window. Any other failure falls back to the agent's default broker 127.0.0.1:8675 with a warning that
names the cause, because a scan must still run and report even when the settings call breaks.
"""

from __future__ import annotations

import json
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from secret_scanner.errors import SettingsError
from secret_scanner.names import show_url
from secret_scanner.net import tls as tlspolicy
from secret_scanner.net.http import (
    DeadlineExceeded,
    HttpReply,
    HttpsSession,
    ResponseTooLarge,
    TransportError,
)
from secret_scanner.net.retry import backoff_delays
from secret_scanner.net.urls import check_https_base

log = logging.getLogger(__name__)

SETTINGS_PATH = "/api/PluginSettings/KeeperPrivilegeManager"
FALLBACK_HOST = "127.0.0.1"
FALLBACK_PORT = 8675
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class BrokerAddress:
    """Where to connect; `fallback_reason` says why the default address is used (None: read from settings)."""

    host: str
    port: int
    fallback_reason: str | None = None


def settings_url(api_base: str) -> str:
    return api_base.rstrip("/") + SETTINGS_PATH


def resolve_broker_address(
    api_base: str,
    ca_bundle: Path | None,
    retry_seconds: float,
    timeout_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
) -> BrokerAddress:
    """The broker address from Plugin Settings, or the default with the reason. Raises only TlsPolicyError
    (and UsageError for an api_base that is not an https base URL; the command line checked it already)."""
    host = check_https_base(api_base, "--keeper-api-base").host
    context = tlspolicy.build_client_context(host, ca_bundle, "--keeper-api-base")
    try:
        return fetch_broker_address(api_base, context, retry_seconds, timeout_seconds, sleep)
    except SettingsError as exc:
        # A path of --keeper-api-base may carry a token: the reason (stderr, KeeperLogger) names scheme, host,
        # port and our fixed settings path only.
        url = settings_url(api_base)
        reason = str(exc).replace(url, show_url(api_base) + SETTINGS_PATH) if url else str(exc)
        log.warning("%s; using the default broker %s:%d", reason, FALLBACK_HOST, FALLBACK_PORT)
        return BrokerAddress(FALLBACK_HOST, FALLBACK_PORT, reason)


def fetch_broker_address(
    api_base: str,
    context: ssl.SSLContext,
    retry_seconds: float,
    timeout_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
) -> BrokerAddress:
    """Read broker.host/broker.port; retry 403 and dropped connections for `retry_seconds`; raise SettingsError
    naming the cause.

    `timeout_seconds` bounds each request as a whole (connect, headers and body).
    """
    url = settings_url(api_base)
    delays = backoff_delays(retry_seconds)
    with HttpsSession(context, timeout_seconds, MAX_BODY_BYTES) as session:
        while True:
            try:
                reply = _get(session, url, timeout_seconds)
            except _DroppedConnection as exc:
                # A refused or dropped connection is the agent's API restarting or still starting: the same
                # window as the registration race, then the documented fallback.
                delay = next(delays, None)
                if delay is None:
                    raise
                log.debug("%s; retrying in %.2fs", exc, delay)
                sleep(delay)
                continue
            delay = next(delays, None) if reply.status == 403 else None
            if delay is None:
                return _parse_reply(url, reply, retry_seconds)
            log.debug("Plugin Settings answered 403 (agent registration race?); retrying in %.2fs", delay)
            sleep(delay)


def _get(session: HttpsSession, url: str, timeout: float) -> HttpReply:
    try:
        return session.request("GET", url, headers={"Accept": "application/json"})
    except DeadlineExceeded as exc:
        raise SettingsError(f"Plugin Settings at {url}: no answer within {timeout:g}s") from exc
    except ResponseTooLarge as exc:
        raise SettingsError(f"Plugin Settings at {url}: answer larger than {MAX_BODY_BYTES} bytes") from exc
    except TransportError as exc:
        if exc.tls:
            raise SettingsError(
                f"Plugin Settings at {url}: TLS failed ({_describe_tls_error(exc.cause)})") from exc
        if exc.reading:
            raise SettingsError(
                f"Plugin Settings at {url}: reading the answer failed ({type(exc.cause).__name__})") from exc
        raise _DroppedConnection(f"Plugin Settings at {url}: cannot connect ({type(exc.cause).__name__})") from exc


class _DroppedConnection(SettingsError):
    """The connection was refused or dropped before an answer: worth another try within the retry window."""


def _parse_reply(url: str, reply: HttpReply, retry_seconds: float) -> BrokerAddress:
    status = reply.status
    if status == 403:
        raise SettingsError(
            f"Plugin Settings at {url}: HTTP 403 for {retry_seconds:g}s (this process is not registered with "
            "the agent: it must be started by the job runner, not by hand)"
        )
    if status == 404:
        raise SettingsError(f"Plugin Settings at {url}: HTTP 404 (plugin KeeperPrivilegeManager not found)")
    if status != 200:
        raise SettingsError(f"Plugin Settings at {url}: HTTP {status}")
    return parse_settings(url, reply.body)


def parse_settings(url: str, body: bytes) -> BrokerAddress:
    """broker.host and broker.port from the flat JSON object; SettingsError naming the missing or bad key."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SettingsError(f"Plugin Settings at {url}: answer is not JSON") from exc
    if not isinstance(data, dict):
        raise SettingsError(f"Plugin Settings at {url}: answer is not a JSON object")
    host = data.get("broker.host")
    if not isinstance(host, str) or not host.strip() or any(c.isspace() or c in "/@" for c in host.strip()):
        what = "missing" if host is None else "invalid"
        raise SettingsError(f"Plugin Settings at {url}: broker.host is {what}")
    port = _parse_port(data.get("broker.port"))
    if port is None:
        what = "missing" if data.get("broker.port") is None else "invalid"
        raise SettingsError(f"Plugin Settings at {url}: broker.port is {what}")
    return BrokerAddress(host.strip(), port)


def _parse_port(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        return None
    return number if 0 < number < 65536 else None


def _describe_tls_error(exc: BaseException) -> str:
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        detail = text.split("certificate verify failed", 1)[1].split("(_ssl", 1)[0].strip(" :")
        return "certificate verify failed" + (f": {detail[:120]}" if detail else "") + "; check --ca-bundle"
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]
