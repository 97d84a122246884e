"""The development agent's error families; each message is one line that says what to do."""

from __future__ import annotations

from secret_scanner.errors import ScannerError


class DevAgentError(ScannerError):
    """Base of every error the development agent raises on purpose."""


class JobFileError(DevAgentError):
    """A job file cannot be read or is not a JSON object."""


class EnvironmentFault(DevAgentError):
    """This machine cannot host the development agent: mosquitto missing, a port in use, a start failure."""
