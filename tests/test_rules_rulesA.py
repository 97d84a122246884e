"""CI / developer-platform rule families beyond their own examples: tokens glued inside longer
words are not reported, and where two of these rules could claim one span the more specific one wins.

Every value is a `<gen:...>` specimen expanded at test time (no live-format token in git).
"""

from __future__ import annotations

import random

import pytest

from secret_scanner.catalog import specimen
from secret_scanner.catalog.loader import load_rules
from secret_scanner.engine.selftest import new_engine

ENGINE = new_engine(load_rules())


def _rule_ids(template: str, path: str = "config/.env") -> set[str]:
    text = specimen.expand(template, random.Random(template))
    return {finding.rule_id for finding in ENGINE.scan_bytes(text.encode("utf-8"), path)}


@pytest.mark.parametrize(("glued", "bare", "rule_id"), [
    ("x_squ_<gen:hex:40>", "squ_<gen:hex:40>", "sonar.user-token"),
    ("dp.pt.<gen:alnum:43>_suffix", "dp.pt.<gen:alnum:43>", "doppler.personal-token"),
    ("XAKCp8<gen:alnum:68>", "AKCp8<gen:alnum:68>", "jfrog.api-key"),
    ("CCIPAT_<gen:alnum:22>_<gen:hex:40>0", "CCIPAT_<gen:alnum:22>_<gen:hex:40>", "circleci.personal-token"),
    ("myATBB<gen:alnum:32>", "ATBB<gen:alnum:32>", "bitbucket.app-password"),
    ("rubygems_<gen:hex:48>a", "rubygems_<gen:hex:48>", "rubygems.api-key"),
    ("oy2<gen:lower:43>x", "oy2<gen:lower:43>", "nuget.api-key"),
    ("tskey-auth-k<gen:alnum:7>CNTRL-<gen:alnum:33>_x", "tskey-auth-k<gen:alnum:7>CNTRL-<gen:alnum:33>",
     "tailscale.auth-key"),
    ("xsntryu_<gen:hex:64>", "sntryu_<gen:hex:64>", "sentry.user-token"),
    ("HRKU-<gen:b64url:60>abcdef", "HRKU-<gen:b64url:60>", "heroku.api-key"),
])
def test_token_glued_to_a_longer_word_is_not_reported(glued: str, bare: str, rule_id: str) -> None:
    assert rule_id not in _rule_ids(f"TOKEN={glued}")
    assert rule_id in _rule_ids(f"TOKEN={bare}"), "the same token on its own is reported"


@pytest.mark.parametrize(("template", "winner", "loser"), [
    ("ARTIFACTORY_API_KEY=AKCp8<gen:alnum:68>", "jfrog.api-key", "jfrog.context-token"),
    ("SONAR_TOKEN=squ_<gen:hex:40>", "sonar.user-token", "sonar.legacy-token"),
    ("SENTRY_AUTH_TOKEN=sntryu_<gen:hex:64>", "sentry.user-token", "sentry.legacy-auth-token"),
])
def test_prefixed_rule_wins_over_the_context_rule(template: str, winner: str, loser: str) -> None:
    found = _rule_ids(template)
    assert winner in found
    assert loser not in found


def test_circleci_badge_token_is_not_an_api_token_but_the_api_url_is() -> None:
    badge = "[![CircleCI](https://circleci.com/gh/acme/api.svg?style=svg&circle-token=<gen:hex:40>)](x)"
    api = "curl https://circleci.com/api/v1.1/me?circle-token=<gen:hex:40>"
    assert "circleci.legacy-token" not in _rule_ids(badge, "README.md")
    assert "circleci.legacy-token" in _rule_ids(api, "deploy.sh")


def test_path_bound_rules_stay_in_their_files() -> None:
    cfg = 'token="<gen:hex:50>"\nname="%hostname-%spawn"'
    assert "buildkite.agent-config-token" in _rule_ids(cfg, "etc/buildkite-agent/buildkite-agent.cfg")
    assert "buildkite.agent-config-token" not in _rule_ids(cfg, "etc/other/agent.cfg")
    key = "<gen:hex:512>"
    assert "jenkins.master-key" in _rule_ids(key, "var/lib/jenkins/secrets/master.key")
    assert "jenkins.master-key" not in _rule_ids(key, "var/lib/jenkins/secrets/other.key")
