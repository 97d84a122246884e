"""Token shapes of the provider families the rule catalog grew in issue #8, for the benchmark corpus.

Each shape is written from the provider's own description of its credentials (prefix, alphabet, length, the
parts a token is built from), not from our rule files: the rule files' `references` say where to look, the
shapes here are what that documentation shows. Where a provider documents only a prefix (Vercel, Buildkite
agent tokens), the length range is a guess and says so. Values are drawn from the seeded `Mint`, so every
corpus value is fresh per seed and nothing live-format is committed.

A `TokenKind` is one credential type: its corpus family (the provider), the variable names people store it
under, and a maker. `bench.corpus_families` places the kinds in files.
"""

from __future__ import annotations

import base64
import json
import string
from collections.abc import Callable
from dataclasses import dataclass

from bench.corpus import Mint

ALNUM = string.ascii_letters + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
B64URL = ALNUM + "-_"


@dataclass(frozen=True)
class TokenKind:
    """One credential type of a provider family."""

    family: str
    names: tuple[str, ...]  # variable names it is stored under (first is the provider's own)
    make: Callable[[Mint], str]
    alone: bool = True  # False: only recognisable next to its variable name (an opaque hex/alnum value)


def _b64json(value: object) -> str:
    return base64.b64encode(json.dumps(value, separators=(",", ":")).encode()).decode().rstrip("=")


def uuid(m: Mint) -> str:
    return m.gen("uuid")


def alnum(length: int) -> Callable[[Mint], str]:
    return lambda m: m.chars(ALNUM, length)


def lower(length: int) -> Callable[[Mint], str]:
    return lambda m: m.chars(LOWER_ALNUM, length)


def hexes(length: int) -> Callable[[Mint], str]:
    return lambda m: m.hex(length)


def prefixed(prefix: str, alphabet: str, length: int) -> Callable[[Mint], str]:
    return lambda m: prefix + m.chars(alphabet, length)


# -- shapes with structure ------------------------------------------------------------------------------


def asana_pat(m: Mint) -> str:
    if m.rng.random() < 0.5:
        return f"1/{m.digits(16)}:{m.hex(32)}"
    return f"2/{m.digits(16)}/{m.digits(16)}:{m.hex(32)}"


def atlassian_style(prefix: str) -> Callable[[Mint], str]:
    # Atlassian-issued tokens (Bitbucket access tokens, Trello): prefix, a long base64url body, a CRC-like tail.
    return lambda m: prefix + m.gen("b64url", "180") + "=" + m.gen("HEX", "8")


def doppler(kind: str) -> Callable[[Mint], str]:
    def make(m: Mint) -> str:
        if kind == "st":
            return f"dp.st.{m.rng.choice(('dev', 'stg', 'prd', 'ci'))}.{m.chars(ALNUM, 40)}"
        return f"dp.{kind}.{m.chars(ALNUM, m.rng.randrange(40, 45))}"

    return make


def dropbox_short(m: Mint) -> str:
    return "sl." + m.chars(B64URL, m.rng.randrange(135, 150))


def dropbox_long(m: Mint) -> str:
    return m.chars(B64URL, 11) + "AAAAAAAAAA" + m.chars(B64URL, 43)


def facebook_token(m: Mint) -> str:
    return "EAA" + m.rng.choice("BCDGIJ") + m.chars(ALNUM, m.rng.randrange(150, 200))


def facebook_app_token(m: Mint) -> str:
    return f"{m.digits(16)}|{m.hex(32)}"


def flyio_macaroon(m: Mint) -> str:
    return "FlyV1 fm2_" + base64.b64encode(m.rng.randbytes(m.rng.randrange(300, 420))).decode()


def harness(prefix: str) -> Callable[[Mint], str]:
    return lambda m: f"{prefix}.{m.chars(B64URL, 22)}.{m.hex(24)}.{m.chars(ALNUM, 20)}"


def heroku(m: Mint) -> str:
    return "HRKU-AA" + m.chars(B64URL, 58)


def infisical_service(m: Mint) -> str:
    return f"st.{m.hex(24)}.{m.hex(32)}.{m.hex(32)}"


def intercom(m: Mint) -> str:
    u = m.gen("uuid").replace("-", "_")
    return base64.b64encode(f"tok:{u}:1:0".encode()).decode()


def jfrog_reference(m: Mint) -> str:
    # base64 of "reftkn:01:<expiry>:<id>": the prefix is what every reference token starts with.
    return "cmVmdGtuOjAxOj" + m.chars(ALNUM, 50)


def mailgun_private(m: Mint) -> str:
    return f"{m.hex(32)}-{m.hex(8)}-{m.hex(8)}"


def mailchimp(m: Mint) -> str:
    return f"{m.hex(32)}-us{m.rng.randrange(1, 22)}"


def msteams_webhook(m: Mint) -> str:
    tenant = m.word()
    group, tenant_id, connector = m.gen("uuid"), m.gen("uuid"), m.gen("uuid")
    return (
        f"https://{tenant}.webhook.office.com/webhookb2/{group}@{tenant_id}/IncomingWebhook/"
        f"{m.hex(32)}/{connector}/V2{m.chars(B64URL, 45)}"
    )


def msteams_workflow(m: Mint) -> str:
    region = m.rng.choice(("westus", "westeurope", "eastus", "northeurope"))
    return (
        f"https://prod-{m.rng.randrange(10, 99)}.{region}.logic.azure.com:443/workflows/{m.hex(32)}"
        f"/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0"
        f"&sig={m.chars(B64URL, 43)}"
    )


def ngrok(m: Mint) -> str:
    return f"{m.rng.randrange(1, 3)}{m.chars(ALNUM, 26)}_{m.chars(ALNUM, 21)}"


def notion(m: Mint) -> str:
    if m.rng.random() < 0.6:
        return "ntn_" + m.digits(11) + m.chars(ALNUM, 35)
    return "secret_" + m.chars(ALNUM, 43)


def onepassword_service(m: Mint) -> str:
    payload = {
        "signInAddress": "my.1password.com",
        "userAuth": {"method": "SRPg-4096", "alg": "PBES2g-HS256", "iterations": 650000, "salt": m.chars(B64URL, 22)},
        "email": f"{m.chars(LOWER_ALNUM, 13)}@1passwordserviceaccounts.com",
        "srpX": m.hex(64),
        "muk": {
            "alg": "A256GCM",
            "ext": True,
            "k": m.chars(B64URL, 43),
            "key_ops": ["encrypt", "decrypt"],
            "kty": "oct",
            "kid": "mp",
        },
        "secretKey": onepassword_secret_key(m),
        "throttleSecret": {"seed": m.hex(64), "uuid": m.chars(UPPER_ALNUM, 26)},
        "deviceUuid": m.chars(LOWER_ALNUM, 26),
    }
    return "ops_" + _b64json(payload)


def onepassword_secret_key(m: Mint) -> str:
    groups = (m.chars(UPPER_ALNUM, 6), m.chars(UPPER_ALNUM, 6), *tuple(m.chars(UPPER_ALNUM, 5) for _ in range(4)))
    return "A3-" + "-".join(groups)


def pagerduty_rest(m: Mint) -> str:
    if m.rng.random() < 0.5:
        return "u+" + m.chars(B64URL, 18)
    return m.chars(ALNUM + "_-+", 20)


def render_hook(m: Mint) -> str:
    return f"https://api.render.com/deploy/srv-{m.chars(LOWER_ALNUM, 20)}?key={m.chars(B64URL, 11)}"


def salesforce_access(m: Mint) -> str:
    return f"00D{m.chars(ALNUM, 12)}!{m.chars(ALNUM + '._', m.rng.randrange(96, 112))}"


def salesforce_refresh(m: Mint) -> str:
    return "5Aep861" + m.chars(ALNUM + "._", 80)


def sentry_org(m: Mint) -> str:
    claims = {
        "iat": 1700000000 + m.rng.randrange(10**7),
        "url": "https://sentry.io",
        "region_url": "https://us.sentry.io",
        "org": m.word(),
    }
    return f"sntrys_{_b64json(claims)}_{m.chars(B64URL, 43)}"


def sentry_dsn_secret(m: Mint) -> str:
    return f"https://{m.hex(32)}:{m.hex(32)}@sentry.io/{m.digits(6)}"


def sourcegraph(m: Mint) -> str:
    if m.rng.random() < 0.5:
        return f"sgp_{m.hex(16)}_{m.hex(40)}"
    return "sgp_" + m.hex(40)


def sumologic_url(m: Mint) -> str:
    body = base64.b64encode(m.rng.randbytes(m.rng.randrange(120, 160))).decode()
    return f"https://endpoint{m.rng.randrange(1, 7)}.collection.us2.sumologic.com/receiver/v1/http/{body}"


def tailscale(kind: str) -> Callable[[Mint], str]:
    return lambda m: f"tskey-{kind}-k{m.chars(ALNUM, 11)}CNTRL-{m.chars(ALNUM, 33)}"


def twitter_bearer(m: Mint) -> str:
    return "A" * 22 + m.chars(ALNUM, 18) + "%3D" + m.chars(ALNUM, 50)


def twitter_access(m: Mint) -> str:
    return f"{m.digits(19)}-{m.chars(ALNUM, 40)}"


def typeform(m: Mint) -> str:
    return f"tfp_{m.chars(B64URL, 44)}_{m.chars(ALNUM, 14)}"


def vercel(m: Mint) -> str:
    # Vercel documents the prefixes (vcp/vci/vca/vcr/vck); the body length here is a guess.
    return m.rng.choice(("vcp_", "vci_", "vck_")) + m.chars(ALNUM, m.rng.randrange(48, 61))


def webex(m: Mint) -> str:
    return f"{m.chars(ALNUM, 64)}_{m.chars(UPPER_ALNUM, 4)}_{m.gen('uuid')}"


def zapier_hook(m: Mint) -> str:
    return f"https://hooks.zapier.com/hooks/catch/{m.digits(8)}/{m.chars(LOWER_ALNUM, 6)}/"


def mattermost_hook(m: Mint) -> str:
    return f"https://chat.{m.word()}.example.com/hooks/{m.chars(LOWER_ALNUM, 26)}"


def clickup(m: Mint) -> str:
    return f"pk_{m.digits(m.rng.randrange(6, 10))}_{m.chars(UPPER_ALNUM, 32)}"


def circleci(prefix: str) -> Callable[[Mint], str]:
    return lambda m: f"{prefix}_{m.chars(ALNUM, 22)}_{m.hex(40)}"


def jenkins_api(m: Mint) -> str:
    return "11" + m.hex(32)


def brevo(prefix: str) -> Callable[[Mint], str]:
    return lambda m: f"{prefix}-{m.hex(64)}-{m.chars(ALNUM, 16)}"


def monday_jwt(m: Mint) -> str:
    header = base64.urlsafe_b64encode(b'{"alg":"HS256"}').decode().rstrip("=")
    claims = {
        "tid": m.rng.randrange(10**8, 10**9),
        "aai": 11,
        "uid": m.rng.randrange(10**7, 10**8),
        "iad": "2024-03-01T10:00:00.000Z",
        "per": "me:write",
        "actid": m.rng.randrange(10**7),
        "rgn": "use1",
    }
    payload = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{header}.{payload}.{m.chars(B64URL, 43)}"
