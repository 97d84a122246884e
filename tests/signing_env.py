"""An environment without signing credentials, so that no packaging test signs, or prints a notice, by
accident of the machine it runs on.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def no_signing_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """No signing key reaches a packaging test from the environment (the modules use it on every test)."""
    for name in ("WINDOWS_SIGN_CERT_PFX", "WINDOWS_SIGN_CERT_PASSWORD", "WINDOWS_SIGN_CERT_THUMBPRINT",
                 "MACOS_SIGN_IDENTITY", "MACOS_NOTARY_PROFILE", "GPG_SIGNING_KEY_ID",
                 "GPG_SIGNING_PASSPHRASE", "SECRET_SCANNER_REQUIRE_SIGNING", "GITHUB_ACTIONS",
                 "SOURCE_DATE_EPOCH"):
        monkeypatch.delenv(name, raising=False)
