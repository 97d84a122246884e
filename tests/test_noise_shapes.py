"""Noise, part two: values shaped like code, sample and documentation passwords, values that echo their place,
minified code, installed-collection examples, and templates versus random passwords."""

from __future__ import annotations

import base64
import random
from pathlib import Path

import pytest
from noiseengine import make_engine, scan_text

from secret_scanner.catalog import specimen
from secret_scanner.engine import codeshapes, noise, samples
from secret_scanner.engine import filters as match_filter
from secret_scanner.engine.scan import Engine


@pytest.fixture(scope="module")
def engine() -> Engine:
    return make_engine()


@pytest.mark.parametrize("value", ["set_admin", "_password", "current_password", "_auth_user_id", "db_passwd",
                                   "options2?.onresumptiontoken", "Jobs[-1].JobId", ".models.v1_secret",
                                   ":response-time", "`grep", "%{string:Tmp-String-0}",
                                   "{token.decode(", "v1/objects/encryption-keys", "randompassword",
                                   "b3BlbnNoaWZ0LWNoYWxsZW5naW5nLWNsaWVudDo="])
def test_code_shaped_values_are_placeholders(value: str) -> None:
    assert match_filter.detect_placeholder(value) is not None


@pytest.mark.parametrize("value", ["tuFrAxahuYe4", "Niosdgz3.Iu7", "wxje_vpg", "p4ss_w0rd", "Summer.2024",
                                   "hvs.CAESIJ8kq2LmZp0XwYtRv", "dXNlcjpwYXNz", "Kx9#mPq2vL7w"])
def test_random_material_is_not_code(value: str) -> None:
    assert match_filter.detect_placeholder(value) is None


def test_code_shapes_rarely_take_random_tokens() -> None:
    rng = random.Random(11)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
    values = ["".join(rng.choice(alphabet) for _ in range(length)) for length in (12, 20, 32) for _ in range(3000)]
    taken = [value for value in values if any(predicate(value) for _, predicate in codeshapes.CODE_SHAPES)]
    assert len(taken) <= len(values) // 1000, taken[:5]


@pytest.mark.parametrize("value", ["Testing@123", "Admin12345", "B0bP4ssw0rd", "MyPassword123", "TMEadm!n123",
                                   "testing1234", "rootpass", "changeme!", "P@ssw0rd1"])
def test_sample_passwords(value: str) -> None:
    assert samples.is_sample_password(value)


@pytest.mark.parametrize("value", ["tuFrAxahuYe4", "Summerabc1234!", "Kx9#mPq2vL7w", "admin" + "Zq8vX2"])
def test_real_looking_passwords_are_not_samples(value: str) -> None:
    assert not samples.is_sample_password(value)


def test_values_that_echo_their_place() -> None:
    assert samples.echoes_its_place("zabbix-server", "c/zabbix/roles/zabbix_server/defaults/main.yml", None)
    assert samples.echoes_its_place("Cisco#123", "c/cisco/dnac/playbooks/x.yml", "password")
    assert samples.echoes_its_place("raven", "c/ravendb/tasks/setup.yml", None)
    assert not samples.echoes_its_place("Hq7zLmw2", "c/cisco/dnac/playbooks/x.yml", "password")
    assert not samples.echoes_its_place("zabbix-server", "home/alice/app/.env", "password")


def test_jwt_io_claims_are_a_published_sample() -> None:
    def token(claims: str) -> str:
        body = base64.urlsafe_b64encode(claims.encode()).decode().rstrip("=")
        return f"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{body}.c2lnbmF0dXJl"

    assert samples.name_published_sample(token('{"sub":"1234567890","iat":1516239022}')) is not None
    assert samples.name_published_sample(token('{"sub":1234567890,"name":"John Doe","exp":9999999999}'))
    assert samples.name_published_sample(token('{"sub":"alice","iat":1700000000}')) is None


def test_verification_token_is_no_credential_key() -> None:
    assert noise.is_non_credential_key("VerificationToken")
    assert not noise.is_non_credential_key("access_token")


def test_minified_lines_and_source_maps() -> None:
    long_line = b"a=1;" * 400 + b'token="x"\n'
    assert noise.is_minified("app/dist/x.js", long_line, 0, len(long_line) - 2)
    assert noise.is_minified("app/dist/x.js.map", b'{"token": "x"}', 0, 12)
    short = b'token = "x"\nnext = 1\n'
    assert not noise.is_minified("app/config.js", short, 0, 10)


def test_sample_password_through_the_engine_is_lowered_with_a_note(engine: Engine) -> None:
    found = scan_text(engine, 'password = "Testing@123"\n', "opt/app/inventory.py")
    assert [(f.confidence, bool(f.note)) for f in found] == [("low", True)]
    real = scan_text(engine, 'password = "<gen:password:16>"\n', "opt/app/inventory.py")
    assert [f.confidence for f in real] == ["medium"]


def test_minified_bundle_lowers_a_generic_secret(engine: Engine) -> None:
    text = "var a=1;" * 200 + 'var c={apiKey:"<gen:alnum:32>"};\n'
    found = scan_text(engine, text, "srv/www/static/app.js")
    assert [(f.confidence, f.note) for f in found] == [("low", "minified code or source map")]


def test_collection_examples_need_the_collection_marker(tmp_path: Path, engine: Engine) -> None:
    root = tmp_path / "ansible_collections" / "acme" / "net"
    (root / "playbooks").mkdir(parents=True)
    playbook = root / "playbooks" / "site.yml"
    text = specimen.expand("    enable_password: <gen:alnum:14>\n", random.Random(2))
    playbook.write_text(text)
    before = engine.scan_bytes(text.encode(), str(playbook))
    assert [f.confidence for f in before] == ["medium"]
    (root / "galaxy.yml").write_text("namespace: acme\nname: net\n")
    noise._is_collection_root.cache_clear()
    after = engine.scan_bytes(text.encode(), str(playbook))
    assert [(f.confidence, bool(f.note)) for f in after] == [("low", True)]


def test_sysprep_rule_keeps_to_answer_files(engine: Engine) -> None:
    code = "    post_body = dict(currentAdminPassword=current_password, adminPassword=x9Lq2mZ7vB4n)\n"
    assert not [f for f in scan_text(engine, code, "opt/ansible/netapp_e_auth.py") if "sysprep" in f.rule_id]
    inf = "[GuiUnattended]\nAdminPassword=<gen:alnum:14>\n"
    assert [f.rule_id for f in scan_text(engine, inf, "deploy/sysprep.inf")] == ["windows-unattend.sysprep-inf"]


def test_yaml_module_documentation_block() -> None:
    doc = b"DOCUMENTATION:\n  module: user\nEXAMPLES: |\n  - name: x\n    password: Hq7zLmw2xx\nRETURN:\n  a: b\n"
    at = doc.index(b"    password")
    assert noise.is_in_yaml_doc_block(doc, at)
    config = b"services:\n  db:\n    password: Hq7zLmw2xx\n"
    assert not noise.is_in_yaml_doc_block(config, config.index(b"    password"))


def test_signed_urls() -> None:
    assert samples.explain_signed_url("https://b.s3.amazonaws.com/k?X-Amz-Algorithm=x&X-Amz-Credential=")
    assert samples.explain_signed_url("<code>https://a.blob.core.windows.net/c?sv=2021-06-08&se=2023-12-20T22:54:52Z"
                                      "&sr=c&sig=")
    assert samples.explain_signed_url("https://a.blob.core.windows.net/c?sv=2021-06-08&se=2999-01-01&sig=") is None
    assert samples.explain_signed_url("aws_access_key_id = ") is None


@pytest.mark.parametrize("value", ["123456abcdefg", "qwerty123456", "@PASSWORD", ".v1_secret"])
def test_more_placeholder_shapes(value: str) -> None:
    assert match_filter.detect_placeholder(value) is not None


@pytest.mark.parametrize("value", ["G!?H9lPmAH-d%d?LO6Ww", "qyCBr%d#s6p0VwrpTO1d", "?^s%s%S0yrX2_u.6pjIe"])
def test_a_random_password_holding_a_format_specifier_is_still_a_password(value: str) -> None:
    assert not noise.is_format_string(value)


@pytest.mark.parametrize("value", ["%(name)s", "{0}-{1}", "v1/keys/{}", "@API_TOKEN", "user-%s"])
def test_templates_are_format_strings(value: str) -> None:
    assert noise.is_format_string(value)
