"""Catalog rules (cloud, data, payment and AI provider families): the bech32 specimen class
and the shapes the context rules must (and must not) read, beyond each rule's own examples."""

from __future__ import annotations

import random

import pytest

from secret_scanner.catalog import specimen
from secret_scanner.catalog.loader import load_rules
from secret_scanner.engine.selftest import new_engine

BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


@pytest.fixture(scope="module")
def engine() -> object:
    return new_engine(load_rules())


def _rules_found(engine: object, template: str, path: str = "config.txt") -> set[str]:
    text = specimen.expand(template, random.Random(template))
    return {finding.rule_id for finding in engine.scan_bytes(text.encode(), path)}  # type: ignore[attr-defined]


@pytest.mark.parametrize(("kind", "alphabet"), [("bech32", BECH32), ("BECH32", BECH32.upper())])
def test_bech32_specimens_use_only_bech32_data_characters(kind: str, alphabet: str) -> None:
    value = specimen.make(kind, "58", random.Random(7))
    assert len(value) == 58
    assert set(value) <= set(alphabet)


def test_age_key_outside_the_bech32_alphabet_is_not_reported(engine: object) -> None:
    good = "AGE-SECRET-KEY-1<gen:BECH32:58>"
    assert "age.secret-key" in _rules_found(engine, good)
    # 'B', 'I' and 'O' are not Bech32 characters.
    assert "age.secret-key" not in _rules_found(engine, "AGE-SECRET-KEY-1BIO<gen:BECH32:55>")


# The assignment shapes secrets sit in across config formats and languages (INI, JSON, escaped JSON, XML, YAML
# block scalars, Go, Kotlin, PHP, CSV, logstash, Makefile), for a token known only by its key name.
SHAPES = [
    'cloudflareToken="{s}"', '"cloudflare_token": "{s}"', '\\"cloudflare_token\\": \\"{s}\\"',
    "<cloudflareToken>\n    {s}\n</cloudflareToken>", "cloudflare_token: |\n  {s}", "cloudflare_token: >\n  {s}",
    'var cloudflareToken string = "{s}"', "cloudflareToken := `{s}`", '$cloudflareToken .= "{s}"',
    "cloudflareToken,{s},", '  "cloudflareToken" => "{s}"', 'CLOUDFLARE_TOKEN ::= "{s}"',
    'CLOUDFLARE_TOKEN ?= "{s}"', 'cf = Cloudflare(api_token="{s}")',
    "cloudflare:\n  zone: corp.example\n  api_token: '{s}'",
]


@pytest.mark.parametrize("shape", SHAPES)
def test_context_rule_reads_common_assignment_shapes(engine: object, shape: str) -> None:
    assert "cloudflare.api-token" in _rules_found(engine, shape.replace("{s}", "<gen:b64url:40>"))


@pytest.mark.parametrize("text", [
    # Prose and URLs after a provider name are not an assignment of a credential.
    "// Snowflake Inc : https://www.snowflake.com/docs/connecting-with-the-python-connector",
    # A nested YAML key that names no credential.
    "cloudflare:\n  zone_name: <gen:alnum:40>",
    # Comparison, not assignment.
    'if cloudflare_token == "<gen:alnum:40>":',
])
def test_context_rules_stay_quiet_on_non_assignments(engine: object, text: str) -> None:
    found = _rules_found(engine, text)
    assert not {rule for rule in found if rule.split(".")[0] in {"cloudflare", "snowflake"}}, found


@pytest.mark.parametrize("manifest", [
    "apiVersion: v1\ndata:\n\tpassword: <gen:b64:24>\n\tusername: YWRtaW4=\nkind: secret\nmetadata:\n\tname: db\n",
    "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockercfg\ndata:\n  .dockercfg: |\n    <gen:b64:96>\n",
])
def test_kubernetes_secrets_in_either_key_order(engine: object, manifest: str) -> None:
    assert _rules_found(engine, manifest, "deploy/secret.yaml") & {
        "kubernetes.secret-manifest", "kubernetes.secret-manifest-sorted"}


def test_kubernetes_sops_secret_is_not_a_secret_manifest(engine: object) -> None:
    sops = ("apiVersion: isindir.github.com/v1alpha3\nkind: SopsSecret\nspec:\n  secretTemplates:\n"
            "    - name: app\n      data:\n        data-name1: <gen:b64:24>\n")
    found = _rules_found(engine, sops, "deploy/sops.yaml")
    assert not {rule for rule in found if rule.startswith("kubernetes.")}, found
