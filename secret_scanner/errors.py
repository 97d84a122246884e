"""Error families, one per layer. Messages name the URL, file or rule involved, never a secret value."""

from __future__ import annotations


class ScannerError(Exception):
    """Base of every error this program raises on purpose."""


class UsageError(ScannerError):
    """Bad command-line arguments (exit code 2)."""


class ConfigError(ScannerError):
    """Bad configuration: config file, environment, job identity (exit code 2)."""


class StateError(ScannerError):
    """The state directory cannot be created or used safely (exit code 2)."""


class LockHeldError(ScannerError):
    """Another run holds the run lock (exit code 5)."""


class TlsPolicyError(ConfigError):
    """A peer would be contacted without the certificate verification our policy requires."""


class SettingsError(ScannerError):
    """Plugin Settings could not be read; callers fall back to the default broker address."""


class DeliveryError(ScannerError):
    """KeeperLogger messages could not be delivered (exit code 4)."""


class RuleError(ScannerError):
    """A rule file is malformed (a packaging defect: exit code 70 at run time, a test failure in CI)."""


class ReportError(ScannerError):
    """The report file could not be written (exit code 2: the path given is unusable)."""
