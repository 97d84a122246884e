"""Code-shaped values: what a keyed rule captures when the "value" after `password=` or `token:` is code.

Each predicate recognises one shape that source code puts where a config file puts a literal: a variable
(`set_admin`, `_password`), an attribute or optional chain (`connection.password`, `options2?.resumeToken`), a
JMESPath or module path (`Jobs[-1].JobId`, `.models.v1_secret`), a format token (`':response-time'`), a shell
substitution (`` `grep ...` ``), a `%{...}` or unclosed `{expr(` template, a versioned API path
(`v1/objects/encryption-keys`). They run with the placeholder filters (filters.py), so for every rule:
each one also requires the value to be made of real words (long letter runs), which random token material is
not, so a provider token that happens to contain a dot or an underscore is never taken for code.
"""

from __future__ import annotations

import re

# Letter runs of a name: camelCase humps, snake/kebab parts. Digits and punctuation separate.
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")
_SNAKE = re.compile(r"_*[a-z]+[0-9]{0,2}(?:_{1,2}[a-z]+[0-9]{0,2})*")
_CHAIN = re.compile(r"\.?[A-Za-z_$][\w$]*(?:\[-?\d{1,4}\])?(?:\??\.[A-Za-z_$][\w$]*(?:\[-?\d{1,4}\])?)+")
_VERSION = re.compile(r"(?<![A-Za-z])[vV]\d{1,2}(?![a-z])|\[-?\d{1,4}\]")
# Short words of code without a vowel.
_ABBREVIATIONS = frozenset({"db", "pw", "pwd", "id", "url", "ssl", "tls", "dns", "cmd", "src", "dst", "msg",
                            "ctx", "cfg", "str", "num", "tmp", "ssh", "sql", "jwt", "http", "xml", "rpc", "crl",
                            "passwd", "html", "https"})
_CONSONANTS = re.compile(r"[^aeiouy]{4,}")
_RELATIVE_MODULE = re.compile(r"\.{1,2}[a-z_][a-z0-9_]*")
_FORMAT_TOKEN = re.compile(r":[a-z]+(?:[-_][a-z]+)*")
_SUBSTITUTION = re.compile(r"^`|^%\{[^}]{0,64}(?:\}|$)|^\{[A-Za-z_][\w.]{0,64}(?:[(\[]|$)")
_SEGMENT = r"(?:v\d{1,2}(?:alpha|beta)?\d{0,2}|[a-z]+(?:[-_][a-z]+)*|\{\w+\})"
_API_PATH = re.compile(rf"/?{_SEGMENT}(?:/{_SEGMENT}){{1,8}}/?")


def _is_wordy(secret: str, minimum: float = 4.0) -> bool:
    """The letters of the value form words of a name (long, with vowels, no single letters), besides version
    marks such as `v1`: `onresumptiontoken`, `set_admin`, `.models.v1_secret`, not `Niosdgz3.Iu7`, `wxje_vpg`."""
    words = _WORD.findall(_VERSION.sub(" ", secret))
    if not words or any(len(word) < 2 or not _is_pronounceable(word) for word in words):
        return False
    letters = sum(len(word) for word in words)
    return letters / len(words) >= minimum and letters >= 0.6 * len(secret) and max(map(len, words)) >= 4


def _is_pronounceable(word: str) -> bool:
    lowered = word.lower()
    vowels = sum(1 for char in lowered if char in "aeiouy")
    if lowered in _ABBREVIATIONS:
        return True
    if len(word) <= 3:
        return vowels > 0
    if word.isupper():
        return len(word) <= 5  # an acronym (HTTP, JSON), not a random run of capitals
    return 4 * vowels >= len(lowered) and _CONSONANTS.search(lowered) is None


def is_snake_identifier(secret: str) -> bool:
    """set_admin, _password, current_password, _auth_user_id: a variable name, not a value."""
    return "_" in secret and _SNAKE.fullmatch(secret) is not None and _is_wordy(secret, 3.0)


def is_attribute_chain(secret: str) -> bool:
    """connection.password, options2?.onresumptiontoken, Jobs[-1].JobId, .models.v1_secret, .v1_secret: code."""
    shaped = _CHAIN.fullmatch(secret) is not None or _RELATIVE_MODULE.fullmatch(secret) is not None
    return shaped and _is_wordy(secret, 3.0)


def is_format_token(secret: str) -> bool:
    """':response-time', ':remote-addr': a logger's format token."""
    return _FORMAT_TOKEN.fullmatch(secret) is not None


def is_substitution(secret: str) -> bool:
    """`grep ...` (shell), %{string:Tmp-String-0} (FreeRADIUS unlang), {token.decode( (an f-string piece)."""
    return _SUBSTITUTION.search(secret) is not None


def is_api_path(secret: str) -> bool:
    """v1/objects/encryption-keys, oauth/token/{id}: a versioned resource path of words."""
    return _API_PATH.fullmatch(secret) is not None and _is_wordy(secret, 3.0)


CODE_SHAPES = (
    ("snake_case identifier", is_snake_identifier),
    ("attribute chain", is_attribute_chain),
    ("format token", is_format_token),
    ("substitution", is_substitution),
    ("api path", is_api_path),
)
