"""Archive and credential-container contexts for the benchmark corpus (issue #9).

Endpoints keep old credentials in config backups, deploy bundles, handover zips, `.jar` files and `.docx`
runbooks, and their most valuable credential files (a KeePass database, a `.pfx`, a keytab, a cloud CLI token
cache) match no content rule. This module adds both to each tree of `corpus.py`:

- archive members: the secret's manifest path names the member as the tools report it,
  `Users/alice/Documents/backup-x.zip!app/.env`, lines are lines of the member; context `archive:zip`,
  `archive:jar`, `archive:docx`, `archive:tar.gz`, `archive:gz`, `archive:nested` (three levels deep);
- containers: the whole file is the planted "secret" (all its lines), family `container-<kind>`, context
  `container:<kind>`; the manifest keeps the sha256 of the file.

Nothing here is written unpacked: every archive is built in memory and written once.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import io
import json
import random
import tarfile
import zipfile
from pathlib import Path

from bench.corpus import SEVERITY, UTF8, Draft, Endpoint, Negative, Plant

_WHEN = (2024, 3, 1, 9, 30, 0)
CONTAINER_SEVERITY = {
    "container-keepass": "high", "container-pkcs12": "critical", "container-java-keystore": "high",
    "container-kerberos-keytab": "critical", "container-openvpn-profile": "high", "container-rdcman": "high",
    "container-mremoteng": "critical", "container-terraform-state": "high", "container-gcloud-token-cache": "high",
    "container-azure-token-cache": "high",
}
# The manifest writer looks severities up in corpus.SEVERITY too.
SEVERITY.update(CONTAINER_SEVERITY)


def _record(ep: Endpoint, draft: Draft, display: str, context: str) -> bytes:
    """The member's bytes; its plants and negatives enter the manifest under the display path."""
    for start, end, family, _, value in draft.plants:
        ep.plants.append(Plant(ep.tree, display, start, end, family, SEVERITY[family], context,
                               draft.encoding.label(), hashlib.sha256(value.encode()).hexdigest()))
    for start, end, kind in draft.negatives:
        ep.negatives.append(Negative(ep.tree, display, start, end, kind))
    return draft.render()


def _write(ep: Endpoint, path: str, data: bytes) -> None:
    target = ep.root / ep.tree / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise ValueError(f"corpus generator wrote {path} twice")
    target.write_bytes(data)
    ep.files += 1
    ep.bytes += len(data)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, _WHEN), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed, \
            tarfile.open(fileobj=compressed, mode="w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 1_709_285_400, 0o640
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _config(ep: Endpoint, display: str, style: str, context: str, secrets: int = 3, negatives: int = 2) -> bytes:
    draft = ep.draft(display.rsplit("!", 1)[-1], UTF8)
    ep.mixed_config(draft, style, secrets, negatives)
    return _record(ep, draft, display, context)


def scenario_archives(ep: Endpoint, home: str) -> None:
    """A config backup, a deploy bundle, a jar, a runbook, a compressed config and a nested handover."""
    word = ep.mint.word
    docs = f"{home}/Documents"
    backup = f"{docs}/config-backup-{word()}.zip"
    _write(ep, backup, _zip({
        "app/.env": _config(ep, f"{backup}!app/.env", "env", "archive:zip"),
        "app/appsettings.json": _wrapped_json(ep, f"{backup}!app/appsettings.json", "archive:zip"),
        "README.txt": b"Backup of the app folder before the migration.\n",
    }))
    jar = f"{home}/apps/{word()}-service-1.4.2.jar"
    _write(ep, jar, _zip({
        "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\nMain-Class: org.example.App\n",
        "BOOT-INF/classes/application.properties": _config(
            ep, f"{jar}!BOOT-INF/classes/application.properties", "properties", "archive:jar"),
        "BOOT-INF/classes/org/example/App.class": b"\xca\xfe\xba\xbe" + ep.rng.randbytes(600),
    }))
    runbook = f"{docs}/runbook-{word()}.docx"
    _write(ep, runbook, _zip({
        "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
        "word/document.xml": _docx_body(ep, f"{runbook}!word/document.xml"),
    }))
    bundle = f"{home}/deploy/{word()}-release.tar.gz"
    _write(ep, bundle, _tar_gz({
        "etc/app/app.env": _config(ep, f"{bundle}!etc/app/app.env", "env", "archive:tar.gz"),
        "srv/config.yaml": _config(ep, f"{bundle}!srv/config.yaml", "yaml", "archive:tar.gz"),
    }))
    settings = f"{docs}/old/settings-{word()}.ini.gz"
    inner = settings.rsplit("/", 1)[-1][:-3]
    _write(ep, settings, gzip.compress(_config(ep, f"{settings}!{inner}", "ini", "archive:gz"), mtime=0))
    handover = f"{home}/Desktop/handover-{word()}.zip"
    deep = f"{handover}!bundle/configs.tar.gz!prod/secrets.zip!prod/.env"
    level3 = _zip({"prod/.env": _config(ep, deep, "env", "archive:nested", secrets=2, negatives=1)})
    level2 = _tar_gz({"prod/secrets.zip": level3})
    _write(ep, handover, _zip({"bundle/configs.tar.gz": level2, "notes.txt": b"See the wiki for access.\n"}))


def _wrapped_json(ep: Endpoint, display: str, context: str) -> bytes:
    draft = ep.draft(display.rsplit("!", 1)[-1], UTF8)
    draft.add("{")
    ep.mixed_config(draft, "json", 2, 2)
    draft.add('  "schema": 1')
    draft.add("}")
    return _record(ep, draft, display, context)


def _docx_body(ep: Endpoint, display: str) -> bytes:
    draft = ep.draft("document.xml", UTF8)
    draft.add('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')
    draft.add('<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
    draft.add("<w:p><w:r><w:t>Service account for the nightly export</w:t></w:r></w:p>")
    user, password = ep.rng.choice(("svc_export", "backup_admin", "sa")), ep.mint.password()
    draft.secret("generic-password", f"<w:p><w:r><w:t>password: {password}</w:t></w:r></w:p>", password)
    draft.add(f"<w:p><w:r><w:t>user: {user}</w:t></w:r></w:p></w:body></w:document>")
    return _record(ep, draft, display, "archive:docx")


# -- credential containers -------------------------------------------------------------------------------


def _container(ep: Endpoint, path: str, kind: str, data: bytes) -> None:
    _write(ep, path, data)
    family = f"container-{kind}"
    # The whole file is the credential: a tool that reports a line inside it (the key in a profile) found it.
    lines = max(1, data.count(b"\n"))
    ep.plants.append(Plant(ep.tree, path, 1, lines, family, CONTAINER_SEVERITY[family], f"container:{kind}",
                           "binary", hashlib.sha256(data).hexdigest()))


def scenario_containers(ep: Endpoint, home: str, config_dir: str) -> None:
    """One of each container kind an endpoint of this OS would hold."""
    rng, word = ep.rng, ep.mint.word
    _container(ep, f"{home}/Documents/{word()}.kdbx", "keepass",
               bytes.fromhex("03d9a29a67fb4bb5") + bytes.fromhex("00000400") + rng.randbytes(3000))
    _container(ep, f"{home}/certs/{word()}-client.pfx", "pkcs12", _empty_password_pfx(rng))
    _container(ep, f"{home}/{word()}/keystore.jks", "java-keystore", bytes.fromhex("feedfeed00000002")
               + rng.randbytes(1800))
    _container(ep, f"{home}/vpn/{word()}.ovpn", "openvpn-profile",
               (f"client\ndev tun\nremote vpn.{word()}.example 1194\n<key>\n{ep.mint.pem('rsa')}\n</key>\n").encode())
    state = {"version": 4, "outputs": {"db_password": {"sensitive": True, "type": "string",
                                                       "value": ep.mint.password()}}, "resources": []}
    _container(ep, f"{home}/infra/{word()}/terraform.tfstate", "terraform-state",
               json.dumps(state, indent=2).encode())
    _container(ep, f"{config_dir}/gcloud/credentials.db", "gcloud-token-cache",
               b"SQLite format 3\x00" + rng.randbytes(4000))
    if ep.tree == "windows":
        _container(ep, f"{home}/Documents/{word()}.rdg", "rdcman",
                   (f'<?xml version="1.0"?>\n<RDCMan><logonCredentials><userName>admin</userName><password>'
                    f"{ep.mint.gen('b64', '160')}</password></logonCredentials></RDCMan>\n").encode())
        _container(ep, f"{config_dir}/mRemoteNG/confCons.xml", "mremoteng",
                   (f'<?xml version="1.0"?>\n<Connections><Node Name="db" Username="sa" Password="'
                    f'{ep.mint.gen("b64", "64")}" /></Connections>\n').encode())
    else:
        _container(ep, f"{home}/.azure/msal_token_cache.json", "azure-token-cache", json.dumps(
            {"RefreshToken": {"k": {"credential_type": "RefreshToken", "secret": ep.mint.gen("b64url", "240")}}},
            indent=1).encode())
        _container(ep, f"{home}/{word()}.keytab", "kerberos-keytab", b"\x05\x02" + rng.randbytes(300))


def _empty_password_pfx(rng: random.Random) -> bytes:
    """A PKCS#12 with an unencrypted key and no MAC (`openssl pkcs12 -nomac`): it opens without a password.
    Ed25519 and no MAC salt make it a function of the seed."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.hazmat.primitives.serialization import NoEncryption, pkcs12
    from cryptography.x509.oid import NameOID

    key = ed25519.Ed25519PrivateKey.from_private_bytes(rng.randbytes(32))
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "client.corp.invalid")])
    now = datetime.datetime(2024, 3, 1, tzinfo=datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(rng.getrandbits(63) + 1).not_valid_before(now)
                   .not_valid_after(now + datetime.timedelta(days=365)).sign(key, None))
    pfx = pkcs12.serialize_key_and_certificates(b"client", key, certificate, None, NoEncryption())
    # PFX ::= SEQUENCE { version, authSafe, macData OPTIONAL }: keep the first two.
    _, body_start, _ = _der_item(pfx, 0)
    _, _, version_end = _der_item(pfx, body_start)
    _, _, auth_end = _der_item(pfx, version_end)
    body = pfx[body_start:auth_end]
    return b"\x30" + _der_length(len(body)) + body


def _der_item(data: bytes, offset: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER item at offset."""
    length, start = data[offset + 1], offset + 2
    if length >= 0x80:
        width = length & 0x7F
        length, start = int.from_bytes(data[start:start + width], "big"), start + width
    return data[offset], start, start + length


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def read_planted(tree_root: Path, path: str) -> bytes:
    """The bytes of a manifest path: a file, or a member inside archives (`a.zip!b.tar.gz!c.env`)."""
    outer, *members = path.split("!")
    data = (tree_root / outer).read_bytes()
    name = outer
    for member in members:
        if name.endswith(".zip") or name.endswith((".jar", ".docx")):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                data = archive.read(member)
        elif name.endswith(".tar.gz"):
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
                extracted = archive.extractfile(member)
                assert extracted is not None
                data = extracted.read()
        else:
            data = gzip.decompress(data)
        name = member
    return data
