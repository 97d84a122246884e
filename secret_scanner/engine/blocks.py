"""The block reader: a file's text as UTF-8 windows of up to 4 MiB with overlapping context.

Lookbehinds and `^` see the real text before a block, a match that starts in a block's own region ends inside
it, and every rule resumes the next block where its last match ended, so no secret is lost or doubled at a
boundary (tests/test_chunking.py walks the edges).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from secret_scanner.catalog.rule import KEYWORD_WINDOW, MAX_MATCH_BYTES
from secret_scanner.engine import decoding as decoder

CHUNK_BYTES = 4 * 1024 * 1024
# Left context: lookbehinds and `^` see the real text before a block. Right margin: a match that starts in a
# block's own region ends inside the block (a match that reaches the block's end is a cut-off artifact), and
# so do the keyword windows of next-block matches that overlap it (both engines resume the next block alike).
LEFT_CONTEXT = MAX_MATCH_BYTES
RIGHT_MARGIN = 2 * MAX_MATCH_BYTES + KEYWORD_WINDOW

class Stopped(Exception):
    """Raised between blocks of a large file when the time budget or a stop request ends the scan."""


@dataclass
class Block:
    """A window of the file's UTF-8 text: `data` starts at absolute offset `base`; matches must start in
    [own_start, own_end). `resume` carries, per rule, where the previous block's last match ended."""

    data: bytes
    base: int
    own_start: int
    own_end: int
    final: bool
    lines_before: int
    chars_before: int  # characters between the last newline before `base` and `base`
    resume: dict[int, int]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and 1-based column in characters of the decoded text."""
        data = self.data
        line = self.lines_before + data.count(b"\n", 0, offset) + 1
        newline = data.rfind(b"\n", 0, offset)
        if newline >= 0:
            return line, decoder.count_chars(data[newline + 1:offset]) + 1
        return line, self.chars_before + decoder.count_chars(data[:offset]) + 1


def _read_utf8(first: bytes, handle: BinaryIO, encoding: decoder.Encoding) -> Iterator[bytes]:
    """The file's text as UTF-8 pieces: BOM skipped, UTF-16 transcoded incrementally."""
    transcode = decoder.make_transcoder(encoding)
    piece = first[encoding.skip:]
    if transcode is None and len(first) < CHUNK_BYTES + RIGHT_MARGIN:
        yield piece  # the whole file came in the first read: no second read just to see the end
        return
    while True:
        if transcode is None:
            if piece:
                yield piece
        else:
            text = transcode.decode(piece, final=not piece)
            if text:
                yield text.encode("utf-8", "surrogatepass")
            if not piece:
                return
        if not piece:
            return
        piece = handle.read(CHUNK_BYTES)


def split_blocks(first: bytes, handle: BinaryIO, encoding: decoder.Encoding,
            keep_going: Callable[[], bool] | None) -> Iterator[Block]:
    buffer = b""
    base = 0
    own_start = 0
    lines_before = 0
    chars_before = 0
    resume: dict[int, int] = {}
    for piece in _read_utf8(first, handle, encoding):
        buffer = buffer + piece if buffer else piece
        while len(buffer) - own_start >= CHUNK_BYTES + RIGHT_MARGIN:
            own_end = own_start + CHUNK_BYTES
            yield Block(buffer[:own_end + RIGHT_MARGIN], base, own_start, own_end, False, lines_before,
                         chars_before, resume)
            if keep_going is not None and not keep_going():
                raise Stopped
            cut = own_end - LEFT_CONTEXT
            consumed = buffer[:cut]
            lines_before += consumed.count(b"\n")
            newline = consumed.rfind(b"\n")
            if newline >= 0:
                chars_before = decoder.count_chars(consumed[newline + 1:])
            else:
                chars_before += decoder.count_chars(consumed)
            buffer = buffer[cut:]
            base += cut
            own_start = LEFT_CONTEXT
    yield Block(buffer, base, own_start, len(buffer), True, lines_before, chars_before, resume)
