"""The optional fleet config file beside the binary (`secret-scanner.toml`): org key, exclusions, limits."""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from secret_scanner.errors import ConfigError
from secret_scanner.model import CONFIDENCES, DEFAULT_MIN_CONFIDENCE, DEFAULT_MIN_SEVERITY, SEVERITIES

CONFIG_NAME = "secret-scanner.toml"
CONFIG_ENV = "SECRET_SCANNER_CONFIG"
MIN_ORG_KEY_LENGTH = 32


@dataclass(frozen=True)
class Config:
    source: Path | None = None
    fingerprint_key: str | None = None
    exclude: tuple[str, ...] = ()
    extra_paths: tuple[str, ...] = ()
    time_budget_seconds: float = 2700.0
    max_file_bytes: int = 50 * 1024 * 1024
    max_finding_messages: int = 100
    event_topic: str | None = None
    # What is reported: findings below either floor are only counted (report stats.below_threshold).
    min_confidence: str = DEFAULT_MIN_CONFIDENCE
    min_severity: str = DEFAULT_MIN_SEVERITY
    # how often active findings are announced again (0: every run); fingerprints the fleet accepts.
    resend_active_hours: float = 24.0
    ignore_fingerprints: tuple[str, ...] = ()
    # Archive limits (engine/archives.py ArchiveLimits); archive_max_depth = 0 leaves archives unopened.
    archive_max_depth: int = 3
    archive_max_members: int = 10_000
    archive_max_bytes: int = 256 * 1024 * 1024
    archive_max_ratio: float = 100.0
    archive_max_seconds: float = 60.0


def locate_config() -> Path | None:
    """The config path: $SECRET_SCANNER_CONFIG, else the file beside the frozen binary, if present."""
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit)
    if getattr(sys, "frozen", False):
        candidate = Path(sys.executable).resolve().parent / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    known = {
        "fingerprint_key", "exclude", "extra_paths", "time_budget_seconds",
        "max_file_bytes", "max_finding_messages", "event_topic", "min_confidence", "min_severity",
        "resend_active_hours", "ignore_fingerprints", *_ARCHIVE_KEYS,
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"config file {path}: unknown keys {', '.join(unknown)}")
    key = data.get("fingerprint_key")
    # The key's value is itself a secret: name the problem, never echo it.
    if key is not None and (not isinstance(key, str) or len(key) < MIN_ORG_KEY_LENGTH):
        raise ConfigError(
            f"config file {path}: fingerprint_key must be a string of at least {MIN_ORG_KEY_LENGTH} characters"
        )
    return Config(
        source=path,
        fingerprint_key=key,
        exclude=_read_strings(data, "exclude", path),
        extra_paths=_read_strings(data, "extra_paths", path),
        time_budget_seconds=_read_number(data, "time_budget_seconds", 2700.0, path),
        max_file_bytes=int(_read_number(data, "max_file_bytes", 50 * 1024 * 1024, path)),
        max_finding_messages=int(_read_number(data, "max_finding_messages", 100, path)),
        event_topic=_read_optional_string(data, "event_topic", path),
        min_confidence=_read_choice(data, "min_confidence", CONFIDENCES, DEFAULT_MIN_CONFIDENCE, path),
        min_severity=_read_choice(data, "min_severity", SEVERITIES, DEFAULT_MIN_SEVERITY, path),
        resend_active_hours=_read_hours(data, path),
        ignore_fingerprints=_read_fingerprints(data, path),
        **_read_archive_limits(data, path),  # type: ignore[arg-type]
    )


def _read_strings(data: dict[str, object], key: str, path: Path) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"config file {path}: {key} must be a list of strings")
    return tuple(value)


def _read_number(data: dict[str, object], key: str, default: float, path: Path) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"config file {path}: {key} must be a positive number")
    return float(value)


def _read_optional_string(data: dict[str, object], key: str, path: Path) -> str | None:
    value = data.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise ConfigError(f"config file {path}: {key} must be a non-empty string")
    return value


def _read_choice(data: dict[str, object], key: str, choices: tuple[str, ...], default: str, path: Path) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(f"config file {path}: {key} must be one of {', '.join(choices)}")
    return value
# The lifecycle's resend interval and the fleet's accepted fingerprints --------------------------


def _read_hours(data: dict[str, object], path: Path) -> float:
    value = data.get("resend_active_hours", 24.0)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"config file {path}: resend_active_hours must be a number of hours, 0 or more")
    return float(value)


def _read_fingerprints(data: dict[str, object], path: Path) -> tuple[str, ...]:
    values = _read_strings(data, "ignore_fingerprints", path)
    bad = [v for v in values if len(v) != 32 or any(c not in "0123456789abcdefABCDEF" for c in v)]
    if bad:
        raise ConfigError(f"config file {path}: ignore_fingerprints must hold 32-hex-digit fingerprints "
                          f"({len(bad)} do not)")
    return tuple(v.lower() for v in values)


# Archive limits, read like the other limits (positive numbers; depth may be 0 to turn them off).
_ARCHIVE_KEYS = ("archive_max_depth", "archive_max_members", "archive_max_bytes", "archive_max_ratio",
                 "archive_max_seconds")


def _read_archive_limits(data: dict[str, object], path: Path) -> dict[str, float]:
    limits: dict[str, float] = {}
    depth = data.get("archive_max_depth", Config.archive_max_depth)
    if isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth <= 8:
        raise ConfigError(f"config file {path}: archive_max_depth must be an integer from 0 to 8")
    limits["archive_max_depth"] = depth
    for key in ("archive_max_members", "archive_max_bytes"):
        limits[key] = int(_read_number(data, key, getattr(Config, key), path))
    for key in ("archive_max_ratio", "archive_max_seconds"):
        limits[key] = _read_number(data, key, getattr(Config, key), path)
    return limits
