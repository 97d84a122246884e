"""SecretScanner: finds exposed credentials on endpoints and reports them, redacted, to KEPM's KeeperLogger."""

from __future__ import annotations

__version__ = "0.1.0"
