"""Issue #8: the widened provider rules and the "known prefix, unexpected shape" rules.

Each new validator accepts generated good values and rejects a flipped character; every provider prefix the
generic rules step aside for is still reported (at low confidence) when its provider rule rejects the value;
placeholders with a known prefix stay quiet; a well-formed token is reported once, by its own rule.
"""

from __future__ import annotations

import random

import pytest

from secret_scanner.catalog import specimen
from secret_scanner.catalog import validators as validator
from secret_scanner.catalog.loader import load_rules
from secret_scanner.engine import filters as match_filter
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.engine.scan import Engine

SEEDS = range(40)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_rules(), Fingerprinter(b"w" * 32, "install"), engine="python")


def _flip(value: str, index: int) -> str:
    old = value[index]
    new = "A" if old != "A" else "B"
    return value[:index] + new + value[index + 1:]


# -- validators -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("arg", [None, "test"])
def test_pypi_macaroon_accepts_generated_and_rejects_flips(arg: str | None) -> None:
    rng = random.Random(f"pypi:{arg}")
    for _ in SEEDS:
        token = specimen.make("pypi", arg, rng)
        assert validator.validate("pypi_macaroon", token)
        # The version byte, the location, a field length, the signature length: a flip breaks the structure.
        assert not validator.validate("pypi_macaroon", _flip(token, len("pypi-")))
        assert not validator.validate("pypi_macaroon", _flip(token, len("pypi-") + 6))  # the location
        assert not validator.validate("pypi_macaroon", token[:-2])
        assert not validator.validate("pypi_macaroon", token + "AA")


def test_pypi_macaroon_rejects_random_bodies_behind_the_header() -> None:
    rng = random.Random("pypi-random")
    for _ in SEEDS:
        fake = "pypi-AgEIcHlwaS5vcmc" + specimen.make("b64url", "160", rng)
        assert not validator.validate("pypi_macaroon", fake)


# Which checksum character the spill-over bits constrain: the last for 64- and 40-byte keys, else the first.
AZURE_LAYOUTS = {"+ASt:64": -1, "ACDb:64": -1, "APIM:64": -1, "AzFu:40:url": -1, "AzCa:32": -6, "+ASb:32": -6,
                 "AzSe:39": -6, "+ACR:39": -6}


@pytest.mark.parametrize("arg", sorted(AZURE_LAYOUTS))
def test_azure_identifiable_key_accepts_layout_and_rejects_flips(arg: str) -> None:
    rng = random.Random(f"azure:{arg}")
    for _ in SEEDS:
        key = specimen.make("azure-key", arg, rng)
        assert validator.validate("azure_identifiable_key", key)
        trimmed = len(key.rstrip("="))
        # A flipped signature character: no longer a published signature.
        assert not validator.validate("azure_identifiable_key", _flip(key, trimmed - 10))
        # The checksum character the spill-over bits constrain, set to a value they forbid.
        constrained = trimmed + AZURE_LAYOUTS[arg]
        assert not validator.validate("azure_identifiable_key", key[:constrained] + "z" + key[constrained + 1:])


@pytest.mark.parametrize("kind", ["rsa", "ec", "dsa", "pkcs8", "openssh", "rsa:python", "pkcs8:python"])
def test_concatenated_pem_accepts_generated_and_rejects_flips(kind: str) -> None:
    rng = random.Random(f"concat:{kind}")
    for _ in range(10):
        code = specimen.make("pem-concat", kind, rng)
        assert validator.validate("pem_concatenated", code)
        body_start = code.index("\n", code.index("-----BEGIN")) + 1
        first = code.index('"', body_start) + 1
        # The DER SEQUENCE tag (or the openssh magic) is the first base64 character of the body.
        assert not validator.validate("pem_concatenated", _flip(code, first))
        end_label = code.index("-----END") + len("-----END ")
        assert not validator.validate("pem_concatenated", _flip(code, end_label))


@pytest.mark.parametrize("kind", ["rsa", "ec", "pkcs8", "openssh"])
def test_base64_pem_accepts_generated_and_rejects_flips(kind: str) -> None:
    rng = random.Random(f"b64pem:{kind}")
    for _ in range(10):
        blob = specimen.make("pem-b64", kind, rng)
        assert validator.validate("pem_base64", blob)
        # Character 20 encodes the label ("PRIVATE ..."): the BEGIN/END labels no longer match.
        assert not validator.validate("pem_base64", _flip(blob, 20))
        assert not validator.validate("pem_base64", blob[:-8])


# -- known prefix, unexpected shape -----------------------------------------------------------------------

# One value per prefix the generic rules step aside for (filter.has_provider_prefix): each is the provider's
# prefix with a body its provider rule rejects (wrong length, alphabet or checksum).
UNEXPECTED = {
    "ghp_": "ghp_<gen:alnum:30>7<gen:alnum:5>", "gho_": "gho_<gen:alnum:20>3<gen:alnum:19>",
    "ghu_": "ghu_<gen:alnum:30>8<gen:alnum:5>", "ghs_": "ghs_<gen:alnum:10>2<gen:alnum:15>",
    "ghr_": "ghr_<gen:alnum:30>5<gen:alnum:25>",
    "github_pat_": "github_pat_<gen:alnum:22>_<gen:alnum:20>6<gen:alnum:9>",
    "glpat-": "glpat-<gen:alnum:12>3<gen:alnum:13>", "gldt-": "gldt-<gen:alnum:12>3<gen:alnum:13>",
    "glrt-": "glrt-<gen:alnum:12>3<gen:alnum:13>", "xoxb-": "xoxb-<gen:digits:12>-<gen:alnum:40>",
    "xoxp-": "xoxp-<gen:digits:12>-<gen:hex:32>", "xoxa-": "xoxa-<gen:alnum:30>5<gen:alnum:30>",
    "xoxr-": "xoxr-<gen:alnum:30>6<gen:alnum:30>", "xoxe-": "xoxe-1-<gen:alnum:20>7<gen:alnum:20>",
    "xapp-": "xapp-1-A<gen:upper:10>-<gen:digits:13>-<gen:hex:20>",
    "sk-proj-": "sk-proj-<gen:b64url:50>5<gen:b64url:49>", "sk-svcacct-": "sk-svcacct-<gen:alnum:30>4<gen:alnum:29>",
    "sk-admin-": "sk-admin-<gen:alnum:24>2<gen:alnum:23>", "sk-ant-": "sk-ant-api03-<gen:b64url:40>7<gen:b64url:39>AA",
    "sk_live_": "sk_live_<gen:alnum:8>5<gen:alnum:9>", "sk_test_": "sk_test_<gen:alnum:8>5<gen:alnum:9>",
    "rk_live_": "rk_live_<gen:alnum:10>2<gen:alnum:9>", "npm_": "npm_<gen:alnum:30>6<gen:alnum:5>",
    "pypi-": "pypi-<gen:b64url:80>4<gen:b64url:79>", "hf_": "hf_<gen:alnum:14>5<gen:alnum:15>",
    "akia": "AKIA<gen:base32:10>0<gen:base32:5>", "asia": "ASIA<gen:base32:7>3<gen:base32:6>",
    "dop_v1_": "dop_v1_<gen:hex:40>", "doo_v1_": "doo_v1_<gen:alnum:30>4<gen:alnum:33>",
    "shpat_": "shpat_<gen:hex:24>", "shpss_": "shpss_<gen:hex:40>",
    "lin_api_": "lin_api_<gen:alnum:15>3<gen:alnum:16>", "pmak-": "PMAK-<gen:hex:24>-<gen:hex:20>",
    "nrak-": "NRAK-<gen:upper:10>7<gen:upper:10>", "glsa_": "glsa_<gen:alnum:20>3<gen:alnum:19>",
    "glc_": "glc_<gen:alnum:12>5<gen:alnum:12>", "hvs.": "hvs.<gen:alnum:20>3<gen:alnum:19>",
    "hvb.": "hvb.<gen:b64url:30>8<gen:b64url:29>", "sg.": "SG.<gen:b64url:21>7.<gen:b64url:29>3",
    "dapi": "dapi<gen:hex:28>",
}


def test_every_generic_step_aside_prefix_has_a_sample() -> None:
    assert set(UNEXPECTED) == set(match_filter._PROVIDER_PREFIXES)


@pytest.mark.parametrize("prefix", sorted(UNEXPECTED))
@pytest.mark.parametrize("template", ["export API_TOKEN={}\n", "password = \"{}\"\n"])
def test_known_prefix_with_unexpected_shape_is_reported_once_below_the_provider_rule(engine: Engine, prefix: str,
                                                                   template: str) -> None:
    value = specimen.expand(UNEXPECTED[prefix], random.Random(prefix))
    findings = engine.scan_bytes(template.format(value).encode(), "srv/app/.env")
    assert [(f.rule_id.endswith(".unexpected-format"), f.confidence, f.length) for f in findings] == [
        (True, "medium", len(value))]


@pytest.mark.parametrize("value", [
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ghp_************************************",
    "ghp_<your-token>", "ghp_EXAMPLE1234abcdXYZ7890qwertyuioPAS", "xoxb-your-bot-token-goes-here",
    "sk_live_XXXXXXXXXXXXXXXXXXXXXXXX", "AKIAIOSFODNN7EXAMPLE", "npm_config_registry", "hvs.getTokenAccessor2()",
    "github_pat_regex_for_scanning_tokens_v2", "glpat-xxxxxxxxxxxxxxxxxxxx", "SG.SendGridClient.Factory",
])
def test_placeholders_with_a_known_prefix_stay_quiet(engine: Engine, value: str) -> None:
    assert engine.scan_bytes(f"token = {value}\n".encode(), "srv/app/settings.py") == []


@pytest.mark.parametrize(("marker", "rule_id"), [
    ("<gen:github:ghp_>", "github.pat"), ("<gen:npm>", "npm.access-token"), ("<gen:pypi>", "pypi.upload-token"),
    ("ghr_<gen:alnum:76>", "github.refresh-token-long"), ("<gen:github-fine>", "github.fine-grained-pat"),
    ("hvs.<gen:alnum:24>.<gen:alnum:5>", "vault.service-token"),
])
def test_well_formed_token_is_reported_once_by_its_own_rule(engine: Engine, marker: str, rule_id: str) -> None:
    value = specimen.expand(marker, random.Random(marker))
    findings = engine.scan_bytes(f"export TOKEN={value}\n".encode(), "home/u/.bashrc")
    assert [(f.rule_id, f.confidence) for f in findings] == [(rule_id, "high")]


def test_failed_checksum_is_unexpected_format_and_vetoes_generic_rules(engine: Engine) -> None:
    token = specimen.make("npm", None, random.Random("npm-veto"))
    bad = _flip(token, len(token) - 1)
    assert not validator.validate("npm_crc32", bad)
    findings = engine.scan_bytes(f"NPM_PASSWORD={bad}\nsecret_key = {bad}\n".encode(), "srv/app/.env")
    assert [(f.line, f.rule_id, f.confidence) for f in findings] == [
        (1, "npm.unexpected-format", "medium"), (2, "npm.unexpected-format", "medium")]


# -- widened provider shapes ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "hooks.slack.com/services/T<gen:upper:10>/B<gen:upper:10>/<gen:alnum:24>",
    "http://hooks.slack.com/services/T<gen:upper:10>/B<gen:upper:10>/<gen:alnum:24>",
    "https://hooks.slack.com/workflows/T<gen:upper:10>/A<gen:upper:10>/<gen:digits:18>/<gen:alnum:32>",
    "https://hooks.slack.com/triggers/T<gen:upper:10>/<gen:digits:13>/<gen:hex:32>",
])
def test_slack_webhook_forms(engine: Engine, url: str) -> None:
    value = specimen.expand(url, random.Random(url))
    findings = engine.scan_bytes(f"notify: \"{value}\"\n".encode(), "deploy/alerts.yaml")
    assert [(f.rule_id, f.length) for f in findings] == [("slack.webhook-url", len(value))]


@pytest.mark.parametrize(("line", "rule_id"), [
    ("curl --oauth2-bearer <gen:alnum:32> https://api.corp.local/me", "curl.authorization-header"),
    ("curl -H 'Authorization: Basic <gen:basic-auth>' https://nexus.corp.local/", "curl.basic-auth-header"),
    ("curl -H 'X-API-Key: <gen:alnum:32>' https://api.corp.local/", "curl.api-key-header"),
    ("http -a admin:<gen:alnum:16> GET https://jenkins.corp.local/api/json", "curl.httpie-auth"),
    ("curl -U proxyuser:<gen:alnum:14> https://pypi.org/simple/", "shell-history.curl-user"),
])
def test_command_line_credentials(engine: Engine, line: str, rule_id: str) -> None:
    text = specimen.expand(line, random.Random(line))
    assert [f.rule_id for f in engine.scan_bytes((text + "\n").encode(), "home/u/.bash_history")] == [rule_id]
