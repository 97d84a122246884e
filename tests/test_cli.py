"""One test per exit code (secret_scanner.cli.exitcodes.ExitCode), running cli.main in-process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PlantedTree, SettingsServer, free_port, plant_tree
from pytest_mock import MockerFixture

from secret_scanner.catalog import specimen
from secret_scanner.cli import scanner as cli
from secret_scanner.cli.exitcodes import ExitCode
from secret_scanner.state.lock import acquire_run_lock

Main = Callable[..., int]


@pytest.fixture
def main(monkeypatch: pytest.MonkeyPatch) -> Main:
    """cli.main without the process-wide side effects that would outlive the test (nice level, SIGTERM)."""
    import threading

    monkeypatch.setattr(cli, "_lower_priority", lambda: None)
    monkeypatch.setattr(cli, "_install_stop_handlers", threading.Event)
    for name in ("KEEPER_JOB_ID", "SECRET_SCANNER_CA_BUNDLE", "SECRET_SCANNER_CONFIG"):
        monkeypatch.delenv(name, raising=False)

    def run(*args: str) -> int:
        return int(cli.main(list(args)))

    return run


def test_exit_0_clean(main: Main, clean_tree: Path, tmp_path: Path) -> None:
    assert main("--scan", "--path", str(clean_tree), "--state-dir", str(tmp_path / "s")) == ExitCode.CLEAN


def test_exit_1_secrets_found(main: Main, planted: PlantedTree, tmp_path: Path) -> None:
    assert (
        main("--scan", "--path", str(planted.root), "--state-dir", str(tmp_path / "s"))
        == ExitCode.SECRETS_FOUND
    )


def test_exit_2_usage(main: Main, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main("--scan", "--path", str(tmp_path / "missing"), "--state-dir", str(tmp_path / "s"))
    assert code == ExitCode.USAGE
    assert "no such file or directory" in capsys.readouterr().err


def test_exit_3_incomplete(main: Main, tmp_path: Path) -> None:
    root = tmp_path / "many"
    root.mkdir()
    for index in range(300):
        (root / f"f{index:03d}.txt").write_text(f"plain line {index}\n", encoding="utf-8")
    code = main(
        "--scan", "--path", str(root), "--state-dir", str(tmp_path / "s"), "--time-budget", "0.000001"
    )
    assert code == ExitCode.INCOMPLETE


def test_exit_4_delivery_failed(
    main: Main,
    settings_server: SettingsServer,
    clean_tree: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings_server.broker_port = free_port()  # nothing listens: the broker is down
    monkeypatch.setenv("KEEPER_JOB_ID", "secrets-scanner")
    monkeypatch.setenv("SECRET_SCANNER_RETRY_SECONDS", "0.3")
    code = main(
        "--scan",
        f"--keeper-api-base={settings_server.url}",
        "--path",
        str(clean_tree),
        "--state-dir",
        str(tmp_path / "s"),
    )
    assert code == ExitCode.DELIVERY_FAILED
    assert "cannot connect to the MQTT broker" in capsys.readouterr().err


def test_exit_5_locked(
    main: Main, clean_tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "s"
    state.mkdir(mode=0o700)
    with acquire_run_lock(state):
        code = main("--scan", "--path", str(clean_tree), "--state-dir", str(state))
    assert code == ExitCode.LOCKED
    assert "run lock" in capsys.readouterr().err
    assert main("--scan", "--path", str(clean_tree), "--state-dir", str(state)) == ExitCode.CLEAN


def test_exit_70_internal_error_never_prints_the_exception_message(
    main: Main,
    tmp_path: Path,
    mocker: MockerFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = specimen.make("github", "ghp_")
    tree = plant_tree(tmp_path / "tree")
    mocker.patch("secret_scanner.engine.scan.scan", side_effect=RuntimeError(f"could not parse {secret}"))
    code = main("--scan", "--path", str(tree.root), "--state-dir", str(tmp_path / "s"))
    captured = capsys.readouterr()
    assert code == ExitCode.INTERNAL
    assert "internal error: RuntimeError" in captured.err
    assert secret not in captured.err + captured.out
    assert secret[4:16] not in captured.err + captured.out


def test_exit_130_interrupted_without_a_traceback(
    main: Main, tmp_path: Path, mocker: MockerFixture, capsys: pytest.CaptureFixture[str],
) -> None:
    tree = plant_tree(tmp_path / "tree")
    mocker.patch("secret_scanner.engine.scan.scan", side_effect=KeyboardInterrupt)
    code = main("--scan", "--path", str(tree.root), "--state-dir", str(tmp_path / "s"))
    err = capsys.readouterr().err
    assert code == ExitCode.INTERRUPTED == 130
    assert err.strip().splitlines()[-1] == "SecretScanner: interrupted" and "Traceback" not in err


def test_every_exit_code_has_a_test() -> None:
    tested = {"CLEAN", "SECRETS_FOUND", "USAGE", "INCOMPLETE", "DELIVERY_FAILED", "LOCKED", "INTERNAL",
              "INTERRUPTED"}
    assert {code.name for code in ExitCode} == tested


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:6889", "https://", "https://127.0.0.1:notaport", "https://ops:{pw}@127.0.0.1:6889",
     "https://ops:ab#{pw}@127.0.0.1:6889", "https://ops:ab?{pw}@127.0.0.1:6889", "https://127.0.0.1:6889/?t={pw}"],
)
def test_bad_api_base_is_a_usage_error_that_never_echoes_credentials(
    main: Main, clean_tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    password = specimen.make("password", "20")
    code = main("--scan", "--keeper-api-base", url.format(pw=password), "--path", str(clean_tree),
                "--state-dir", str(tmp_path / "s"))
    captured = capsys.readouterr()
    assert code == ExitCode.USAGE
    assert "--keeper-api-base" in captured.err
    assert password not in captured.err + captured.out


def test_unknown_config_key_is_a_usage_error(main: Main, clean_tree: Path, tmp_path: Path) -> None:
    config = tmp_path / "secret-scanner.toml"
    config.write_text('fingerprint_kee = "typo"\n', encoding="utf-8")
    code = main("--scan", "--config", str(config), "--path", str(clean_tree), "--state-dir", str(tmp_path / "s"))
    assert code == ExitCode.USAGE


def test_org_key_makes_fingerprints_comparable_across_installs(
    main: Main, planted: PlantedTree, tmp_path: Path
) -> None:
    import json

    config = tmp_path / "secret-scanner.toml"
    config.write_text(f'fingerprint_key = "{specimen.make("alnum", "40")}"\n', encoding="utf-8")
    prints = []
    for install in ("a", "b"):
        report = tmp_path / f"{install}.json"
        main("--scan", "--config", str(config), "--path", str(planted.root), "--state-dir", str(tmp_path / install),
             "--report", str(report), "--quiet")
        data = json.loads(report.read_text(encoding="utf-8"))
        assert data["fingerprint_scope"] == "organization"
        prints.append(sorted(f["fingerprint"] for f in data["findings"]))
    assert prints[0] and prints[0] == prints[1]
    # Without the org key each install has its own random key: the same secrets fingerprint differently.
    local = []
    for install in ("c", "d"):
        report = tmp_path / f"{install}.json"
        main("--scan", "--path", str(planted.root), "--state-dir", str(tmp_path / install), "--report", str(report))
        local.append(sorted(f["fingerprint"] for f in json.loads(report.read_text(encoding="utf-8"))["findings"]))
    assert local[0] and not set(local[0]) & set(local[1])
