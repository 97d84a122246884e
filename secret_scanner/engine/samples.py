"""Published samples and documentation passwords: values that say by themselves they are no live secret.

- Published sample values (AWS's documentation keys, the Azurite storage-emulator key, the jwt.io token and
  any JWT that carries jwt.io's sample claims) are named, so a report can say "sample".
- Documentation passwords: a common sample word (`password`, `admin`, `changeme`, `testing` ...) after undoing
  leetspeak, with at most a short number or symbol tail (`Testing@123`, `Admin12345`, `B0bP4ssw0rd`); and values
  whose letters only repeat their place (`zabbix-server` in a zabbix role, `cisco` under cisco/, `raven` in
  ravendb setup). Such a value may still be somebody's password, so the finding is lowered, not dropped.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import re

_SAMPLES = {
    "AKIAIOSFODNN7EXAMPLE": "AWS documentation access key",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY": "AWS documentation secret key",
    "AKIAI44QH8DHBEXAMPLE": "AWS documentation access key",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY": "AWS documentation secret key",
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==":
        "Azurite / Azure Storage Emulator account key",
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==":
        "Azure Cosmos DB Emulator key",
    "2YotnFZFEjr1zCsicMWpAA": "RFC 6749 example access token",
    "tGzv3JOkF0XG5Qx2TlKWIA": "RFC 6749 example refresh token",
    "testing123": "FreeRADIUS documented default shared secret",
}
# jwt.io's default token: {"sub": "1234567890", "name": "John Doe", "iat": 1516239022}, copied into countless
# READMEs and API docs, often with claims added or removed.
_JWT_IO_IAT = 1516239022
_JWT_IO_SUBJECT = "1234567890"
_JWT_IO_NAME = "John Doe"
_JWT = re.compile(r"^eyJ[A-Za-z0-9_-]{2,8192}\.(eyJ[A-Za-z0-9_-]{2,8192})\.")


def name_published_sample(secret: str) -> str | None:
    """The name of a published sample or development value (docs keys, emulator keys, jwt.io), else None."""
    name = _SAMPLES.get(secret)
    if name is not None:
        return name
    return "jwt.io sample token" if has_jwt_io_claims(secret) else None


def has_jwt_io_claims(secret: str) -> bool:
    """A JWT whose payload is jwt.io's sample: iat 1516239022, or sub 1234567890 with the name John Doe."""
    match = _JWT.match(secret)
    if match is None:
        return False
    payload = match.group(1)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    if not isinstance(claims, dict):
        return False
    return claims.get("iat") == _JWT_IO_IAT or (
        str(claims.get("sub")) == _JWT_IO_SUBJECT and claims.get("name") == _JWT_IO_NAME)


# -- documentation passwords ------------------------------------------------------------------------------

_SAMPLE_WORDS = frozenset({
    "password", "passwd", "pass", "pwd", "secret", "test", "testing", "tester", "admin", "administrator",
    "changeme", "welcome", "default", "demo", "example", "sample", "letmein", "qwerty", "root", "guest",
    "user", "mypassword", "somepassword", "login", "foobar", "foo", "bar", "hello", "toor",
})
_SAMPLE_PREFIXES = frozenset({"my", "some", "the", "your", "new", "old", "super"})
_LEET = str.maketrans({"0": "o", "3": "e", "4": "a", "5": "s", "@": "a", "$": "s", "!": "i"})
_TAIL = re.compile(r"[^A-Za-z]{0,6}$")
_LETTERS = re.compile(r"[a-z]+")
_MAX_SAMPLE = 40


def _cores(secret: str) -> list[str]:
    """The value's letter core with each short number/symbol tail cut off and leetspeak undone."""
    cores = []
    tail = _TAIL.search(secret)
    shortest = tail.start() if tail else len(secret)
    for cut in range(len(secret), shortest - 1, -1):
        head = secret[:cut].lower().translate(_LEET)
        for one in ("i", "l"):
            core = head.replace("1", one)
            if core.isalpha() and core.isascii():
                cores.append(core)
    return cores


def _is_sample_phrase(core: str, prefix_used: bool = False) -> bool:
    """The core is one or more sample words, optionally after one short word (`bob`, `tme`, `my`)."""
    if core in _SAMPLE_WORDS:
        return True
    for end in range(2, len(core)):
        head, rest = core[:end], core[end:]
        if head in _SAMPLE_WORDS and _is_sample_phrase(rest, True):
            return True
        if not prefix_used and (head in _SAMPLE_PREFIXES or end <= 3) and _is_sample_phrase(rest, True):
            return True
    return False


def is_sample_password(secret: str) -> bool:
    """Testing@123, Admin12345, B0bP4ssw0rd, MyPassword123, TMEadm!n123, testing1234, rootpass: a sample word."""
    if len(secret) > _MAX_SAMPLE:
        return False
    return any(_is_sample_phrase(core) for core in _cores(secret))


def echoes_its_place(secret: str, lower_path: str, key: str | None) -> bool:
    """The value's letters only repeat a directory name of its path or its key (`zabbix-server` under
    roles/zabbix_server/, `Cisco#123` under cisco/, `raven` in a ravendb playbook): a product's sample value."""
    if len(secret) > _MAX_SAMPLE:
        return False
    names = lower_path.replace("\\", "/").split("/")[:-1] + ([key.lower()] if key else [])
    words = {word for name in names for word in _LETTERS.findall(name) if len(word) >= 4}
    for core_text in {secret.lower().translate(_LEET).replace("1", "i")} | set(_cores(secret)):
        letters = _LETTERS.findall(core_text)
        if letters and sum(map(len, letters)) >= 4 and all(
                any(word.startswith(part) or part == word for word in words) and len(part) >= 4 for part in letters):
            return True
    return False


# -- signed URLs ------------------------------------------------------------------------------------------

_PRESIGNED_CREDENTIAL = re.compile(r"(?i)[?&;]x-amz-credential=$")
_SAS_EXPIRY = re.compile(r"[?&;]se=(\d{4})-(\d{2})-(\d{2})")


def explain_signed_url(prefix: str) -> str | None:
    """Why a value inside a signed URL is no standing credential: an AWS presigned URL names its access key ID by
    design (the secret key is not in it); an Azure SAS whose `se=` expiry date has passed no longer works."""
    if _PRESIGNED_CREDENTIAL.search(prefix):
        return "access key ID of a presigned URL (public by design; the secret key is not in it)"
    url = (prefix[-1024:].split() or [""])[-1]
    expiries = list(_SAS_EXPIRY.finditer(url))
    if not expiries:
        return None
    expiry = expiries[-1]
    try:
        expires = datetime.date(int(expiry.group(1)), int(expiry.group(2)), int(expiry.group(3)))
    except ValueError:
        return None
    return "expired SAS token" if expires < datetime.datetime.now(datetime.UTC).date() else None
