"""Fixes driven by the bench corpus (bench/README.md "Fixes this corpus drove"): catalog policy and the
general shapes of key assignment the corpus showed we missed."""

from __future__ import annotations

import random
import secrets

import pytest

from secret_scanner.catalog import specimen
from secret_scanner.catalog.loader import load_rules
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.engine.scan import Engine
from secret_scanner.model import Confidence, Finding

_KEY = Fingerprinter(secrets.token_bytes(32), "test")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_rules(), _KEY, "python")


def _scan(engine: Engine, text: str, path: str) -> list[Finding]:
    return engine.scan_bytes(specimen.expand(text, random.Random(11)).encode("utf-8"), path)


def test_provider_rules_are_at_least_as_confident_as_the_generic_rules() -> None:
    # A provider rule wins the overlap with a generic rule on the same span; were it less confident than the
    # generic rule, the default threshold (medium) would hide a secret the generic rule alone would report.
    rules = load_rules()
    generic_floor = min(rule.confidence.rank for rule in rules if rule.generic)
    weaker = [rule.id for rule in rules
              if not rule.generic and rule.confidence.rank < generic_floor]
    assert generic_floor >= Confidence.MEDIUM.rank
    assert weaker == []


# The shared key/value separator of the provider context rules: besides `NAME=value`, `NAME: value` and
# `"NAME" => "value"`, a value is also assigned by a call (`os.environ.setdefault("NAME", "value")`,
# `getenv("NAME", "default")`), by subscript (`os.environ["NAME"] = "value"`), by .NET appSettings
# (`<add key="NAME" value="..."/>`) and by a shell command with a quoted argument (fish `set -gx NAME "value"`).
@pytest.mark.parametrize(("text", "rule_id"), [
    ('''os.environ.setdefault("HEROKU_API_KEY", "<gen:uuid>")''', "heroku.legacy-api-key"),
    ('''os.environ["HEROKU_API_KEY"] = "<gen:uuid>"''', "heroku.legacy-api-key"),
    ('''token = os.getenv("JENKINS_TOKEN", "11<gen:hex:32>")''', "jenkins.api-token"),
    ('''os.environ.setdefault("INFISICAL_CLIENT_SECRET", "<gen:hex:64>")''', "infisical.client-secret"),
    ('''    <add key="sonarLogin" value="<gen:hex:40>" />''', "sonar.legacy-token"),
    ('''- cmd: set -gx PAGERDUTY_ROUTING_KEY "<gen:hex:32>"''', "pagerduty.integration-key"),
])
def test_provider_values_assigned_by_call_subscript_appsetting_or_command(
        engine: Engine, text: str, rule_id: str) -> None:
    found = [finding.rule_id for finding in _scan(engine, text, "home/alice/app/settings.txt")]
    assert found == [rule_id]


@pytest.mark.parametrize("text", [
    '''os.environ.setdefault("HEROKU_API_KEY", "")''',
    '''os.environ.setdefault("HEROKU_API_KEY", os.environ["DEFAULT"])''',
    '''    <add key="sonarLogin" value="" />''',
    '''set -gx PAGERDUTY_ROUTING_KEY $ROUTING''',
])
def test_empty_or_indirect_values_stay_quiet(engine: Engine, text: str) -> None:
    assert _scan(engine, text, "home/alice/app/settings.txt") == []


def test_sumo_logic_collector_token_may_hold_base64_slashes(engine: Engine) -> None:
    # The HTTP source URL ends in a base64 token (help.sumologic.com, "HTTP Logs and Metrics Source"); the
    # standard base64 alphabet has `/`, so a slash inside the token must not end the match.
    url = ("https://endpoint5.collection.us2.sumologic.com/receiver/v1/http/"
           "<gen:alnum:14>/<gen:alnum:10>/<gen:alnum:30>/<gen:alnum:20>==")
    findings = _scan(engine, f'SUMO_URL = "{url}"', "home/alice/app/settings.txt")
    assert [finding.rule_id for finding in findings] == ["sumologic.collector-url"]
    assert findings[0].length > 100


def test_snyk_cli_config_token_only_in_the_cli_config_file(engine: Engine) -> None:
    text = '{\n  "api": "<gen:uuid>",\n  "org": "acme"\n}'
    assert [f.rule_id for f in _scan(engine, text, "home/alice/.config/configstore/snyk.json")] == [
        "snyk.cli-config-token"]
    assert [f.rule_id for f in _scan(engine, text, "home/alice/app/package.json")] == []


@pytest.mark.parametrize("text", [
    '''export REDIS_PASSWORD="change-me-please"''',
    '''db_password = change-me-please''',
    '''OKTA_API_TOKEN = "[OKTA_API_TOKEN]"''',
    '''NOTION_TOKEN: "[NOTION_TOKEN]"''',
    '''SECRET_ARN=arn:aws:secretsmanager:eu-west-1:<gen:digits:12>:secret:prod/app/api-token-<gen:alnum:6>''',
])
def test_placeholders_and_resource_names_are_not_secrets(engine: Engine, text: str) -> None:
    assert _scan(engine, text, "home/alice/app/settings.txt") == []


@pytest.mark.parametrize("text", [
    '''db_password = Exchange-<gen:alnum:12>''',
    '''OKTA_API_TOKEN = "[<gen:alnum:24>]"''',
    '''API_SECRET=<gen:alnum:32>''',
])
def test_values_near_those_shapes_are_still_secrets(engine: Engine, text: str) -> None:
    assert len(_scan(engine, text, "home/alice/app/settings.txt")) == 1


@pytest.mark.parametrize(("text", "rule_id"), [
    # `Get-ChildItem Env: | Out-File`: PowerShell's Name/Value table pads the name with spaces.
    ('''JENKINS_API_TOKEN              11<gen:hex:32>''', "jenkins.api-token"),
    ('''NETLIFY_AUTH_TOKEN             <gen:alnum:43>''', "netlify.legacy-token"),
    # A Spring/Java properties key spelled with dots.
    ('''railway.token=<gen:uuid>''', "railway.project-token"),
    # Dropbox tokens are base64url throughout, so the 11 characters before the A-run may hold - or _.
    ("""[Environment]::SetEnvironmentVariable('DROPBOX_ACCESS_TOKEN', '<gen:alnum:2>-<gen:alnum:8>"""
     """AAAAAAAAAA<gen:alnum:20>_<gen:alnum:22>', 'User')""", "dropbox.long-lived-token"),
])
def test_table_dumps_dotted_keys_and_base64url_tokens(engine: Engine, text: str, rule_id: str) -> None:
    assert [finding.rule_id for finding in _scan(engine, text, "home/alice/app/settings.txt")] == [rule_id]


def test_discord_token_on_the_line_after_its_plist_key(engine: Engine) -> None:
    text = ("<dict>\n\t<key>APIToken</key>\n\t<string><gen:discord-bot></string>\n</dict>")
    findings = _scan(engine, text, "Users/carol/Library/Preferences/com.acme.sync.plist")
    assert [finding.rule_id for finding in findings] == ["discord.bot-token"]
    assert findings[0].line == 3


def test_table_padding_does_not_join_a_name_to_prose(engine: Engine) -> None:
    assert _scan(engine, "JENKINS_API_TOKEN              see the vault entry", "home/alice/env.txt") == []


def test_escaped_encrypted_pkcs8_in_a_box_jwt_config(engine: Engine) -> None:
    text = ('{\n  "boxAppSettings": {\n    "appAuth": {\n      "publicKeyID": "<gen:lower:8>",\n'
            '      "privateKey": "<gen:pem-escaped:encrypted-pkcs8>",\n      "passphrase": "<gen:hex:32>"\n'
            '    }\n  }\n}')
    rule_ids = [finding.rule_id for finding in _scan(engine, text, "home/alice/Downloads/123_abc_config.json")]
    assert "private-key.escaped-encrypted-pkcs8" in rule_ids


@pytest.mark.parametrize("text", [
    '''drift vpn password: <gen:lower:3>A<gen:lower:2>.n<gen:upper:1><gen:lower:1>3_<gen:lower:1>G''',
    '''SECRET_KEY=Tiger<gen:lower:3><gen:digits:4>$''',
])
def test_random_passwords_with_a_dot_or_a_trailing_dollar_are_secrets(engine: Engine, text: str) -> None:
    assert len(_scan(engine, text, "home/judy/Desktop/passwords.txt")) == 1


@pytest.mark.parametrize("text", [
    '''password = settings.dbPassword2''',
    '''password = Config.DB_PASS''',
    '''SECRET_KEY=$SECRET_KEY_FROM_VAULT''',
])
def test_attribute_chains_and_variables_stay_quiet(engine: Engine, text: str) -> None:
    assert _scan(engine, text, "home/judy/app/settings.txt") == []
