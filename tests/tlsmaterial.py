"""Throwaway TLS material from trustme for the test servers: a CA, a server certificate issued (like the
agent's) to "Localhost", and a second CA that did not issue it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme


@dataclass(frozen=True)
class TlsMaterial:
    ca_path: Path
    cert_path: Path
    key_path: Path
    other_ca_path: Path  # a CA that did NOT issue the server certificate


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    directory = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    leaf = ca.issue_cert("Localhost")
    ca_path, cert_path, key_path = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca.cert_pem.write_to_path(str(ca_path))
    leaf.private_key_pem.write_to_path(str(key_path))
    cert_path.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    other = directory / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    return TlsMaterial(ca_path, cert_path, key_path, other)
