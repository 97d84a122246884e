"""Global placeholder filters and per-rule filters."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from secret_scanner.catalog import specimen
from secret_scanner.catalog.loader import load_rules
from secret_scanner.engine import filters as match_filter
from secret_scanner.engine.detector import Engine
from secret_scanner.engine.identity import Fingerprinter

PLACEHOLDERS = [
    ("", "empty"), ("''", "empty"),
    ("AKIAIOSFODNN7EXAMPLE", "documentation value"),
    ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "documentation value"),
    ("your-api-key-here", "documentation value"), ("changeme", "documentation value"),
    ("${DB_PASSWORD}", "template reference"), ("$DB_PASSWORD", "template reference"),
    ("%DB_PASSWORD%", "template reference"), ("{{ vault_db_password }}", "template reference"),
    ("<your-token>", "documentation value"), ("<password>", "template reference"),
    ("#{db_pass}", "template reference"), ("@DB_PASS@", "template reference"),
    ("os.environ['DB_PASSWORD']", "environment lookup"), ('os.getenv("TOKEN")', "environment lookup"),
    ("process.env.API_TOKEN", "environment lookup"), ("ENV['API_TOKEN']", "environment lookup"),
    ("$env:API_TOKEN", "environment lookup"),
    ("password", "placeholder word"), ("secret", "placeholder word"), ("null", "placeholder word"),
    ("str", "type annotation"), ("SecureString", "type annotation"), ("Optional[str]", "type annotation"),
    ("xxxxxxxxxxxx", "masked"), ("********", "masked"), ("........", "masked"), ("ab****yz", "masked"),
    ("aaaaaaaaaa", "repeated character"), ("abababababab", "repeated character"),
    ("1234567890", "sequential"), ("abcdefghij", "sequential"), ("qwertyuiop", "sequential"),
    ("self.password", "code reference"), ("getPassword()", "code reference"),
    ("config.db.password", "code reference"), ("params['token']", "code reference"),
    ("Enter your password", "ui text"), ("Password is required.", "ui text"),
    ("/home/nodeuser/project/node", "file path"), ("/Users/maciej", "file path"),
    ("C:\\Users\\alice\\AppData", "file path"), ("~/.config/app", "file path"), ("./build/out", "file path"),
    ("\\\\fileserver\\share", "file path"),
    ("login.form.password", "i18n key"), ("AUTH.ERRORS.INVALID_TOKEN", "i18n key"),
]


@pytest.mark.parametrize(("value", "reason"), PLACEHOLDERS)
def test_placeholders_are_recognised(value: str, reason: str) -> None:
    assert match_filter.detect_placeholder(value) == reason


@pytest.mark.parametrize("kind", ["alnum:32", "hex:40", "b64:40", "password:16", "password:24", "base32:16"])
def test_random_secrets_pass(kind: str) -> None:
    name, _, length = kind.partition(":")
    # Seeded: the same 200 values every run, so a failure is reproducible and CI never flakes on a rare draw.
    rng = random.Random(f"random-secrets:{kind}")
    for _ in range(200):
        value = specimen.make(name, length, rng)
        assert match_filter.detect_placeholder(value) is None, value


@pytest.mark.parametrize("value", ["Tr0ub4dor&3", "hunter2hunter3!", "S3cure-Passw0rd#2024", "p@ss.w0rd"])
def test_human_passwords_pass(value: str) -> None:
    assert match_filter.detect_placeholder(value) is None


def test_entropy() -> None:
    assert match_filter.measure_entropy("") == 0.0
    assert match_filter.measure_entropy("aaaa") == 0.0
    assert match_filter.measure_entropy("abcd") == pytest.approx(2.0)
    assert match_filter.measure_entropy(specimen.make("alnum", "64")) > 4.5


def test_stopwords_and_allow_patterns() -> None:
    assert match_filter.contains_stopword("MyTestKey123", ("testkey",))
    assert not match_filter.contains_stopword("MyProdKey123", ("testkey",))
    assert match_filter.matches_allow_pattern("sk_test_abc", (re.compile(r"^sk_test_"),))
    assert not match_filter.matches_allow_pattern("sk_prod_abc", (re.compile(r"^sk_test_"),))


def test_rule_filters_apply_in_the_engine(tmp_path: Path) -> None:
    (tmp_path / "r.toml").write_text('''
[[rules]]
id = "test.api"
title = "API key"
severity = "high"
confidence = "medium"
pattern = \'\'\'api_key\\s{0,3}=\\s{0,3}"([^"]{8,64})"\'\'\'
keywords = ["api_key"]
min_entropy = 3.0
stopwords = ["demo"]
allow_patterns = [\'\'\'^pk_\'\'\']
description = "Test rule for the per-rule filters."
examples = ['api_key = "<gen:alnum:32>"']

[[rules]]
id = "test.raw"
title = "Raw key"
severity = "high"
confidence = "medium"
placeholder_filter = false
pattern = \'\'\'raw_key\\s{0,3}=\\s{0,3}"([^"]{8,64})"\'\'\'
keywords = ["raw_key"]
description = "Test rule without placeholder filters."
examples = ['raw_key = "<gen:alnum:32>"']
''')
    engine = Engine(load_rules(tmp_path), Fingerprinter(b"k" * 32, "t"), "python")
    real = specimen.make("alnum", "32")

    def found(line: str) -> list[str]:
        return [f.rule_id for f in engine.scan_bytes(line.encode(), "x.cfg")]

    assert found(f'api_key = "{real}"') == ["test.api"]
    assert found('api_key = "aabbaabbaabbaabb"') == []  # entropy
    assert found(f'api_key = "demo{real}"') == []  # stopword
    assert found(f'api_key = "pk_{real}"') == []  # allow pattern
    assert found('api_key = "${API_KEY}"') == []  # placeholder filter
    assert found('raw_key = "${API_KEY}"') == ["test.raw"]  # placeholder_filter = false


@pytest.mark.parametrize("value", ["test-token-1234", "fake_password_for_tests", "test-password-not-real",
                                   "dummy.secret.value"])
def test_values_made_of_test_words_are_placeholders(value: str) -> None:
    assert match_filter.is_test_value(value)


@pytest.mark.parametrize("value", ["sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc", "Tester2024!", "c0ntest-Xq9#vLp2"])
def test_real_looking_values_with_test_in_them_are_not_test_values(value: str) -> None:
    assert not match_filter.is_test_value(value)


@pytest.mark.parametrize("value", ["ENC(+eb/4xgzhGUFJ5SLgW6CBi9n)", "vault:v1:xYlu+FXOFpVufo6BNqkHe8MQ==",
                                   "{cipher}AQB3kP0Zy8", "ENC[AES256_GCM,data:Zm9v]"])
def test_encrypted_values_are_not_secrets(value: str) -> None:
    assert match_filter.is_encrypted_value(value)
    assert match_filter.detect_placeholder(value) is not None


@pytest.mark.parametrize("value", ["ghp_iYNLexf9ElChiC", "AKIA83WV8KPQ", "sk-proj-uIOOceYTAw", "xoxb-134289"])
def test_provider_prefixed_values_are_recognised(value: str) -> None:
    assert match_filter.has_provider_prefix(value)


def test_truncated_provider_token_is_not_reported_by_generic_rules() -> None:
    engine = Engine(load_rules(), Fingerprinter(b"k" * 32, "install"), engine="python")
    text = 'access_token = "ghp_iYNLexf9ElChiCq2"\nREDIS_PASSWORD=AKIAK8RZXH5UQ7\n'
    assert engine.scan_bytes(text.encode(), "srv/app/.env") == []
