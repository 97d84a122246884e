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
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InsecureRequestWarning

from secret_scanner.errors import SettingsError
from secret_scanner.names import show_url
from secret_scanner.net import tls as tlspolicy

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
    """The broker address from Plugin Settings, or the default with the reason. Raises only TlsPolicyError."""
    host = urlsplit(api_base).hostname or ""
    context = tlspolicy.build_client_context(host, ca_bundle, "--keeper-api-base")
    try:
        return fetch_broker_address(api_base, context, ca_bundle, retry_seconds, timeout_seconds, sleep)
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
    ca_bundle: Path | None,
    retry_seconds: float,
    timeout_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
) -> BrokerAddress:
    """Read broker.host/broker.port; retry 403 for `retry_seconds`; raise SettingsError naming the cause."""
    url = settings_url(api_base)
    deadline = time.monotonic() + retry_seconds
    delay = 0.25
    with requests.Session() as session:
        session.trust_env = False  # a proxy from the environment must never see loopback agent traffic
        session.mount("https://", _ContextAdapter(context))
        while True:
            response = _get(session, url, ca_bundle, timeout_seconds)
            if response.status_code != 403 or time.monotonic() + delay > deadline:
                break
            log.debug("Plugin Settings answered 403 (agent registration race?); retrying in %.2fs", delay)
            response.close()
            sleep(delay)
            delay = min(delay * 2, 2.0)
        with response:
            return _parse_response(url, response, retry_seconds)


class _ContextAdapter(HTTPAdapter):
    """Uses our policy's SSL context, so HTTPS and MQTT verify the agent the same way."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        if not self._context.check_hostname:
            kwargs["assert_hostname"] = False
        super().init_poolmanager(*args, **kwargs)


def _get(session: requests.Session, url: str, ca_bundle: Path | None, timeout: float) -> requests.Response:
    verify: bool | str = str(ca_bundle) if ca_bundle is not None else False
    try:
        with warnings.catch_warnings():
            # Unverified TLS is our documented policy for loopback only (tlspolicy): no need to nag.
            warnings.simplefilter("ignore", InsecureRequestWarning)
            response = session.get(
                url,
                timeout=timeout,
                verify=verify,
                allow_redirects=False,
                stream=True,
                headers={"Accept": "application/json"},
            )
    except requests.exceptions.SSLError as exc:
        raise SettingsError(f"Plugin Settings at {url}: TLS failed ({_describe_tls_error(exc)})") from exc
    except requests.exceptions.Timeout as exc:
        raise SettingsError(f"Plugin Settings at {url}: no answer within {timeout:g}s") from exc
    except requests.exceptions.RequestException as exc:
        raise SettingsError(f"Plugin Settings at {url}: cannot connect ({type(exc).__name__})") from exc
    return response


def _parse_response(url: str, response: requests.Response, retry_seconds: float) -> BrokerAddress:
    status = response.status_code
    if status == 403:
        raise SettingsError(
            f"Plugin Settings at {url}: HTTP 403 for {retry_seconds:g}s (this process is not registered with "
            "the agent: it must be started by the job runner, not by hand)"
        )
    if status == 404:
        raise SettingsError(f"Plugin Settings at {url}: HTTP 404 (plugin KeeperPrivilegeManager not found)")
    if status != 200:
        raise SettingsError(f"Plugin Settings at {url}: HTTP {status}")
    try:
        body = response.raw.read(MAX_BODY_BYTES + 1, decode_content=True)
    except Exception as exc:  # urllib3 read timeouts, protocol and OS errors share no narrower base
        raise SettingsError(
            f"Plugin Settings at {url}: reading the answer failed ({type(exc).__name__})"
        ) from exc
    if len(body) > MAX_BODY_BYTES:
        raise SettingsError(f"Plugin Settings at {url}: answer larger than {MAX_BODY_BYTES} bytes")
    return parse_settings(url, body)


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
