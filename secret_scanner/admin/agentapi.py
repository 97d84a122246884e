"""Client for the agent's Job Management API (/api/Jobs, Admin tier, mutual TLS), used by the deploy tool.

Every failure becomes an AgentApiError subclass whose message says what to do about it: a refused connection
means the agent is down or on another port, a 403 after a good handshake means the admin credential tier, a
TLS alert means a missing or unaccepted client certificate.
"""

from __future__ import annotations

import json
import logging
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from secret_scanner.errors import ScannerError, UsageError
from secret_scanner.net.http import DeadlineExceeded, HttpsSession, ResponseTooLarge, TransportError
from secret_scanner.net.tls import ClientCertificate, build_client_context
from secret_scanner.net.urls import HttpsBase, check_https_base

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://127.0.0.1:6889"
# A job definition is a few KiB; the cap only stops a broken or hostile peer from filling memory.
MAX_BODY_BYTES = 1024 * 1024
_REFUSAL = (": pass --ca with the CA bundle that issued the agent's certificate (verification is skipped only "
            "for 127.0.0.1/::1/localhost)")

# OpenSSL reasons for an alert the server sends when it wants a client certificate we did not send, or rejects
# the one we sent. TLS 1.3 delivers them on the first read after the handshake, not during connect().
_CERT_REQUIRED_REASONS = frozenset({"TLSV13_ALERT_CERTIFICATE_REQUIRED", "SSLV3_ALERT_HANDSHAKE_FAILURE"})
_CERT_REJECTED_REASONS = frozenset({
    "SSLV3_ALERT_BAD_CERTIFICATE", "TLSV1_ALERT_UNKNOWN_CA", "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
    "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE", "SSLV3_ALERT_CERTIFICATE_EXPIRED", "TLSV1_ALERT_ACCESS_DENIED",
    "SSLV3_ALERT_CERTIFICATE_REVOKED", "TLSV1_ALERT_DECRYPT_ERROR",
})


class AgentApiError(ScannerError):
    """The Job Management API call failed."""


class AgentUnreachableError(AgentApiError):
    """Nothing answered at the API base URL."""


class AgentTlsError(AgentApiError):
    """The TLS handshake failed: server certificate not trusted, or client certificate missing or refused."""


class AgentForbiddenError(AgentApiError):
    """403: TLS worked but the caller is not Admin-tier."""


class AgentNotFoundError(AgentApiError):
    """404: the job or the endpoint does not exist."""


class JobRejectedError(AgentApiError):
    """400: the agent refused the job; `errors` holds the agent's own reasons."""

    def __init__(self, message: str, errors: tuple[str, ...]) -> None:
        super().__init__(message)
        self.errors = errors


class AgentProtocolError(AgentApiError):
    """The agent answered something we do not understand (5xx, an unexpected status, a non-JSON body)."""


@dataclass(frozen=True)
class ApiTarget:
    """Where the agent's API is and which credentials prove we are an admin."""

    base_url: str = DEFAULT_API_BASE
    client_cert: Path | None = None
    client_key: Path | None = None
    ca_bundle: Path | None = None
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class Validation:
    """The agent's answer to POST /api/Jobs/validate."""

    valid: bool
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    job_id: str | None


@dataclass(frozen=True)
class _Reply:
    status: int
    body: object
    text: str


def split_base_url(url: str) -> HttpsBase:
    """The parts of an https --api-base; UsageError (naming scheme and host only) if it is not one."""
    return check_https_base(url, "--api-base", "; authenticate with --cert and --key")


def build_tls_context(target: ApiTarget) -> ssl.SSLContext:
    """TLS for the agent API under the one policy (secret_scanner.net.tls), with the admin client certificate."""
    if target.client_key is not None and target.client_cert is None:
        raise UsageError("--key needs --cert")
    client = ClientCertificate(target.client_cert, target.client_key) if target.client_cert is not None else None
    return build_client_context(split_base_url(target.base_url).host, target.ca_bundle, "--api-base",
                                client=client, ca_flag="--ca", refusal=_REFUSAL)


class JobApi:
    """The Job Management endpoints the deploy tool uses."""

    def __init__(self, target: ApiTarget) -> None:
        self._target = target
        base = split_base_url(target.base_url)
        self._host, self._port, self._base = base.host, base.port, base.url
        self._session = HttpsSession(build_tls_context(target), target.timeout_seconds, MAX_BODY_BYTES)

    def close(self) -> None:
        self._session.close()

    def validate(self, job_json: str) -> Validation:
        reply = self._call("POST", "/api/Jobs/validate", job_json, missing="the validate endpoint")
        body = _require_object(reply, "POST /api/Jobs/validate")
        valid = _field(body, "valid")
        if not isinstance(valid, bool):
            raise AgentProtocolError("POST /api/Jobs/validate answered without a boolean `valid`")
        job_id = _field(body, "jobId")
        return Validation(valid, _texts(_field(body, "errors")), _texts(_field(body, "warnings")),
                          job_id if isinstance(job_id, str) else None)

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        """The stored job definition, or None when the agent has no such job."""
        try:
            reply = self._call("GET", f"/api/Jobs/{_segment(job_id)}", None, missing=f"job {job_id!r}")
        except AgentNotFoundError:
            return None
        return _require_object(reply, f"GET /api/Jobs/{job_id}")

    def create_job(self, job_json: str) -> None:
        self._call("POST", "/api/Jobs", job_json, missing="the /api/Jobs endpoint")

    def update_job(self, job_id: str, job_json: str) -> None:
        self._call("PUT", f"/api/Jobs/{_segment(job_id)}", job_json, missing=f"job {job_id!r}")

    def trigger(self, job_id: str) -> None:
        self._call("POST", f"/api/Jobs/{_segment(job_id)}/trigger", "{}", missing=f"job {job_id!r}")

    def _call(self, method: str, path: str, body: str | None, missing: str) -> _Reply:
        reply = self._send(method, path, body)
        what = f"{method} {path}"
        if 200 <= reply.status < 300:
            return reply
        if reply.status == 400:
            errors = _error_texts(reply.body) or ((reply.text.strip()[:300],) if reply.text.strip() else ())
            raise JobRejectedError(f"{what}: the agent answered 400 (rejected)", errors)
        if reply.status in (401, 403):
            sent = (f"the client certificate {self._target.client_cert}" if self._target.client_cert
                    else "no client certificate")
            raise AgentForbiddenError(
                f"{what}: {reply.status} Forbidden. TLS succeeded, so this is the authorization tier: "
                "every /api/Jobs endpoint needs Admin-tier credentials and the agent did not accept "
                f"{sent} as admin. Pass --cert/--key with the admin client certificate your Keeper "
                "deployment team provisioned for this agent (a job task's Plugin-tier trust does not count)")
        if reply.status == 404:
            raise AgentNotFoundError(
                f"{what}: 404: the agent has no {missing}. If this is a job, GET /api/Jobs lists what "
                f"exists; if it is an endpoint, check --api-base ({self._target.base_url}) points at the "
                "agent's HTTPS port (Settings:KestrelHttpsPort)")
        raise AgentProtocolError(
            f"{what}: unexpected {reply.status} from the agent: {reply.text.strip()[:300]}")

    def _send(self, method: str, path: str, body: str | None) -> _Reply:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            reply = self._session.request(method, self._base + path,
                                          body=body.encode() if body is not None else None, headers=headers)
        except DeadlineExceeded as exc:
            raise AgentUnreachableError(
                f"{self._where()}: no answer within {self._target.timeout_seconds:g} s") from exc
        except ResponseTooLarge as exc:
            raise AgentProtocolError(f"{self._where()}: {method} {path}: {exc}") from exc
        except TransportError as exc:
            raise self._explain(exc.cause) from exc
        text = reply.body.decode("utf-8", errors="replace")
        try:
            parsed: object = json.loads(text) if text.strip() else None
        except json.JSONDecodeError:
            parsed = None
        return _Reply(reply.status, parsed, text)

    def _explain(self, cause: BaseException) -> AgentApiError:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return AgentTlsError(self._explain_untrusted(cause))
        if isinstance(cause, ssl.SSLError):
            return AgentTlsError(self._explain_tls_alert(cause))
        if isinstance(cause, ConnectionRefusedError):
            return AgentUnreachableError(
                f"{self._where()}: connection refused: the agent is not running, or its HTTPS port is not "
                f"{self._port} (Settings:KestrelHttpsPort in appsettings.json)")
        # http.client.RemoteDisconnected is a ConnectionResetError: the agent hung up, as it may on a refused cert.
        if isinstance(cause, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
            return AgentTlsError(self._explain_hangup(cause))
        return AgentUnreachableError(f"{self._where()}: cannot connect: {cause}")

    def _where(self) -> str:
        return f"{self._host}:{self._port}"

    def _explain_untrusted(self, exc: ssl.SSLCertVerificationError) -> str:
        return (f"{self._where()}: the agent's TLS certificate is not trusted ({exc.verify_message}): "
                "pass --ca with the CA bundle that issued it (exported by your Keeper administrator); "
                "on a loopback URL you may omit --ca to skip verification")

    def _explain_tls_alert(self, exc: ssl.SSLError) -> str:
        # An agent that refuses the certificate may just close the connection mid-handshake (SSLEOFError).
        hangup = isinstance(exc, ssl.SSLEOFError)
        reason = exc.reason or ("connection closed during TLS" if hangup else type(exc).__name__)
        if self._target.client_cert is None and (reason in _CERT_REQUIRED_REASONS or hangup):
            return (f"{self._where()}: the agent requires a client certificate (mutual TLS, {reason}): pass "
                    "--cert and --key with the admin client certificate from your Keeper deployment team")
        if self._target.client_cert is not None and (
                hangup or reason in _CERT_REJECTED_REASONS | _CERT_REQUIRED_REASONS):
            return (f"{self._where()}: the agent refused the client certificate {self._target.client_cert} "
                    f"({reason}): it is probably not issued by a CA this agent trusts for admins; use the "
                    "admin certificate provisioned for this agent")
        return f"{self._where()}: TLS failed ({reason}); check --api-base, --ca, --cert and --key"

    def _explain_hangup(self, exc: BaseException) -> str:
        if self._target.client_cert is None:
            return (f"{self._where()}: the agent closed the connection during TLS ({type(exc).__name__}); it "
                    "probably requires a client certificate: pass --cert and --key")
        return (f"{self._where()}: the agent closed the connection ({type(exc).__name__}); it may have "
                f"refused the client certificate {self._target.client_cert}")


def _segment(job_id: str) -> str:
    return quote(job_id, safe="")


def _require_object(reply: _Reply, what: str) -> dict[str, Any]:
    if not isinstance(reply.body, dict):
        raise AgentProtocolError(f"{what}: expected a JSON object, got: {reply.text.strip()[:200]!r}")
    return reply.body


def _field(body: dict[str, Any], name: str) -> object:
    """ASP.NET may serialise camelCase or PascalCase; accept either."""
    if name in body:
        return body[name]
    lowered = name.lower()
    for key, value in body.items():
        if key.lower() == lowered:
            return value
    return None


def _texts(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(_text_of(item) for item in value)
    if isinstance(value, dict):
        # ASP.NET ProblemDetails: {"field": ["message", ...]}
        return tuple(f"{key}: {_text_of(item)}" for key, items in value.items()
                     for item in (items if isinstance(items, list) else [items]))
    return (str(value),)


def _text_of(item: object) -> str:
    if isinstance(item, dict):
        for key in ("message", "Message", "error", "description"):
            if isinstance(item.get(key), str):
                return str(item[key])
        return json.dumps(item)
    return str(item)


def _error_texts(body: object) -> tuple[str, ...]:
    if isinstance(body, dict):
        errors = _texts(_field(body, "errors"))
        if errors:
            return errors
        for key in ("message", "title", "detail"):
            text = _field(body, key)
            if isinstance(text, str) and text:
                return (text,)
    if isinstance(body, list):
        return _texts(body)
    return ()
