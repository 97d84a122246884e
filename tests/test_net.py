"""The shared network helpers: the https base-URL check, the backoff, and the admin client's TLS context."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import trustme

from secret_scanner.catalog import specimen
from secret_scanner.errors import TlsPolicyError, UsageError
from secret_scanner.net.retry import backoff_delays
from secret_scanner.net.tls import ClientCertificate, build_client_context
from secret_scanner.net.urls import check_https_base


def test_check_https_base_returns_the_parts() -> None:
    base = check_https_base("https://127.0.0.1:6889/prefix/", "--api-base")
    assert (base.url, base.host, base.port, base.path) == ("https://127.0.0.1:6889/prefix", "127.0.0.1", 6889,
                                                           "/prefix")
    assert check_https_base("https://agent.example", "--api-base").port == 443


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:6889", "https://", "https://127.0.0.1:bad{pw}", "https://ops:{pw}@127.0.0.1",
            "https://ops:ab#{pw}@127.0.0.1", "https://ops:ab?{pw}@127.0.0.1", "https://127.0.0.1/p?t={pw}",
            "https://127.0.0.1/p#{pw}"],
)
def test_check_https_base_names_the_flag_and_never_a_secret(url: str) -> None:
    password = specimen.make("password", "20")
    with pytest.raises(UsageError) as caught:
        check_https_base(url.format(pw=password), "--some-flag")
    assert str(caught.value).startswith("--some-flag ")
    assert password not in str(caught.value) and password[:8] not in str(caught.value)


def test_backoff_doubles_from_a_quarter_second_to_two_within_the_deadline() -> None:
    now = [100.0]

    def clock() -> float:
        return now[0]

    delays = []
    for delay in backoff_delays(6.0, clock):
        delays.append(delay)
        now[0] += delay
    assert delays == [0.25, 0.5, 1.0, 2.0, 2.0]  # 5.75 s slept; one more 2 s would pass the 6 s deadline
    assert list(backoff_delays(0.0, clock)) == []


def test_backoff_deadline_starts_when_asked_not_at_the_first_delay() -> None:
    now = [0.0]
    delays = backoff_delays(1.0, lambda: now[0])
    now[0] += 0.9  # the first attempt took 0.9 s
    assert next(delays, None) is None


@pytest.fixture(scope="module")
def client_pem(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("client")
    leaf = trustme.CA().issue_cert("admin.example")
    leaf.cert_chain_pems[0].write_to_path(str(base / "c.pem"))
    leaf.private_key_pem.write_to_path(str(base / "c.key"))
    return base / "c.pem", base / "c.key"


def test_client_certificate_is_loaded_when_the_context_is_built(client_pem: tuple[Path, Path]) -> None:
    context = build_client_context("127.0.0.1", None, "--api-base", client=ClientCertificate(*client_pem))
    assert context.verify_mode == ssl.CERT_NONE  # loopback without a CA: the policy still holds


def test_unloadable_client_certificate_fails_at_build_time(tmp_path: Path, client_pem: tuple[Path, Path]) -> None:
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate\n", encoding="utf-8")
    with pytest.raises(UsageError, match="cannot load the client certificate"):
        build_client_context("127.0.0.1", None, "--api-base", client=ClientCertificate(bogus, client_pem[1]))


def test_admin_refusal_ends_with_the_admin_fix() -> None:
    with pytest.raises(TlsPolicyError, match="is not a loopback address: pass --ca"):
        build_client_context("agent.example", None, "--api-base", refusal=": pass --ca FILE")
