"""Plugin Settings client against a real HTTPS server on loopback: the answers the agent can give."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import pytest_mock
from conftest import SettingsServer, TlsMaterial

from secret_scanner.errors import SettingsError, TlsPolicyError
from secret_scanner.jobmode.plugin_settings import (
    FALLBACK_HOST,
    FALLBACK_PORT,
    BrokerAddress,
    parse_settings,
    resolve_broker_address,
)

URL = "https://127.0.0.1:6889/api/PluginSettings/KeeperPrivilegeManager"


def resolve(
    server: SettingsServer, retry: float = 0.0, timeout: float = 2.0, ca: Path | None = None
) -> BrokerAddress:
    return resolve_broker_address(server.url, ca, retry, timeout)


def test_reads_broker_host_and_port(settings_server: SettingsServer) -> None:
    settings_server.broker_host, settings_server.broker_port = "127.0.0.1", 18675
    address = resolve(settings_server)
    assert (address.host, address.port, address.fallback_reason) == ("127.0.0.1", 18675, None)
    assert settings_server.requests == ["/api/PluginSettings/KeeperPrivilegeManager"]


def test_403_right_after_start_is_retried(settings_server: SettingsServer) -> None:
    settings_server.mode, settings_server.forbidden_first = "403-then-ok", 2
    settings_server.broker_port = 18675
    address = resolve(settings_server, retry=5.0)
    assert address.port == 18675 and address.fallback_reason is None
    assert len(settings_server.requests) == 3


def test_403_that_lasts_falls_back_naming_the_cause(
    settings_server: SettingsServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings_server.mode = "403"
    with caplog.at_level(logging.WARNING, logger="secret_scanner"):
        address = resolve(settings_server, retry=0.6)
    assert (address.host, address.port) == (FALLBACK_HOST, FALLBACK_PORT)
    assert address.fallback_reason is not None and "HTTP 403" in address.fallback_reason
    assert "started by the job runner" in address.fallback_reason
    assert len(settings_server.requests) >= 2
    assert any("127.0.0.1:8675" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("mode", "cause"),
    [
        ("404", "HTTP 404"),
        ("500", "HTTP 500"),
        ("garbage", "not JSON"),
        ("missing", "broker.host is missing"),
    ],
)
def test_failures_fall_back_to_the_default_broker(
    settings_server: SettingsServer, mode: str, cause: str
) -> None:
    settings_server.mode = mode
    address = resolve(settings_server)
    assert (address.host, address.port) == (FALLBACK_HOST, FALLBACK_PORT)
    assert address.fallback_reason is not None and cause in address.fallback_reason
    assert len(settings_server.requests) == 1  # only 403 is retried


def test_slow_answer_times_out_and_falls_back(settings_server: SettingsServer) -> None:
    settings_server.mode, settings_server.slow_seconds = "slow", 1.5
    address = resolve(settings_server, timeout=0.3)
    assert address.fallback_reason is not None and "no answer within 0.3s" in address.fallback_reason


def test_nothing_listening_falls_back() -> None:
    from conftest import free_port

    address = resolve_broker_address(f"https://127.0.0.1:{free_port()}", None, 0.0, 1.0)
    assert address.fallback_reason is not None and "cannot connect" in address.fallback_reason


def test_ca_bundle_that_issued_the_certificate_is_accepted(
    settings_server: SettingsServer,
    tls_material: TlsMaterial,
) -> None:
    settings_server.broker_port = 18675
    assert resolve(settings_server, ca=tls_material.ca_path).fallback_reason is None


def test_wrong_ca_bundle_fails_verification(
    settings_server: SettingsServer, tls_material: TlsMaterial
) -> None:
    address = resolve(settings_server, ca=tls_material.other_ca_path)
    assert address.fallback_reason is not None and "certificate verify failed" in address.fallback_reason
    assert settings_server.requests == []


def test_remote_api_base_without_ca_bundle_raises_before_any_request() -> None:
    with pytest.raises(TlsPolicyError):
        resolve_broker_address("https://agent.example.com:6889", None, 0.0, 1.0)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"broker.host": "127.0.0.1"}', "broker.port is missing"),
        (b'{"broker.host": "127.0.0.1", "broker.port": "eighty"}', "broker.port is invalid"),
        (b'{"broker.host": "127.0.0.1", "broker.port": "70000"}', "broker.port is invalid"),
        (b'{"broker.host": "127.0.0.1", "broker.port": true}', "broker.port is invalid"),
        (b'{"broker.host": "", "broker.port": "8675"}', "broker.host is invalid"),
        (b'{"broker.host": "a b", "broker.port": "8675"}', "broker.host is invalid"),
        (b'["broker.host"]', "not a JSON object"),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_parse_rejects_bad_answers(body: bytes, problem: str) -> None:
    with pytest.raises(SettingsError, match=problem):
        parse_settings(URL, body)


def test_parse_accepts_strings_and_ignores_other_keys() -> None:
    address = parse_settings(URL, b'{"broker.host": " 127.0.0.1 ", "broker.port": "8675", "x.y": "z"}')
    assert (address.host, address.port) == ("127.0.0.1", 8675)


# Job identity and the timing knobs (secret_scanner.jobmode.run) -----------------------------------------------


def test_job_id_with_underscore_is_refused_with_the_fix() -> None:
    from secret_scanner.errors import ConfigError
    from secret_scanner.jobmode.identity import resolve_job_identity

    with pytest.raises(ConfigError, match=r"underscore.*'secrets-scanner'"):
        resolve_job_identity({"KEEPER_JOB_ID": "secrets_scanner"})


def test_missing_job_id_warns_and_falls_back(caplog: pytest.LogCaptureFixture) -> None:
    from secret_scanner.jobmode.identity import event_topic_for, resolve_job_identity

    with caplog.at_level(logging.WARNING, logger="secret_scanner"):
        identity = resolve_job_identity({})
    assert identity.job_id == "unknown" and not identity.declared
    assert identity.client_id(4242) == "unknown_SecretScanner_4242"
    assert event_topic_for(identity, None) is None
    assert any("mqttTopics.allowedPublications" in r.getMessage() for r in caplog.records)


def test_event_topic_defaults_and_overrides() -> None:
    from secret_scanner.errors import ConfigError
    from secret_scanner.jobmode.identity import event_topic_for, resolve_job_identity

    identity = resolve_job_identity({"KEEPER_JOB_ID": "secrets-scanner"})
    assert identity.client_id(7) == "secrets-scanner_SecretScanner_7"
    assert event_topic_for(identity, None) == "Jobs/secrets-scanner/events"
    assert event_topic_for(identity, "Fleet/scans") == "Fleet/scans"
    with pytest.raises(ConfigError):
        event_topic_for(identity, "Jobs/+/events")


def test_timing_knobs() -> None:
    from secret_scanner.errors import ConfigError
    from secret_scanner.jobmode.identity import read_timing

    assert read_timing({}).retry_seconds == 10.0 and read_timing({}).puback_timeout == 30.0
    timing = read_timing({"SECRET_SCANNER_RETRY_SECONDS": "0.5", "SECRET_SCANNER_HTTP_TIMEOUT": "2"})
    assert (timing.retry_seconds, timing.http_timeout) == (0.5, 2.0)
    with pytest.raises(ConfigError, match="SECRET_SCANNER_PUBACK_TIMEOUT"):
        read_timing({"SECRET_SCANNER_PUBACK_TIMEOUT": "soon"})


def test_a_dropped_connection_is_retried_within_the_window(
    settings_server: SettingsServer, mocker: pytest_mock.MockerFixture
) -> None:
    from secret_scanner.net.http import HttpsSession, TransportError

    settings_server.broker_port = 18675
    real_request = HttpsSession.request
    calls: list[int] = []

    def drop_the_first(self: HttpsSession, *args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:  # the agent's API restarting: the peer hangs up before answering
            raise TransportError("dropped", ConnectionResetError(), tls=False, reading=False)
        return real_request(self, *args, **kwargs)  # type: ignore[arg-type]

    mocker.patch.object(HttpsSession, "request", drop_the_first)
    address = resolve(settings_server, retry=5.0)
    assert (address.port, address.fallback_reason) == (18675, None) and len(calls) == 2
    assert resolve(settings_server, retry=0.0).port == 18675  # no retry window: the second try is the first


def test_a_dropped_connection_without_a_retry_window_falls_back(mocker: pytest_mock.MockerFixture) -> None:
    from secret_scanner.net.http import HttpsSession, TransportError

    mocker.patch.object(HttpsSession, "request",
                        side_effect=TransportError("dropped", ConnectionResetError(), tls=False, reading=False))
    address = resolve_broker_address(URL.rsplit("/api/", 1)[0], None, 0.0, 1.0)
    assert address.fallback_reason is not None and "cannot connect (ConnectionResetError)" in address.fallback_reason
