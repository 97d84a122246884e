"""Credential containers as data: files whose mere presence is the finding, known by name and magic bytes.

A KeePass database, a `.pfx` with its private key, a keytab or a cloud CLI token cache often matches no content
rule (the secret is encrypted, binary, or spread over a structure), yet it is among the most valuable files on
an endpoint. Each kind here says how to recognise it (file-name globs, an optional parent folder, magic
prefixes), which check decides whether it holds a credential (`check`), its severity, and why it matters.
The engine (engine/containers.py) applies the table; `--list-rules` lists it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from secret_scanner.model import Severity


class Check(StrEnum):
    """What decides that a recognised file holds a credential (beyond its name and magic bytes)."""

    NONE = "none"  # the format is a credential store: present means exposed
    PKCS12 = "pkcs12"  # opens with an empty password? (critical) else password-protected (kind severity)
    KEYSTORE = "keystore"  # JKS/JCEKS magic, or a PKCS#12 keystore checked like a .pfx
    PPK = "ppk"  # `Encryption: none` is critical, a passphrase-protected key keeps the kind severity
    OPENVPN = "openvpn"  # only with an inline <key>...</key> block
    RDG = "rdg"  # a saved <password> element
    MREMOTENG = "mremoteng"  # a non-empty Password="..." attribute
    TFSTATE = "tfstate"  # sensitive outputs or known secret attributes (bounded JSON parse)
    TOKEN_CACHE = "token-cache"  # noqa: S105 (a check name) refresh or access tokens present in a JSON token cache


@dataclass(frozen=True)
class ContainerKind:
    id: str  # the finding's rule id is `container.<id>`
    title: str
    severity: Severity
    names: tuple[str, ...]  # lower-case fnmatch globs on the file name
    why: str  # what the file is and why it matters: the finding's description
    references: tuple[str, ...]  # the format's own documentation
    parents: tuple[str, ...] = ()  # lower-case names of the folder it must sit in; empty: anywhere
    magic: tuple[bytes, ...] = ()  # accepted leading bytes; empty: any (text formats, decided by `check`)
    check: Check = Check.NONE

    @property
    def rule_id(self) -> str:
        return f"container.{self.id}"


CONTAINER_KINDS: tuple[ContainerKind, ...] = (
    ContainerKind(
        "keepass", "KeePass password database", Severity.HIGH, ("*.kdbx", "*.kdb"),
        "A KeePass database holds every password of its owner; a copy falls to an offline guess of the master "
        "password, or to the key file often kept beside it.",
        ("https://keepass.info/help/kb/kdbx.html", "https://keepass.info/help/base/security.html"),
        magic=(bytes.fromhex("03d9a29a67fb4bb5"), bytes.fromhex("03d9a29a65fb4bb5")),
    ),
    ContainerKind(
        "pkcs12", "PKCS#12 certificate with private key", Severity.HIGH, ("*.pfx", "*.p12"),
        "A PKCS#12 file (.pfx/.p12) carries a certificate's private key: whoever has it can impersonate the "
        "certificate's subject (TLS server, code signing, client authentication).",
        ("https://www.rfc-editor.org/rfc/rfc7292",
         "https://cryptography.io/en/latest/hazmat/primitives/asymmetric/serialization/#pkcs12"),
        magic=(b"\x30",), check=Check.PKCS12,
    ),
    ContainerKind(
        "java-keystore", "Java keystore", Severity.HIGH, ("*.jks", "*.jceks", "*.keystore"),
        "A Java keystore holds private keys and secret keys of a Java application; its store password is "
        "often the documented default or sits in a properties file next to it.",
        ("https://docs.oracle.com/en/java/javase/21/docs/specs/man/keytool.html",),
        magic=(bytes.fromhex("feedfeed"), bytes.fromhex("cececece"), b"\x30"), check=Check.KEYSTORE,
    ),
    ContainerKind(
        "kerberos-keytab", "Kerberos keytab", Severity.CRITICAL, ("*.keytab",),
        "A keytab holds a Kerberos principal's long-term keys: it authenticates as that principal without a "
        "password, for as long as the key is not rotated.",
        ("https://web.mit.edu/kerberos/krb5-latest/doc/formats/keytab_file_format.html",),
        magic=(b"\x05\x02", b"\x05\x01"),
    ),
    ContainerKind(
        "putty-ppk", "PuTTY private key file", Severity.MEDIUM, ("*.ppk",),
        "A PuTTY .ppk file is an SSH private key; without a passphrase it logs in to every server that "
        "trusts it.",
        ("https://the.earth.li/~sgtatham/putty/latest/htmldoc/AppendixC.html",),
        magic=(b"PuTTY-User-Key-File-",), check=Check.PPK,
    ),
    ContainerKind(
        "openvpn-profile", "OpenVPN profile with an inline private key", Severity.HIGH, ("*.ovpn",),
        "An OpenVPN profile with an inline <key> block carries the client's private key: the file alone "
        "connects to the VPN.",
        ("https://openvpn.net/community-resources/reference-manual-for-openvpn-2-6/",),
        check=Check.OPENVPN,
    ),
    ContainerKind(
        "rdcman", "Remote Desktop Connection Manager file with saved passwords", Severity.HIGH, ("*.rdg",),
        "An RDCMan .rdg file with saved logon credentials: the passwords are encrypted for its owner and "
        "recoverable by anyone running as that user.",
        ("https://learn.microsoft.com/en-us/sysinternals/downloads/rdcman",),
        check=Check.RDG,
    ),
    ContainerKind(
        "mremoteng", "mRemoteNG connections file with saved passwords", Severity.CRITICAL, ("confcons.xml",),
        "mRemoteNG's confCons.xml stores connection passwords encrypted under a master password that is a "
        "published default unless the user set one: the passwords are recoverable from the file.",
        ("https://mremoteng.readthedocs.io/en/latest/user_interface/connections.html",),
        check=Check.MREMOTENG,
    ),
    ContainerKind(
        "terraform-state", "Terraform state with sensitive values", Severity.HIGH,
        ("terraform.tfstate", "*.tfstate", "*.tfstate.backup"),
        "Terraform state stores every resource attribute in plain text, including outputs marked sensitive "
        "and generated passwords and keys.",
        ("https://developer.hashicorp.com/terraform/language/state/sensitive-data",),
        check=Check.TFSTATE,
    ),
    ContainerKind(
        "gcloud-token-cache", "Google Cloud CLI credential store", Severity.HIGH,
        ("credentials.db", "access_tokens.db"),
        "The gcloud CLI keeps its users' refresh tokens (credentials.db) and access tokens (access_tokens.db) "
        "in these SQLite files: a copy acts as the signed-in user.",
        ("https://cloud.google.com/sdk/docs/authorizing", "https://www.sqlite.org/fileformat.html"),
        parents=("gcloud",), magic=(b"SQLite format 3\x00",),
    ),
    ContainerKind(
        "azure-token-cache", "Azure CLI token cache", Severity.HIGH,
        ("msal_token_cache.json", "accesstokens.json"),
        "The Azure CLI token cache holds refresh and access tokens in plain JSON (Linux and macOS): a copy acts "
        "as the signed-in user or service principal.",
        ("https://learn.microsoft.com/en-us/cli/azure/msal-based-azure-cli",),
        parents=(".azure",), check=Check.TOKEN_CACHE,
    ),
)
