"""Noise predicates (secret_scanner/noise.py), confidence thresholds and published sample values."""

from __future__ import annotations

import json
import random
import secrets
from pathlib import Path

import pytest
from noiseengine import make_engine, scan_text

from secret_scanner.catalog import specimen
from secret_scanner.catalog.loader import load_rules
from secret_scanner.config import load_config
from secret_scanner.engine import noise
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.engine.scan import Engine, ScanOptions, scan
from secret_scanner.errors import ConfigError
from secret_scanner.model import Finding, meets_threshold

_KEY = Fingerprinter(secrets.token_bytes(32), "test")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return make_engine()


# -- value predicates ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["my_access_token", "thisIsMyToken", "YOUR_TOKEN", "x_auth_token",
                                   "SuperSekretPassword", "my_answerQueryToken"])
def test_echoed_placeholders_are_recognised(value: str) -> None:
    assert noise.is_echoed_placeholder(value)


@pytest.mark.parametrize("value", ["Summerabc1234!", "tuFrAxahuYe4x9", "token", "Kx9#mPq2vL7w"])
def test_real_looking_values_are_not_echoed_placeholders(value: str) -> None:
    assert not noise.is_echoed_placeholder(value)


def test_uuid_and_its_prefixed_form() -> None:
    assert noise.is_uuid("1d2129a1-3d38-460a-9756-e5b91fddb951")
    assert noise.is_uuid("T-89faa581-c668-483d-b77d-23c5d88ba35c")
    assert not noise.is_uuid("1d2129a13d38460a9756e5b91fddb951")


def test_identifier_slugs_are_error_codes_not_secrets() -> None:
    assert noise.is_identifier_slug("auth/invalid-api-key")
    assert noise.is_identifier_slug("create:scim_token")
    assert not noise.is_identifier_slug("a8Kd/93kLq:x")
    assert not noise.is_identifier_slug("plainword")


def test_resource_names() -> None:
    assert noise.is_resource_name("arn:aws:secretsmanager:us-east-1:123456789012:secret:db")
    assert noise.is_resource_name("projects/p1/secrets/db/versions/1")
    assert noise.is_resource_name("[parameters(")
    assert not noise.is_resource_name("q8Vn3LmZ0pXe")


def test_key_predicates() -> None:
    assert noise.extract_key('  "clientRequestToken": "') == "clientRequestToken"
    assert noise.is_type_name_key("AWS::ApiGateway::ApiKey")
    assert not noise.is_type_name_key("api_key")
    assert noise.is_request_token("ChangeToken", "abcd12f2-46da-4fdb-b8d5-fbd4c466928f")
    assert not noise.is_request_token("access_token", "abcd12f2-46da-4fdb-b8d5-fbd4c466928f")
    assert not noise.is_request_token("ChangeToken", "q8Vn3LmZ0pXeq8Vn3LmZ0pXe")


def test_annotation_lines() -> None:
    assert noise.is_annotation_line("        :type admin_password: ")
    assert noise.is_annotation_line("    :vartype password: ")
    assert noise.is_annotation_line("   * @param token ")
    assert not noise.is_annotation_line("    admin_password: ")


def test_cross_literal_quote_pairing() -> None:
    assert noise.is_cross_literal('var n="token=', '"')
    assert not noise.is_cross_literal('  "token": ', '"')
    assert not noise.is_cross_literal('conn = "host=db password=', "'")


# -- place predicates -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["pkg/docs/setup.txt", "a/tests/conf.yml", "x/README.md", "awscli/examples/x.rst",
                                  "botocore/data/iam/examples-1.json", "roles/x/molecule/default/converge.yml"])
def test_documentation_places(path: str) -> None:
    assert noise.is_documentation_place(path)


@pytest.mark.parametrize("path", ["home/alice/.env", "etc/app/config.yaml", "srv/app/docker-compose.yml",
                                  "users/bob/documents/creds.txt", "opt/contest/app.ini"])
def test_ordinary_places(path: str) -> None:
    assert not noise.is_documentation_place(path)


def test_comment_and_docstring_detection() -> None:
    code = b'EXAMPLES = r"""\n- name: x\n  password: s3cr3t!x\n"""\npassword = "real"\n'
    inside = code.index(b"s3cr3t")
    assert noise.is_in_comment_or_docstring(code, code.rfind(b"\n", 0, inside) + 1, inside, "  password: ")
    outside = code.index(b"real")
    line = code.rfind(b"\n", 0, outside) + 1
    assert not noise.is_in_comment_or_docstring(code, line, outside, 'password = "')
    block = b"/**\n * token: abc\n */\n"
    at = block.index(b"abc")
    assert noise.is_in_comment_or_docstring(block, block.rfind(b"\n", 0, at) + 1, at, " * token: ")


# -- through the engine ---------------------------------------------------------------------------------

def test_docs_path_lowers_a_generic_password_but_keeps_it(engine: Engine) -> None:
    text = 'db_password = "<gen:password:16>"\n'
    plain = scan_text(engine, text)
    docs = scan_text(engine, text, "pkg/docs/howto.py")
    assert [f.confidence for f in plain] == ["medium"]
    assert [(f.confidence, bool(f.note)) for f in docs] == [("low", True)]


def test_docstring_in_source_lowers_but_code_does_not(engine: Engine) -> None:
    text = 'EXAMPLES = r"""\n  admin_password: <gen:alnum:16>\n"""\nDB_PASSWORD = "<gen:password:16>"\n'
    found = sorted(scan_text(engine, text, "opt/app/module.py"), key=lambda f: f.line)
    assert [(f.line, f.confidence) for f in found] == [(2, "low"), (4, "medium")]


def test_validated_private_key_in_fixtures_keeps_its_confidence(engine: Engine) -> None:
    found = scan_text(engine, "<gen:pem:rsa>\n", "pkg/tests/fixtures/id_rsa")
    assert found and all(f.confidence != "low" for f in found)


def test_published_samples_are_reported_low_with_a_note(engine: Engine) -> None:
    text = ("[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
    found = scan_text(engine, text, "home/alice/.aws/credentials")
    assert found and all(f.confidence == "low" and "AWS documentation" in f.note for f in found)
    assert noise.name_published_sample("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
                                       "K1SZFPTOtr/KBHBeksoGMGw==") is not None
    assert noise.name_published_sample("AKIAIOSFODNN7EXAMPLF") is None


def test_engine_without_keep_samples_drops_them() -> None:
    plain = Engine(load_rules(), _KEY, "python")
    assert scan_text(plain, "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n", "home/a/.aws/credentials") == []


# -- thresholds -----------------------------------------------------------------------------------------

def _finding(confidence: str, severity: str) -> Finding:
    return Finding("generic.x", "t", severity, confidence, "p", 1, 1, "0" * 32, "ab***", 8)


def test_meets_threshold() -> None:
    assert meets_threshold(_finding("medium", "low"), "medium", "low")
    assert not meets_threshold(_finding("low", "critical"), "medium", "low")
    assert not meets_threshold(_finding("high", "medium"), "low", "high")
    assert meets_threshold(_finding("high", "critical"), "high", "critical")


def test_scan_counts_what_it_does_not_report(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    text = specimen.expand('db_password = "<gen:password:16>"\n', random.Random(3))
    (tmp_path / "docs" / "setup.py").write_text(text)
    (tmp_path / "app.env").write_text(text)
    everything = scan(ScanOptions(roots=(tmp_path,), engine="python"), _KEY)
    default = scan(ScanOptions(roots=(tmp_path,), engine="python", min_confidence="medium"), _KEY)
    assert len(everything.findings) == 2 and everything.stats.below_threshold == 0
    assert [f.path.endswith("app.env") for f in default.findings] == [True]
    assert default.stats.below_threshold == 1


def test_config_reads_thresholds_strictly(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('min_confidence = "high"\nmin_severity = "medium"\n')
    config = load_config(good)
    assert (config.min_confidence, config.min_severity) == ("high", "medium")
    assert load_config(None).min_confidence == "medium"
    bad = tmp_path / "bad.toml"
    bad.write_text('min_confidence = "sure"\n')
    with pytest.raises(ConfigError):
        load_config(bad)


def test_cli_min_confidence_reports_and_counts(tmp_path: Path) -> None:
    from secret_scanner.cli.scanner import main

    tree = tmp_path / "tree"
    (tree / "tests").mkdir(parents=True)
    (tree / "tests" / "conf.yml").write_text(specimen.expand("admin_password: <gen:alnum:16>\n", random.Random(5)))
    report = tmp_path / "r.json"
    argv = ["--scan", "--path", str(tree), "--report", str(report), "--state-dir", str(tmp_path / "s"), "--quiet"]
    assert main(argv) == 0
    data = json.loads(report.read_text())
    assert data["findings"] == [] and data["stats"]["below_threshold"] == 1
    assert main([*argv, "--min-confidence", "low"]) == 1
    data = json.loads(report.read_text())
    assert [f["confidence"] for f in data["findings"]] == ["low"] and data["findings"][0]["note"]


def test_format_strings_and_code_names() -> None:
    assert noise.is_format_string("%(blocklist_de_apikey)s")
    assert noise.is_format_string("v1/objects/encryption-keys/{}")
    assert noise.is_format_string("@SECURITY_TOKEN")
    assert not noise.is_format_string("Xk29%sla8Q")
    assert noise.is_code_name("_csrftoken") and noise.is_code_name("StreamDescription.Shards[-1].ShardId")
    assert not noise.is_code_name("aBcDeFgHiJkLmNoPqRsTuVwXyZaBcDeF")
    assert noise.name_published_sample("testing123") is not None


def test_code_name_drop_spares_password_rules() -> None:
    rules = {rule.id: rule for rule in load_rules()}
    assert not noise.passes_noise_filters(rules["generic.secret-quoted"], "_password_reset_token")
    assert noise.passes_noise_filters(rules["generic.password-quoted"], "correct-horse-battery")
    assert noise.passes_noise_filters(rules["aws.access-key-id"], "thisIsMyToken")


def test_a_live_secret_beside_a_sample_key_id_stays_live(engine: Engine) -> None:
    text = ("aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE\n"
            "aws configure set aws_secret_access_key <gen:b64:40>\n")
    found = {f.rule_id: f for f in scan_text(engine, text, "home/bob/.bash_history")}
    secret = [f for rule, f in found.items() if "secret" in rule]
    assert secret and secret[0].confidence != "low" and not secret[0].note
    assert any(f.note for f in found.values())
