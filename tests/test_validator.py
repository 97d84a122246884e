"""Named validators: genuine specimens pass, tampered or malformed values fail."""

from __future__ import annotations

import base64
import json

import pytest

from secret_scanner.catalog import specimen
from secret_scanner.catalog import validators as validator


@pytest.mark.parametrize("prefix", ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"])
def test_github_crc32(prefix: str) -> None:
    token = specimen.make("github", prefix)
    assert validator.validate("github_crc32", token)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert not validator.validate("github_crc32", tampered)
    assert not validator.validate("github_crc32", token[:-1])
    assert not validator.validate("github_crc32", "xyz_" + token[4:])


def test_npm_crc32() -> None:
    token = specimen.make("npm")
    assert validator.validate("npm_crc32", token)
    assert not validator.validate("npm_crc32", token[:10] + ("a" if token[10] != "a" else "b") + token[11:])


def test_jwt() -> None:
    token = specimen.make("jwt")
    assert validator.validate("jwt", token)
    no_alg = base64.urlsafe_b64encode(json.dumps({"typ": "JWT"}).encode()).rstrip(b"=").decode()
    assert not validator.validate("jwt", no_alg + "." + token.split(".", 1)[1])
    assert not validator.validate("jwt", "abc.def")
    assert not validator.validate("jwt", "eyJub3QganNvbg.e30.sig")


@pytest.mark.parametrize("kind", ["rsa", "ec", "dsa", "pkcs8", "openssh", "encrypted-pkcs8", "encrypted-rsa"])
def test_pem_private_key(kind: str) -> None:
    key = specimen.make("pem", kind)
    assert validator.validate("pem_private_key", key)
    assert validator.validate("pem_private_key", key.replace("\n", "\\n"))  # JSON-escaped
    assert validator.validate("pem_private_key", key.replace("\n", "\r\n"))


def test_pem_private_key_rejects_fakes() -> None:
    begin, end = "-----BEGIN " + "RSA PRIVATE KEY-----", "-----END " + "RSA PRIVATE KEY-----"
    assert not validator.validate("pem_private_key", f"{begin}\n...\n{end}")
    assert not validator.validate("pem_private_key", f"{begin}\n{'A' * 64}\n{'A' * 12}\n{end}")
    key = specimen.make("pem", "ec")
    assert not validator.validate("pem_private_key", key.replace("END EC", "END RSA"))


def test_ppk() -> None:
    assert validator.validate("pem_private_key", specimen.make("ppk"))
    assert not validator.validate("pem_private_key", "PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\n")


def test_base64_userpass() -> None:
    assert validator.validate("base64_userpass", base64.b64encode(b"alice:s3cr3t-Pass").decode())
    assert not validator.validate("base64_userpass", base64.b64encode(b"no colon here").decode())
    assert not validator.validate("base64_userpass", base64.b64encode(b"alice:").decode())
    assert not validator.validate("base64_userpass", "not base64 at all!")


def test_uuid() -> None:
    assert validator.validate("uuid", specimen.make("uuid"))
    assert not validator.validate("uuid", "1234")
