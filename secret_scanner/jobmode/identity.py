"""Who this job run is and how long it waits: KEEPER_JOB_ID checked against the broker's client-ID parsing,
the event topic, and the timing knobs read from the environment (production defaults when unset).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from secret_scanner.errors import ConfigError

log = logging.getLogger(__name__)

EXECUTABLE_TOKEN = "SecretScanner"  # noqa: S105 - the guide's {ExecutableToken}
JOB_ID_ENV = "KEEPER_JOB_ID"
FALLBACK_JOB_ID = "unknown"
RETRY_SECONDS_ENV = "SECRET_SCANNER_RETRY_SECONDS"
PUBACK_TIMEOUT_ENV = "SECRET_SCANNER_PUBACK_TIMEOUT"
HTTP_TIMEOUT_ENV = "SECRET_SCANNER_HTTP_TIMEOUT"
DEFAULT_RETRY_SECONDS = 10.0
DEFAULT_PUBACK_TIMEOUT = 30.0
DEFAULT_HTTP_TIMEOUT = 10.0
_TOPIC_FORBIDDEN = set("+#\x00")


@dataclass(frozen=True)
class JobIdentity:
    """`declared` is False when the agent set no KEEPER_JOB_ID (the job JSON declares no mqttTopics)."""

    job_id: str
    declared: bool

    def client_id(self, pid: int) -> str:
        return f"{self.job_id}_{EXECUTABLE_TOKEN}_{pid}"


@dataclass(frozen=True)
class Timing:
    retry_seconds: float = DEFAULT_RETRY_SECONDS
    puback_timeout: float = DEFAULT_PUBACK_TIMEOUT
    http_timeout: float = DEFAULT_HTTP_TIMEOUT


def resolve_job_identity(environ: Mapping[str, str]) -> JobIdentity:
    """KEEPER_JOB_ID, checked; ConfigError (with the fix) for an id the broker would mis-parse."""
    job_id = environ.get(JOB_ID_ENV, "").strip()
    if not job_id:
        log.warning(
            "%s is not set: the job JSON declares no mqttTopics, so the broker will likely refuse our "
            'messages; add "KeeperLogger" to mqttTopics.allowedPublications in the job JSON. Using job id '
            "%r in the MQTT client ID meanwhile",
            JOB_ID_ENV,
            FALLBACK_JOB_ID,
        )
        return JobIdentity(FALLBACK_JOB_ID, declared=False)
    if "_" in job_id:
        raise ConfigError(
            f"{JOB_ID_ENV}={job_id!r} contains an underscore: the broker splits the MQTT client ID on '_' "
            f"and would refuse our publishes. Rename the job to {job_id.replace('_', '-')!r} "
            "(id and file name, hyphens only)"
        )
    if any(c in _TOPIC_FORBIDDEN or c == "/" or c.isspace() for c in job_id):
        raise ConfigError(f"{JOB_ID_ENV}={job_id!r} is not a usable job id: use letters, digits and hyphens")
    return JobIdentity(job_id, declared=True)


def read_timing(environ: Mapping[str, str]) -> Timing:
    """The test knobs; unset means the production defaults."""
    return Timing(
        retry_seconds=_read_seconds(environ, RETRY_SECONDS_ENV, DEFAULT_RETRY_SECONDS),
        puback_timeout=_read_seconds(environ, PUBACK_TIMEOUT_ENV, DEFAULT_PUBACK_TIMEOUT),
        http_timeout=_read_seconds(environ, HTTP_TIMEOUT_ENV, DEFAULT_HTTP_TIMEOUT),
    )


def event_topic_for(identity: JobIdentity, override: str | None) -> str | None:
    if override is not None:
        if not override or any(c in _TOPIC_FORBIDDEN for c in override):
            raise ConfigError(f"event topic {override!r} is not a valid MQTT topic name (no + or #)")
        return override
    return f"Jobs/{identity.job_id}/events" if identity.declared else None


def _read_seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    text = environ.get(name)
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"${name} must be a number of seconds (got {text!r})") from None
    if not value >= 0 or value > 86400:
        raise ConfigError(f"${name} must be between 0 and 86400 seconds (got {text!r})")
    return value
