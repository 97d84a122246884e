"""Names are data: file names written losslessly where a program reads them and visibly where a person does.

On POSIX a file name is bytes; Python carries undecodable bytes as lone surrogates (surrogateescape), which
no UTF-8 writer accepts. A name may also hold newlines, ANSI escapes, CR or bidi overrides (U+202E) that
forge rows in a terminal or a log. So:
- `show_name`: for a person (terminal, text report, KeeperLogger, stderr): control, bidi and undecodable
  characters become visible escapes (`\\x1b`, `\\u202e`, `\\xff`); nothing else changes.
- `json_safe`: JSON text whose lone surrogates are written as `\\udcff` escapes (valid JSON, lossless:
  Python's json.loads gives back the surrogateescape string, os.fsencode the original bytes).
- `uri_path`: percent-encoded original bytes, for SARIF URIs.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote, urlsplit

# C0, DEL, C1, bidi embeddings/overrides/isolates and marks, line and paragraph separators, BOM, lone
# surrogates. Backslash stays as it is: Windows paths are full of them.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff"
                     "\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte carried by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def show_name(text: str) -> str:
    """`text` with control, bidi and undecodable characters as visible escapes (one line, no forged rows)."""
    return _UNSAFE.sub(_escape, text)


def has_unsafe_characters(text: str) -> bool:
    return _UNSAFE.search(text) is not None


def json_safe(text: str) -> str:
    """JSON text (from json.dumps(ensure_ascii=False)) with lone surrogates as \\uXXXX escapes: encodable."""
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def uri_path(path: str) -> str:
    """The path's original bytes, percent-encoded (undecodable bytes as %FF), '/' kept."""
    return quote(os.fsencode(path) if os.name == "posix" else path.encode("utf-8", "surrogatepass"))


def show_url(url: str) -> str:
    """A URL as scheme, host and port only: credentials, a path, a query or a fragment may carry a secret."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")
