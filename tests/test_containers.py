"""Credential containers are reported by file even when no content rule fires; each kind generated here.

KeePass, keystore and keytab files are their magic bytes plus random bytes; the .pfx files are real PKCS#12
made by `cryptography` around a fresh key; text formats carry specimen values.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, NoEncryption, PrivateFormat, pkcs12
from cryptography.x509.oid import NameOID

from secret_scanner.catalog import specimen
from secret_scanner.catalog.containers import CONTAINER_KINDS
from secret_scanner.cli import scanner as cli
from secret_scanner.engine import containers
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.engine.scan import ScanOptions, scan
from secret_scanner.model import Finding, ScanResult


def _scan(root: Path) -> ScanResult:
    return scan(ScanOptions(roots=(root,)), Fingerprinter(b"k" * 32, "test"))


def _containers(result: ScanResult, root: Path) -> dict[str, Finding]:
    return {Path(f.path).relative_to(root).as_posix(): f for f in result.findings if f.rule_id.startswith("container.")}


def _pfx(password: bytes | None, with_key: bool = True, rounds: int | None = None) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test.invalid")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now)
                   .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    if not password:  # cryptography writes "no password" as unencrypted bags under an empty-password MAC
        encryption = NoEncryption()
    elif rounds is not None:
        encryption = PrivateFormat.PKCS12.encryption_builder().kdf_rounds(rounds).build(password)
    else:
        encryption = BestAvailableEncryption(password)
    if not with_key:
        return pkcs12.serialize_key_and_certificates(b"c", None, certificate, None, encryption)
    return pkcs12.serialize_key_and_certificates(b"k", key, certificate, None, encryption)


def _tfstate(sensitive: bool) -> bytes:
    outputs = {"db_password": {"value": specimen.make("password", "20"), "type": "string", "sensitive": True}}
    state = {"version": 4, "terraform_version": "1.7.0", "outputs": outputs if sensitive else {},
             "resources": [{"type": "aws_instance", "name": "web",
                            "instances": [{"attributes": {"ami": "ami-123", "password": "" if not sensitive else
                                                          specimen.make("password", "16")}}]}]}
    return json.dumps(state, indent=2).encode()


def _plant_every_kind(root: Path) -> None:
    files: dict[str, bytes] = {
        "vault/Passwords.kdbx": bytes.fromhex("03d9a29a67fb4bb5") + os.urandom(400),
        "certs/empty.pfx": _pfx(b""),
        "certs/locked.p12": _pfx(b"correct horse battery"),
        "java/server.jks": bytes.fromhex("feedfeed00000002") + os.urandom(300),
        "etc/krb5.keytab": b"\x05\x02" + os.urandom(200),
        "putty/open.ppk": specimen.make("ppk").encode(),
        "putty/locked.ppk": specimen.make("ppk", "encrypted").encode(),
        "vpn/client.ovpn": (b"client\nremote vpn.example.com 1194\n<key>\n"
                            + specimen.make("pem", "rsa").encode() + b"</key>\n"),
        "rdcman/servers.rdg": (b'<?xml version="1.0"?>\n<RDCMan><logonCredentials><userName>admin</userName>'
                               b"<password>" + specimen.make("b64", "120").encode() + b"</password>"
                               b"</logonCredentials></RDCMan>\n"),
        "mremoteng/confCons.xml": (b'<?xml version="1.0"?>\n<mrng:Connections><Node Name="db" Username="sa" '
                                   b'Password="' + specimen.make("b64", "64").encode() + b'" /></mrng:Connections>\n'),
        "infra/terraform.tfstate": _tfstate(True),
        ".config/gcloud/credentials.db": b"SQLite format 3\x00" + os.urandom(500),
        ".config/gcloud/access_tokens.db": b"SQLite format 3\x00" + os.urandom(500),
        ".azure/msal_token_cache.json": json.dumps({"RefreshToken": {"x": {
            "credential_type": "RefreshToken", "secret": specimen.make("b64url", "200")}}}).encode(),
    }
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_every_container_kind_is_reported_with_its_severity(tmp_path: Path) -> None:
    _plant_every_kind(tmp_path)
    found = {path: (f.rule_id, f.severity.value) for path, f in _containers(_scan(tmp_path), tmp_path).items()}
    assert found == {
        "vault/Passwords.kdbx": ("container.keepass", "high"),
        "certs/empty.pfx": ("container.pkcs12", "critical"),
        "certs/locked.p12": ("container.pkcs12", "high"),
        "java/server.jks": ("container.java-keystore", "high"),
        "etc/krb5.keytab": ("container.kerberos-keytab", "critical"),
        "putty/open.ppk": ("container.putty-ppk", "critical"),
        "putty/locked.ppk": ("container.putty-ppk", "medium"),
        "vpn/client.ovpn": ("container.openvpn-profile", "high"),
        "rdcman/servers.rdg": ("container.rdcman", "high"),
        "mremoteng/confCons.xml": ("container.mremoteng", "critical"),
        "infra/terraform.tfstate": ("container.terraform-state", "high"),
        ".config/gcloud/credentials.db": ("container.gcloud-token-cache", "high"),
        ".config/gcloud/access_tokens.db": ("container.gcloud-token-cache", "high"),
        ".azure/msal_token_cache.json": ("container.azure-token-cache", "high"),
    }
    assert {kind.rule_id for kind in CONTAINER_KINDS} == {rule for rule, _ in found.values()}


def test_the_pfx_message_says_whether_it_opens_with_an_empty_password(tmp_path: Path) -> None:
    _plant_every_kind(tmp_path)
    found = _containers(_scan(tmp_path), tmp_path)
    assert "opens with an empty password" in found["certs/empty.pfx"].description
    assert "password-protected" in found["certs/locked.p12"].description


def test_lookalikes_are_not_reported(tmp_path: Path) -> None:
    files = {
        "notes.kdbx": b"just a text file named like a vault\n",  # wrong magic
        "bundle.pfx": _pfx(None, with_key=False),  # a certificate bundle without a private key
        "client.ovpn": b"client\nremote vpn.example.com 1194\nca ca.crt\ncert c.crt\nkey c.key\n",
        "servers.rdg": b"<RDCMan><server><name>db01</name></server></RDCMan>\n",
        "confCons.xml": b'<Connections><Node Name="db" Password="" /></Connections>\n',
        "terraform.tfstate": _tfstate(False),
        "cache/credentials.db": b"SQLite format 3\x00" + bytes(100),  # not in a gcloud folder
        ".azure/msal_token_cache.json": b"{}\n",
        "broken.tfstate": b'{"outputs": ' + b"[" * 100_000,
    }
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    result = _scan(tmp_path)
    assert _containers(result, tmp_path) == {} and result.complete


def test_a_container_inside_an_archive_is_reported_under_its_member_name(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("home/backup/Passwords.kdbx", bytes.fromhex("03d9a29a67fb4bb5") + os.urandom(64))
        archive.writestr("certs/empty.pfx", _pfx(b""))
    (tmp_path / "handover.zip").write_bytes(buffer.getvalue())
    assert sorted(_containers(_scan(tmp_path), tmp_path)) == ["handover.zip!certs/empty.pfx",
                                                              "handover.zip!home/backup/Passwords.kdbx"]


def test_the_fingerprint_is_the_files_and_the_preview_shows_no_content(tmp_path: Path) -> None:
    body = bytes.fromhex("03d9a29a67fb4bb5") + os.urandom(64)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.kdbx").write_bytes(body)
    (tmp_path / "copy.kdbx").write_bytes(body)
    (tmp_path / "other.kdbx").write_bytes(bytes.fromhex("03d9a29a67fb4bb5") + os.urandom(64))
    found = _containers(_scan(tmp_path), tmp_path)
    assert found["a/one.kdbx"].fingerprint == found["copy.kdbx"].fingerprint != found["other.kdbx"].fingerprint
    assert found["copy.kdbx"].redacted == "KeePass password database, 72 bytes"
    assert found["copy.kdbx"].line == 1 and found["copy.kdbx"].confidence.value == "high"


def test_a_pfx_with_a_costly_key_derivation_is_not_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(containers, "_MAX_ITERATIONS", 3000)
    (tmp_path / "slow.pfx").write_bytes(_pfx(b"pw", rounds=5000))
    monkeypatch.setattr(containers, "_open_with_empty_password", lambda data: pytest.fail("must not open"))
    finding = _containers(_scan(tmp_path), tmp_path)["slow.pfx"]
    assert finding.severity.value == "high" and "Not checked" in finding.description


def test_list_rules_lists_the_container_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--list-rules"]) == 0
    out = capsys.readouterr().out
    for kind in CONTAINER_KINDS:
        assert kind.rule_id in out
    assert f"{len(CONTAINER_KINDS)} credential container kinds" in out


def test_every_kind_cites_documentation() -> None:
    for kind in CONTAINER_KINDS:
        assert kind.references and all(ref.startswith("https://") for ref in kind.references), kind.id
        assert kind.names and kind.why.endswith(".")
