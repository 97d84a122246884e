"""From file bytes to scannable bytes: encoding sniffing (BOMs, UTF-16 without BOM), the binary heuristic,
incremental transcoding of UTF-16 to UTF-8, and character columns.

The engine scans UTF-8 bytes. ASCII and UTF-8 files are scanned as they are (no decode at all unless a rule
fires); UTF-16 LE/BE files are transcoded to UTF-8 incrementally; a UTF-8 BOM is skipped so that columns
count characters of the text.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

SNIFF_BYTES = 8192
# Bytes below 0x20 that text files contain routinely: TAB LF VT FF CR, ESC (ANSI colour in logs), BS.
_TEXT_CONTROLS = b"\t\n\x0b\x0c\r\x1b\x08"
_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in _TEXT_CONTROLS) + b"\x7f"
CONTROL_RATIO_LIMIT = 0.10
# In UTF-16 text of mostly ASCII, one byte of each pair is NUL: demand it in most pairs.
_UTF16_NUL_SHARE = 0.6
_UTF16_OTHER_LANE = 0.05


@dataclass(frozen=True)
class Encoding:
    """How to read a file: `codec` is None for bytes scanned as they are (ASCII/UTF-8), else UTF-16."""

    name: str
    skip: int = 0
    codec: str | None = None

    @property
    def is_binary(self) -> bool:
        return self.name == "binary"


UTF8 = Encoding("utf-8")
UTF8_BOM = Encoding("utf-8-sig", skip=3)
UTF16_LE_BOM = Encoding("utf-16-le", skip=2, codec="utf-16-le")
UTF16_BE_BOM = Encoding("utf-16-be", skip=2, codec="utf-16-be")
UTF16_LE = Encoding("utf-16-le", codec="utf-16-le")
UTF16_BE = Encoding("utf-16-be", codec="utf-16-be")
BINARY = Encoding("binary")


def sniff(head: bytes) -> Encoding:
    """Decide from the first bytes of a file (up to SNIFF_BYTES) how to read it.

    Binary heuristic: a file is binary when its head has NUL bytes that are not the pattern of UTF-16 text
    (NUL in most even or most odd positions), or when more than 10% of its head are control bytes other
    than TAB, LF, VT, FF, CR, ESC and BS.
    """
    if head.startswith(codecs.BOM_UTF8):
        return UTF8_BOM
    if head.startswith(codecs.BOM_UTF16_LE) and not head.startswith(codecs.BOM_UTF32_LE):
        return UTF16_LE_BOM
    if head.startswith(codecs.BOM_UTF16_BE):
        return UTF16_BE_BOM
    if b"\x00" in head:
        return _sniff_utf16(head)
    if head and len(head) - len(head.translate(None, _CONTROL_BYTES)) > CONTROL_RATIO_LIMIT * len(head):
        return BINARY
    return UTF8


def _sniff_utf16(head: bytes) -> Encoding:
    even = head[0::2]
    odd = head[1::2]
    pairs = len(head) // 2
    if pairs < 2:
        return BINARY
    odd_nuls = odd.count(0)
    even_nuls = even.count(0)
    # Non-Latin-1 characters put a NUL in the other lane now and then (U+0100 is 00 01 in LE).
    if odd_nuls >= _UTF16_NUL_SHARE * pairs and even_nuls <= _UTF16_OTHER_LANE * pairs:
        return UTF16_LE if _plausible_utf16(head, "utf-16-le") else BINARY
    if even_nuls >= _UTF16_NUL_SHARE * pairs and odd_nuls <= _UTF16_OTHER_LANE * pairs:
        return UTF16_BE if _plausible_utf16(head, "utf-16-be") else BINARY
    return BINARY


def _plausible_utf16(head: bytes, codec: str) -> bool:
    text = head[: len(head) // 2 * 2].decode(codec, errors="replace")
    controls = sum(1 for char in text if ord(char) < 0x20 and char not in "\t\n\x0b\x0c\r\x1b\x08")
    return controls <= CONTROL_RATIO_LIMIT * max(1, len(text))


def make_transcoder(encoding: Encoding) -> codecs.IncrementalDecoder | None:
    """An incremental decoder for UTF-16 (None for bytes scanned as they are): blocks may split a unit."""
    if encoding.codec is None:
        return None
    return codecs.getincrementaldecoder(encoding.codec)(errors="replace")


def count_chars(data: bytes) -> int:
    """Characters in UTF-8 bytes: every byte that is not a continuation byte (10xxxxxx) starts one."""
    if data.isascii():
        return len(data)
    return len(data) - sum(1 for b in data if 0x80 <= b < 0xC0)


def to_text(data: bytes) -> str:
    """The captured secret as text; invalid UTF-8 keeps its bytes distinct (fingerprints stay byte-exact)."""
    return data.decode("utf-8", errors="surrogateescape")
