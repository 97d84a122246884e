"""The one check of an https base URL given on a command line (--keeper-api-base, --api-base).

An error names the URL by scheme and host only: user:password@, a path, a query or a fragment may carry a
secret, and a password holding '#' or '?' even moves part of itself into the fragment or query.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from secret_scanner.errors import UsageError

EXAMPLE_BASE = "https://127.0.0.1:6889"


@dataclass(frozen=True)
class HttpsBase:
    """A checked base URL: `url` without a trailing slash, and its parts."""

    url: str
    host: str
    port: int
    path: str  # the path prefix, without a trailing slash ("" for none)


def check_https_base(url: str, flag: str, hint: str = "") -> HttpsBase:
    """The parts of an https base URL; UsageError naming `flag` (never a credential, path or query) if not.

    `hint` ends the "no credentials" message with how the program authenticates instead.
    """
    parts = urlsplit(url)
    shown = f"{parts.scheme}://{parts.hostname or ''}"
    if parts.scheme != "https" or not parts.hostname:
        raise UsageError(f"{flag} must be an https URL with a host, e.g. {EXAMPLE_BASE} (got {shown!r})")
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        raise UsageError(f"{flag} must be scheme, host and port only, without credentials, query or fragment "
                         f"(got {shown!r}){hint}")
    try:
        port = parts.port or 443
    except ValueError as exc:
        raise UsageError(f"{flag} has an invalid port (host {parts.hostname!r})") from exc
    return HttpsBase(url.rstrip("/"), parts.hostname, port, parts.path.rstrip("/"))
