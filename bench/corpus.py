"""Benchmark corpus: three realistic endpoint file trees (windows/, linux/, macos/) with planted secrets.

Every planted secret is made fresh from the seed with `secret_scanner.catalog.specimen` (or the token shapes below),
placed where it lives on a real machine, and recorded in `manifest.json` with its file, 1-based line span in
the decoded text, family, expected severity class and the sha256 of its value (never the value itself).
Hard negatives -- text that looks like a secret but is not -- are recorded the same way with their kind.

The corpus is designed from what endpoints hold, not from our rule files, so that the benchmark does not
reward tuning to our own rules.

    python -m bench.corpus --out bench/out/corpus --seed 7 [--scale 1]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import random
import string
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from secret_scanner.catalog import specimen

GENERATOR_VERSION = 2  # 2: issue #8 families (bench/corpus_families.py)
TREES = ("windows", "linux", "macos")

# Expected severity class per family: what a responder should feel on reading the finding.
SEVERITY = {
    "aws": "critical",
    "aws-session-token": "critical",
    "gcp-service-account": "critical",
    "gcp-refresh-token": "high",
    "azure-storage": "critical",
    "azure-sas": "high",
    "digitalocean": "critical",
    "github": "critical",
    "github-fine": "critical",
    "gitlab": "critical",
    "slack-token": "high",
    "slack-webhook": "medium",
    "discord-webhook": "medium",
    "discord-bot": "high",
    "telegram-bot": "high",
    "stripe": "critical",
    "square": "critical",
    "braintree": "critical",
    "shopify": "high",
    "openai": "high",
    "anthropic": "high",
    "huggingface": "high",
    "npm": "critical",
    "pypi": "critical",
    "twilio": "high",
    "sendgrid": "high",
    "datadog": "high",
    "newrelic": "high",
    "grafana": "high",
    "postman": "high",
    "linear": "high",
    "atlassian": "high",
    "databricks": "critical",
    "vault": "critical",
    "terraform-cloud": "critical",
    "private-key": "critical",
    "private-key-encrypted": "low",
    "jwt": "medium",
    "db-uri": "high",
    "connection-string": "high",
    "generic-password": "medium",
    "netrc": "high",
    "git-credentials": "high",
    "pgpass": "high",
    "npmrc-auth": "high",
    "docker-auth": "high",
    "kube-token": "critical",
    "kube-client-key": "critical",
    "cli-password": "medium",
    "unattend-password": "high",
    "securestring-plaintext": "high",
    "filezilla": "high",
    "winscp": "high",
    "mysql-cnf": "high",
    "rclone": "high",
    "autologon-password": "high",
}

_WORDS = (
    "alpha",
    "orion",
    "delta",
    "harbor",
    "maple",
    "falcon",
    "nimbus",
    "atlas",
    "cobalt",
    "ember",
    "lotus",
    "quartz",
    "summit",
    "tango",
    "vertex",
    "willow",
    "zephyr",
    "beacon",
    "cedar",
    "drift",
)
_HUMAN_WORDS = (
    "Summer",
    "Winter",
    "Dragon",
    "Monkey",
    "Football",
    "Sunshine",
    "Princess",
    "Shadow",
    "Master",
    "Welcome",
    "Keeper",
    "Autumn",
    "Tiger",
    "Falcon",
    "Raptor",
    "Coffee",
)
_UPPER_ALNUM = string.ascii_uppercase + string.digits
_LOWER_ALNUM = string.ascii_lowercase + string.digits


# ---------------------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class Plant:
    """One planted secret: where it is (1-based lines in the decoded text) and what it is."""

    tree: str
    path: str
    line: int
    end_line: int
    family: str
    severity: str
    context: str
    encoding: str
    sha256: str


@dataclass(frozen=True)
class Negative:
    """One hard negative: looks like a secret, is not one."""

    tree: str
    path: str
    line: int
    end_line: int
    kind: str


@dataclass(frozen=True)
class Encoding:
    name: str  # utf-8, utf-8-sig, utf-16-le-bom, utf-16-le
    newline: str  # "\n" or "\r\n"

    def label(self) -> str:
        return self.name + ("-crlf" if self.newline == "\r\n" else "")

    def encode(self, text: str) -> bytes:
        text = text.replace("\n", self.newline) if self.newline != "\n" else text
        if self.name == "utf-8":
            return text.encode("utf-8")
        if self.name == "utf-8-sig":
            return b"\xef\xbb\xbf" + text.encode("utf-8")
        if self.name == "utf-16-le-bom":
            return b"\xff\xfe" + text.encode("utf-16-le")
        if self.name == "utf-16-le":
            return text.encode("utf-16-le")
        raise ValueError(f"unknown encoding {self.name}")


UTF8 = Encoding("utf-8", "\n")
UTF8_CRLF = Encoding("utf-8", "\r\n")
UTF8_BOM_CRLF = Encoding("utf-8-sig", "\r\n")
UTF16_BOM = Encoding("utf-16-le-bom", "\r\n")
UTF16_NOBOM = Encoding("utf-16-le", "\r\n")


@dataclass
class Draft:
    """A file being written: its lines, and which of them hold plants and negatives."""

    path: str
    encoding: Encoding
    lines: list[str] = field(default_factory=list)
    plants: list[tuple[int, int, str, str, str]] = field(default_factory=list)
    negatives: list[tuple[int, int, str]] = field(default_factory=list)

    def add(self, text: str) -> tuple[int, int]:
        """Append text (may span lines); return its first and last 1-based line."""
        start = len(self.lines) + 1
        parts = text.split("\n")
        self.lines.extend(parts)
        return start, len(self.lines)

    def secret(self, family: str, text: str, value: str, context: str = "") -> None:
        start, end = self.add(text)
        self.plants.append((start, end, family, context, value))

    def whole(self, family: str, value: str, context: str = "") -> None:
        """The whole file so far is one credential object (tools may report any of its lines)."""
        self.plants.append((1, len(self.lines), family, context, value))

    def negative(self, kind: str, text: str) -> None:
        start, end = self.add(text)
        self.negatives.append((start, end, kind))

    def render(self) -> bytes:
        return self.encoding.encode("\n".join(self.lines) + "\n")


# ---------------------------------------------------------------------------------------------------------
# Token shapes (fresh per seed)


class Mint:
    """Makes secrets of the right shape from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def chars(self, alphabet: str, length: int) -> str:
        while True:
            value = "".join(self.rng.choice(alphabet) for _ in range(length))
            if not any(value[i] == value[i + 1] == value[i + 2] == value[i + 3] for i in range(length - 3)):
                return value

    def gen(self, kind: str, arg: str | None = None) -> str:
        return specimen.make(kind, arg, self.rng)

    def digits(self, length: int) -> str:
        return str(self.rng.randrange(1, 10)) + self.chars(string.digits, length - 1)

    def aws_pair(self, session: bool = False) -> tuple[str, str]:
        return self.gen("aws-key-id", "ASIA" if session else "AKIA"), self.gen("aws-secret")

    def aws_session_token(self) -> str:
        return "IQoJb3JpZ2luX2Vj" + self.gen("b64", "340") + "="

    def azure_key(self) -> str:
        return base64.b64encode(self.rng.randbytes(64)).decode()

    def azure_sas_url(self, account: str) -> str:
        sig = base64.b64encode(self.rng.randbytes(32)).decode().replace("+", "%2B").replace("/", "%2F")
        sig = sig.replace("=", "%3D")
        return (
            f"https://{account}.blob.core.windows.net/backups?sv=2022-11-02&ss=b&srt=co&sp=rwdlacx"
            f"&se=2026-12-31T23:59:59Z&st=2024-01-01T00:00:00Z&spr=https&sig={sig}"
        )

    def github(self) -> str:
        return self.gen("github", self.rng.choice(("ghp_", "gho_", "ghu_", "ghs_", "ghr_")))

    def gitlab(self) -> str:
        choice = self.rng.randrange(3)
        if choice == 0:
            return "glpat-" + self.chars(string.ascii_letters + string.digits + "-_", 20)
        if choice == 1:
            return "glptt-" + self.gen("hex", "40")
        return "gldt-" + self.chars(string.ascii_letters + string.digits + "-_", 20)

    def slack_token(self) -> str:
        choice = self.rng.randrange(3)
        if choice == 0:
            return f"xoxb-{self.digits(11)}-{self.digits(13)}-{self.gen('alnum', '24')}"
        if choice == 1:
            return f"xoxp-{self.digits(11)}-{self.digits(11)}-{self.digits(13)}-{self.gen('hex', '32')}"
        return f"xapp-1-A{self.chars(_UPPER_ALNUM, 10)}-{self.digits(13)}-{self.gen('hex', '64')}"

    def slack_webhook(self) -> str:
        return (
            f"https://hooks.slack.com/services/T{self.chars(_UPPER_ALNUM, 10)}/"
            f"B{self.chars(_UPPER_ALNUM, 10)}/{self.gen('alnum', '24')}"
        )

    def discord_webhook(self) -> str:
        return f"https://discord.com/api/webhooks/{self.digits(19)}/{self.gen('b64url', '68')}"

    def discord_bot(self) -> str:
        user_id = base64.b64encode(self.digits(18).encode()).decode().rstrip("=")
        return f"{user_id}.{self.gen('b64url', '6')}.{self.gen('b64url', '38')}"

    def telegram(self) -> str:
        return f"{self.digits(10)}:AA{self.gen('b64url', '33')}"

    def stripe(self) -> str:
        prefix = self.rng.choice(("sk_" + "live_", "rk_" + "live_"))
        return prefix + (
            self.gen("alnum", "24") if self.rng.random() < 0.5 else "51" + self.gen("alnum", "97")
        )

    def square(self) -> str:
        if self.rng.random() < 0.5:
            return "EAAA" + self.gen("b64url", "60")
        return "sq0csp-" + self.gen("b64url", "43")

    def braintree(self) -> str:
        return f"access_token$production${self.chars(_LOWER_ALNUM, 16)}${self.gen('hex', '32')}"

    def shopify(self) -> str:
        return self.rng.choice(("shpat_", "shpss_", "shpca_", "shppa_")) + self.gen("hex", "32")

    def openai(self) -> str:
        if self.rng.random() < 0.6:
            return "sk-proj-" + self.gen("b64url", "74") + "T3BlbkFJ" + self.gen("b64url", "74")
        return "sk-" + self.gen("alnum", "20") + "T3BlbkFJ" + self.gen("alnum", "20")

    def anthropic(self) -> str:
        return "sk-ant-api03-" + self.gen("b64url", "93") + "AA"

    def huggingface(self) -> str:
        return "hf_" + self.gen("alnum", "34").replace("0", "q").replace("1", "r")

    def pypi(self) -> str:
        return "pypi-AgEIcHlwaS5vcmc" + self.gen("b64url", "150")

    def twilio(self) -> str:
        return "SK" + self.gen("hex", "32")

    def sendgrid(self) -> str:
        return f"SG.{self.gen('b64url', '22')}.{self.gen('b64url', '43')}"

    def newrelic(self) -> str:
        return "NRAK-" + self.chars(_UPPER_ALNUM, 27)

    def grafana(self) -> str:
        if self.rng.random() < 0.5:
            return f"glsa_{self.gen('alnum', '32')}_{self.gen('hex', '8')}"
        blob = json.dumps(
            {
                "o": self.digits(6),
                "n": f"stack-{self.digits(6)}-easystart-prom-publisher",
                "k": self.gen("alnum", "24"),
                "m": {"r": "prod-us-east-0"},
            },
            separators=(",", ":"),
        )
        return "glc_" + base64.b64encode(blob.encode()).decode()

    def postman(self) -> str:
        return f"PMAK-{self.gen('hex', '24')}-{self.gen('hex', '34')}"

    def linear(self) -> str:
        return "lin_api_" + self.gen("alnum", "40")

    def atlassian(self) -> str:
        return "ATATT3xFfGF0" + self.gen("b64url", "180") + "=" + self.gen("HEX", "8")

    def databricks(self) -> str:
        return "dapi" + self.gen("hex", "32")

    def vault(self) -> str:
        if self.rng.random() < 0.5:
            return "hvs." + self.gen("alnum", "24")
        return "hvs.CAESI" + self.gen("b64url", "87")

    def terraform(self) -> str:
        return f"{self.gen('alnum', '14')}.atlasv1.{self.gen('alnum', '67')}"

    def digitalocean(self) -> str:
        return self.rng.choice(("dop_v1_", "doo_v1_", "dor_v1_")) + self.gen("hex", "64")

    def gcp_refresh(self) -> str:
        return "1//0" + self.gen("b64url", "99")

    def password(self) -> str:
        roll = self.rng.random()
        if roll < 0.45:
            return self.gen("password", str(self.rng.randrange(12, 24)))
        if roll < 0.75:
            return self.gen("alnum", str(self.rng.randrange(16, 32)))
        return (
            self.rng.choice(_HUMAN_WORDS)
            + self.chars(string.ascii_lowercase, 3)
            + self.digits(4)
            + self.rng.choice("!#$%&*?@")
        )

    def url_password(self) -> str:
        return self.chars(string.ascii_letters + string.digits + "-._~", self.rng.randrange(14, 26))

    def pem(self, kind: str) -> str:
        return self.gen("pem", kind).rstrip("\n")

    def hex(self, length: int) -> str:
        return self.gen("hex", str(length))

    def word(self) -> str:
        return self.rng.choice(_WORDS)

    def host(self) -> str:
        domain = self.rng.choice(("corp.example.com", "internal.example.net", "db.example.org"))
        return f"{self.word()}-{self.rng.randrange(1, 40):02d}.{domain}"


# API-token families that live as `NAME=value` in .env files, settings JSON, shell exports, etc.
_API_FAMILIES: dict[str, tuple[str, Callable[[Mint], str]]] = {
    "github": ("GITHUB_TOKEN", Mint.github),
    "github-fine": ("GH_TOKEN", lambda m: m.gen("github-fine")),
    "gitlab": ("GITLAB_TOKEN", Mint.gitlab),
    "slack-token": ("SLACK_BOT_TOKEN", Mint.slack_token),
    "slack-webhook": ("SLACK_WEBHOOK_URL", Mint.slack_webhook),
    "discord-webhook": ("DISCORD_WEBHOOK", Mint.discord_webhook),
    "discord-bot": ("DISCORD_BOT_TOKEN", Mint.discord_bot),
    "telegram-bot": ("TELEGRAM_BOT_TOKEN", Mint.telegram),
    "stripe": ("STRIPE_SECRET_KEY", Mint.stripe),
    "square": ("SQUARE_ACCESS_TOKEN", Mint.square),
    "braintree": ("BRAINTREE_ACCESS_TOKEN", Mint.braintree),
    "shopify": ("SHOPIFY_ACCESS_TOKEN", Mint.shopify),
    "openai": ("OPENAI_API_KEY", Mint.openai),
    "anthropic": ("ANTHROPIC_API_KEY", Mint.anthropic),
    "huggingface": ("HF_TOKEN", Mint.huggingface),
    "npm": ("NPM_TOKEN", lambda m: m.gen("npm")),
    "pypi": ("PYPI_API_TOKEN", Mint.pypi),
    "twilio": ("TWILIO_API_KEY", Mint.twilio),
    "sendgrid": ("SENDGRID_API_KEY", Mint.sendgrid),
    "datadog": ("DD_API_KEY", lambda m: m.hex(32)),
    "newrelic": ("NEW_RELIC_API_KEY", Mint.newrelic),
    "grafana": ("GRAFANA_TOKEN", Mint.grafana),
    "postman": ("POSTMAN_API_KEY", Mint.postman),
    "linear": ("LINEAR_API_KEY", Mint.linear),
    "atlassian": ("JIRA_API_TOKEN", Mint.atlassian),
    "databricks": ("DATABRICKS_TOKEN", Mint.databricks),
    "vault": ("VAULT_TOKEN", Mint.vault),
    "terraform-cloud": ("TF_TOKEN_app_terraform_io", Mint.terraform),
    "digitalocean": ("DIGITALOCEAN_TOKEN", Mint.digitalocean),
    "jwt": ("AUTH_BEARER_TOKEN", lambda m: m.gen("jwt")),
}


# ---------------------------------------------------------------------------------------------------------
# Hard negatives


_AWS_EXAMPLE_ID = "AKIA" + "IOSFODNN7EXAMPLE"
_AWS_EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
_AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
_JWT_IO_EXAMPLE = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0"
    "IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)


def _bad_checksum_github(mint: Mint) -> str:
    token = mint.gen("github", "ghp_")
    tail = token[-6:]
    while True:
        wrong = mint.chars(specimen.BASE62, 6)
        if wrong != tail:
            return token[:-6] + wrong


def _negative_value(mint: Mint, kind: str, name: str) -> str:
    """A value for `name = value` that looks like a secret and is not."""
    rng = mint.rng
    if kind == "placeholder-var":
        return "${" + name.upper() + "}"
    if kind == "template-var":
        return "{{ " + name.lower() + " }}"
    if kind == "angle-placeholder":
        return rng.choice(("<your-token>", "<YOUR_API_KEY>", "<password>", "<insert-secret-here>"))
    if kind == "changeme":
        return rng.choice(("changeme", "CHANGE_ME", "change-me-please", "TODO", "replace_me"))
    if kind == "xxxx":
        return rng.choice(
            ("x" * 32, "X" * 40, "ghp_" + "x" * 36, "sk_" + "live_" + "x" * 24, "AKIA" + "X" * 16)
        )
    if kind == "stars":
        return "*" * rng.randrange(6, 17)
    if kind == "your-key-here":
        return rng.choice(
            ("your_api_key_here", "YOUR_SECRET_HERE", "insert-your-token-here", "your-password")
        )
    if kind == "github-bad-checksum":
        return _bad_checksum_github(mint)
    if kind == "truncated-token":
        return rng.choice(
            (
                "ghp_" + mint.gen("alnum", "14"),
                "xoxb-" + mint.digits(6),
                "AKIA" + mint.chars(_UPPER_ALNUM, 8),
                "sk-proj-" + mint.gen("alnum", "10"),
                "glpat-" + mint.gen("alnum", "9"),
            )
        )
    if kind == "masked":
        return rng.choice(
            (
                "sk-...." + mint.gen("alnum", "4"),
                "ghp_" + "*" * 32 + mint.gen("alnum", "4"),
                "REDACTED",
                "[hidden]",
                "••••••••",
            )
        )
    if kind == "empty-or-null":
        return rng.choice(("", "null", "None", "none", "''"))
    if kind == "hash-sha256":
        return mint.hex(64)
    if kind == "git-sha":
        return mint.hex(40)
    if kind == "uuid":
        return mint.gen("uuid")
    if kind == "bcrypt":
        return "$2b$12$" + mint.chars(string.ascii_letters + string.digits + "./", 53)
    if kind == "azurite-dev-key":
        return _AZURITE_KEY
    if kind == "doc-example-jwt":
        return _JWT_IO_EXAMPLE
    if kind == "dpapi-blob":
        return "01000000d08c9ddf0115d1118c7a00c04fc297eb01000000" + mint.hex(rng.randrange(200, 320))
    if kind == "encrypted-value":
        return rng.choice(
            (
                "ENC(" + base64.b64encode(rng.randbytes(24)).decode() + ")",
                "vault:v1:" + base64.b64encode(rng.randbytes(40)).decode(),
            )
        )
    if kind == "policy-setting":
        return str(rng.choice((8, 12, 14, 16, 90, 3600)))
    raise ValueError(kind)


_VALUE_KINDS = (
    "placeholder-var",
    "template-var",
    "angle-placeholder",
    "changeme",
    "xxxx",
    "stars",
    "your-key-here",
    "github-bad-checksum",
    "truncated-token",
    "masked",
    "empty-or-null",
    "encrypted-value",
)
_OPAQUE_KINDS = ("hash-sha256", "git-sha", "uuid", "bcrypt")
_OPAQUE_NAMES = {
    "hash-sha256": ("checksum", "sha256", "file_hash", "digest", "content_sha256"),
    "git-sha": ("commit", "revision", "git_sha", "build_commit", "head"),
    "uuid": ("client_id", "tenant_id", "request_id", "correlation_id", "installation_id", "device_id"),
    "bcrypt": ("password_hash", "hashed_password", "admin_password_bcrypt", "pw_hash"),
}
_SECRET_NAMES = (
    "API_KEY",
    "SECRET_KEY",
    "DB_PASSWORD",
    "ACCESS_TOKEN",
    "AUTH_TOKEN",
    "CLIENT_SECRET",
    "GITHUB_TOKEN",
    "STRIPE_SECRET_KEY",
    "SMTP_PASSWORD",
    "REDIS_PASSWORD",
    "JWT_SECRET",
)
_POLICY_NAMES = (
    "password_min_length",
    "PasswordHistorySize",
    "MinimumPasswordLength",
    "token_ttl_seconds",
    "max_password_age_days",
    "secret_rotation_days",
    "password_expiry_days",
)


def _policy_name(mint: Mint) -> str:
    return mint.rng.choice(_POLICY_NAMES)


# ---------------------------------------------------------------------------------------------------------
# Value renderers for config styles


def _assign(style: str, name: str, value: str, quote: bool = True) -> str:
    """`name = value` as it is written in a file of `style`."""
    if style == "env":
        return f"{name.upper()}={value}"
    if style == "export":
        return f'export {name.upper()}="{value}"' if quote else f"export {name.upper()}={value}"
    if style == "yaml":
        return f'  {name.lower()}: "{value}"' if quote else f"  {name.lower()}: {value}"
    if style == "json":
        return f'  "{name}": "{_json_escape(value)}",'
    if style == "ini":
        return f"{name.lower()} = {value}"
    if style == "properties":
        return f"app.{name.lower().replace('_', '.')}={value}"
    if style == "xml":
        return f'    <add key="{name}" value="{value}" />'
    if style == "ps1":
        return f'${name} = "{value}"' if quote else f"${name} = {value}"
    if style == "py":
        return f'{name.upper()} = "{value}"' if quote else f"{name.upper()} = {value}"
    if style == "php":
        return f"define('{name.upper()}', '{value}');"
    if style == "tfvars":
        return f'{name.lower()} = "{value}"'
    if style == "toml":
        return f'{name.lower()} = "{value}"'
    raise ValueError(style)


def _json_escape(value: str) -> str:
    return json.dumps(value)[1:-1]


_REFERENCES = {
    "env": ("{name}=${{{name}}}", "{name}=$({lower}_from_vault)"),
    "export": ('export {name}="$(pass show {lower})"', "export {name}=${{{name}:-}}"),
    "yaml": ("  {lower}: ${{{name}}}", "  {lower}: !env_var {name}", '  {lower}: "{{{{ vault_{lower} }}}}"'),
    "json": ('  "{lower}": "${{env:{name}}}",', '  "{lower}": "%{name}%",'),
    "ini": ("{lower} = %({lower})s", "{lower} = ${{{name}}}"),
    "properties": ("app.{lower}=${{{name}}}", "app.{lower}=${{vcap.services.db.credentials.{lower}}}"),
    "xml": (
        '    <add key="{name}" value="%{name}%" />',
        '    <add key="{name}" value="$(SecretFromKeyVault)" />',
    ),
    "ps1": (
        "${name} = $env:{name}",
        "${name} = Get-Secret -Name '{name}' -AsPlainText",
        "${name} = Read-Host -AsSecureString -Prompt 'Password'",
    ),
    "py": (
        '{name} = os.environ["{name}"]',
        '{name} = os.getenv("{name}")',
        '{name} = keyring.get_password("svc", "{lower}")',
        "{lower}: str",
    ),
    "php": ("define('{name}', getenv('{name}'));",),
    "tfvars": ("{lower} = var.{lower}",),
    "toml": ('{lower} = "${{{name}}}"',),
}


def _reference(mint: Mint, style: str, name: str) -> str:
    template = mint.rng.choice(_REFERENCES[style])
    return template.format(name=name.upper(), lower=name.lower())


def _add_negatives(draft: Draft, mint: Mint, style: str, count: int) -> None:
    """Append `count` hard negatives in the file's own syntax."""
    rng = mint.rng
    for _ in range(count):
        roll = rng.random()
        if roll < 0.5:
            kind = rng.choice(_VALUE_KINDS)
            name = rng.choice(_SECRET_NAMES)
            value = _negative_value(mint, kind, name)
            draft.negative(kind, _assign(style, name, value))
        elif roll < 0.62:
            draft.negative("env-reference", _reference(mint, style, rng.choice(_SECRET_NAMES)))
        elif roll < 0.70:
            name = _policy_name(mint)
            draft.negative(
                "policy-setting", _assign(style, name, _negative_value(mint, "policy-setting", name))
            )
        elif roll < 0.78:
            kind = rng.choice(("aws-example", "azurite-dev-key", "doc-example-jwt"))
            if kind == "aws-example":
                draft.negative(
                    kind,
                    _assign(style, rng.choice(("AWS_ACCESS_KEY_ID", "aws_access_key_id")), _AWS_EXAMPLE_ID),
                )
                draft.negative(kind, _assign(style, "AWS_SECRET_ACCESS_KEY", _AWS_EXAMPLE_SECRET))
            elif kind == "azurite-dev-key":
                value = (
                    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey="
                    f"{_AZURITE_KEY};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
                )
                draft.negative(kind, _assign(style, "AzureWebJobsStorage", value))
            else:
                draft.negative(kind, _assign(style, "EXAMPLE_JWT", _JWT_IO_EXAMPLE))
        else:
            kind = rng.choice(_OPAQUE_KINDS)
            draft.negative(
                kind, _assign(style, rng.choice(_OPAQUE_NAMES[kind]), _negative_value(mint, kind, ""))
            )


# ---------------------------------------------------------------------------------------------------------
# Benign filler


_LOG_MESSAGES = (
    "GET /api/v1/items 200 {ms}ms",
    "user {user} logged in from 10.0.{a}.{b}",
    "cache miss for key session:{hex}",
    "job {uuid} finished in {ms}ms",
    "connection pool size={a} idle={b}",
    "retrying request {uuid} (attempt {a})",
    "loaded configuration from /etc/app/config.yaml",
    "TLS handshake completed with {host}",
    "commit {sha} deployed to production",
    "worker {a} heartbeat ok",
)


def _log_lines(mint: Mint, count: int, user: str) -> list[str]:
    rng = mint.rng
    lines = []
    for i in range(count):
        template = rng.choice(_LOG_MESSAGES)
        message = template.format(
            ms=rng.randrange(2, 900),
            user=user,
            a=rng.randrange(1, 250),
            b=rng.randrange(1, 250),
            hex=mint.hex(16),
            uuid=mint.gen("uuid"),
            host=mint.host(),
            sha=mint.hex(40),
        )
        level = rng.choice(("INFO", "INFO", "INFO", "DEBUG", "WARN"))
        lines.append(
            f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T{i % 24:02d}:"
            f"{rng.randrange(60):02d}:{rng.randrange(60):02d}Z {level} [{mint.word()}] {message}"
        )
    return lines


def _python_source(mint: Mint, functions: int) -> list[str]:
    lines = [
        f'"""Helpers for the {mint.word()} service."""',
        "",
        "import logging",
        "import os",
        "",
        "log = logging.getLogger(__name__)",
        "",
    ]
    for _ in range(functions):
        name = f"{mint.word()}_{mint.word()}"
        lines += [
            "",
            f"def {name}(items, limit={mint.rng.randrange(5, 500)}):",
            f'    """Return the first items that match {mint.word()}."""',
            "    result = []",
            "    for item in items:",
            f'        if item.get("{mint.word()}") and len(result) < limit:',
            "            result.append(item)",
            f'    log.debug("{name}: %d items", len(result))',
            "    return result",
        ]
    return lines


def _markdown_doc(mint: Mint, title: str) -> list[str]:
    lines = [f"# {title}", ""]
    for _ in range(mint.rng.randrange(4, 9)):
        words = " ".join(mint.word() for _ in range(mint.rng.randrange(8, 20)))
        lines += [words.capitalize() + ".", ""]
    return lines


def _minified_js(mint: Mint, size: int) -> str:
    """One long line of minified JavaScript with random-looking identifiers and no secret."""
    rng = mint.rng
    parts: list[str] = []
    total = 0
    alphabet = string.ascii_letters + "_$"
    while total < size:
        a, b, c = (
            rng.choice(alphabet) + mint.chars(alphabet + string.digits, rng.randrange(0, 3)) for _ in range(3)
        )
        piece = rng.choice(
            (
                f"function {a}({b},{c}){{return {b}&&{c}?{b}[{c}]:void 0}}",
                f"var {a}={b}.{c}||{{}};",
                f"{a}.prototype.{b}=function(){{return this.{c}}};",
                f'const {a}="{mint.gen("alnum", str(rng.randrange(8, 30)))}";',
                f'{a}["{mint.hex(8)}"]={rng.randrange(10**6)};',
                f"if({a}!=={b}){{{c}({a},{b})}}",
            )
        )
        parts.append(piece)
        total += len(piece)
    return "".join(parts)


_PLAIN_SETTINGS = (
    ("log_level", "info"),
    ("port", "8080"),
    ("timeout", "30"),
    ("region", "us-east-1"),
    ("feature_flags", "beta,search"),
    ("workers", "4"),
    ("base_url", "https://api.example.com"),
    ("environment", "production"),
    ("max_connections", "100"),
    ("cache_ttl", "300"),
    ("username", "svc_app"),
    ("smtp_host", "smtp.example.com"),
)

_KNOWN_NAMES = {
    "credentials",
    "config",
    ".env",
    ".netrc",
    "_netrc",
    ".git-credentials",
    ".npmrc",
    ".pypirc",
    ".pgpass",
    ".my.cnf",
    ".s3cfg",
    ".vault-token",
    "token",
    ".databrickscfg",
    "credentials.tfrc.json",
    "hosts.yml",
    "rclone.conf",
    "ConsoleHost_history.txt",
    ".bash_history",
    ".zsh_history",
    "sitemanager.xml",
    "recentservers.xml",
    "WinSCP.ini",
    "unattend.xml",
    "web.config",
    "wp-config.php",
    "docker-compose.yml",
    "application_default_credentials.json",
    "syslog",
}


def _context(path: str) -> str:
    """Where a secret sits, as a category: the well-known file name, else the file type."""
    parts = path.split("/")
    name = parts[-1]
    if name == "config" and ".kube" in parts:
        return "kubeconfig"
    if name == "config.json" and ".docker" in parts:
        return "docker-config.json"
    if (name == "config" and ".aws" in parts) or (name == "credentials" and ".aws" in parts):
        return "aws-credentials"
    if name in _KNOWN_NAMES:
        return name
    if "/.ssh/" in f"/{path}" or name.endswith((".key", ".ppk", ".pem")):
        return "key-file"
    if ".min." in name or name.startswith("state."):
        return "minified"
    if name.startswith(".env"):
        return ".env"
    suffix = Path(name).suffix
    return "*" + suffix if suffix else name


# ---------------------------------------------------------------------------------------------------------
# The endpoint builder


class Endpoint:
    """Writes one tree (windows/, linux/ or macos/) and collects its manifest entries."""

    def __init__(self, root: Path, tree: str, mint: Mint) -> None:
        self.root = root
        self.tree = tree
        self.mint = mint
        self.rng = mint.rng
        self.plants: list[Plant] = []
        self.negatives: list[Negative] = []
        self.files = 0
        self.bytes = 0

    def draft(self, path: str, encoding: Encoding = UTF8) -> Draft:
        return Draft(path, encoding)

    def write(self, draft: Draft) -> None:
        target = self.root / self.tree / draft.path
        target.parent.mkdir(parents=True, exist_ok=True)
        data = draft.render()
        if target.exists():
            raise ValueError(f"corpus generator wrote {draft.path} twice")
        target.write_bytes(data)
        self.files += 1
        self.bytes += len(data)
        for start, end, family, context, value in draft.plants:
            self.plants.append(
                Plant(
                    self.tree,
                    draft.path,
                    start,
                    end,
                    family,
                    SEVERITY[family],
                    context or _context(draft.path),
                    draft.encoding.label(),
                    hashlib.sha256(value.encode()).hexdigest(),
                )
            )
        for start, end, kind in draft.negatives:
            self.negatives.append(Negative(self.tree, draft.path, start, end, kind))

    # -- helpers that add a secret in a file's syntax -------------------------------------------------

    def api_secret(self, draft: Draft, style: str, family: str | None = None) -> None:
        family = family or self.rng.choice(sorted(_API_FAMILIES))
        name, maker = _API_FAMILIES[family]
        value = maker(self.mint)
        draft.secret(family, _assign(style, name, value), value)

    def generic_password(self, draft: Draft, style: str) -> None:
        name = self.rng.choice(
            (
                "DB_PASSWORD",
                "password",
                "ADMIN_PASSWORD",
                "smtp_password",
                "SECRET_KEY",
                "ldap_bind_password",
                "keystore_password",
                "client_secret",
                "RABBITMQ_PASS",
            )
        )
        value = self.mint.password()
        draft.secret("generic-password", _assign(style, name, value), value)

    def db_uri(self, draft: Draft, style: str) -> None:
        scheme, port = self.rng.choice(
            (
                ("postgresql", 5432),
                ("mysql", 3306),
                ("mongodb", 27017),
                ("redis", 6379),
                ("amqp", 5672),
                ("postgres", 5432),
                ("mongodb+srv", 0),
            )
        )
        user = self.rng.choice(("app", "admin", "svc_etl", "report_ro", "root", "appuser"))
        password = self.mint.url_password()
        host = self.mint.host() + (f":{port}" if port else "")
        uri = f"{scheme}://{user}:{password}@{host}/{self.mint.word()}"
        name = self.rng.choice(("DATABASE_URL", "MONGO_URI", "REDIS_URL", "BROKER_URL", "db_url"))
        draft.secret("db-uri", _assign(style, name, uri), password)

    def aws_pair(self, draft: Draft, style: str, session: bool = False) -> None:
        key_id, secret = self.mint.aws_pair(session)
        names = (
            ("aws_access_key_id", "aws_secret_access_key")
            if style == "ini"
            else ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        )
        draft.secret(
            "aws",
            _assign(style, names[0], key_id) + "\n" + _assign(style, names[1], secret),
            key_id + ":" + secret,
        )
        if session:
            token = self.mint.aws_session_token()
            draft.secret(
                "aws-session-token",
                _assign(style, "aws_session_token" if style == "ini" else "AWS_SESSION_TOKEN", token),
                token,
            )

    def mixed_config(self, draft: Draft, style: str, secrets: int, negatives: int) -> None:
        """Interleave secrets, negatives and ordinary settings in one config file."""
        ops: list[str] = ["secret"] * secrets + ["negative"] * negatives + ["plain"] * (secrets + negatives)
        self.rng.shuffle(ops)
        plain: list[tuple[str, str]] = []
        for op in ops:
            if op == "plain":
                if not plain:
                    plain = list(_PLAIN_SETTINGS)
                    self.rng.shuffle(plain)
                name, value = plain.pop()
                draft.add(_assign(style, name, value))
            elif op == "negative":
                _add_negatives(draft, self.mint, style, 1)
            else:
                roll = self.rng.random()
                if roll < 0.55:
                    self.api_secret(draft, style)
                elif roll < 0.75:
                    self.generic_password(draft, style)
                elif roll < 0.87:
                    self.db_uri(draft, style)
                else:
                    self.aws_pair(draft, style, session=self.rng.random() < 0.3)

    def json_config(self, path: str, secrets: int, negatives: int, encoding: Encoding = UTF8) -> None:
        draft = self.draft(path, encoding)
        draft.add("{")
        self.mixed_config(draft, "json", secrets, negatives)
        draft.add('  "schema": 1')
        draft.add("}")
        self.write(draft)


# ---------------------------------------------------------------------------------------------------------
# Scenarios: files that exist on real endpoints. Each takes the endpoint and a user's home (relative path).


def scenario_aws_credentials(ep: Endpoint, home: str) -> None:
    draft = ep.draft(f"{home}/.aws/credentials", UTF8_CRLF if ep.tree == "windows" else UTF8)
    for profile in ("default", ep.mint.word(), ep.mint.word() + "-prod"):
        draft.add(f"[{profile}]")
        ep.aws_pair(draft, "ini", session=ep.rng.random() < 0.3)
        draft.add("")
    draft.add("[example-from-docs]")
    draft.negative("aws-example", f"aws_access_key_id = {_AWS_EXAMPLE_ID}")
    draft.negative("aws-example", f"aws_secret_access_key = {_AWS_EXAMPLE_SECRET}")
    draft.add("")
    draft.add("[sso-profile]")
    draft.add("sso_start_url = https://example.awsapps.com/start")
    draft.negative("env-reference", "credential_process = /usr/local/bin/aws-vault export --format=json sso")
    ep.write(draft)
    config = ep.draft(f"{home}/.aws/config")
    config.add("[default]\nregion = us-east-1\noutput = json")
    ep.write(config)


def scenario_aws_sts_json(ep: Endpoint, path: str) -> None:
    key_id, secret = ep.mint.aws_pair(session=True)
    token = ep.mint.aws_session_token()
    draft = ep.draft(path)
    draft.add('{\n    "Credentials": {')
    draft.secret(
        "aws",
        f'        "AccessKeyId": "{key_id}",\n        "SecretAccessKey": "{secret}",',
        key_id + ":" + secret,
    )
    draft.secret("aws-session-token", f'        "SessionToken": "{token}",', token)
    draft.add('        "Expiration": "2024-06-01T12:00:00Z"\n    },')
    draft.add(
        f'    "AssumedRoleUser": {{\n        "AssumedRoleId": "AROA{ep.mint.chars(_UPPER_ALNUM, 17)}:deploy",'
    )
    draft.add(f'        "Arn": "arn:aws:sts::{ep.mint.digits(12)}:assumed-role/deploy/ci"\n    }}\n}}')
    ep.write(draft)


def scenario_gcp(ep: Endpoint, home: str, config_dir: str) -> None:
    project = f"{ep.mint.word()}-{ep.mint.digits(6)}"
    key = ep.mint.pem("pkcs8") + "\n"
    draft = ep.draft(f"{home}/Downloads/{project}-{ep.mint.hex(12)}.json")
    draft.add("{")
    draft.add('  "type": "service_account",')
    draft.add(f'  "project_id": "{project}",')
    draft.add(f'  "private_key_id": "{ep.mint.hex(40)}",')
    draft.add(f'  "private_key": "{_json_escape(key)}",')
    draft.add(f'  "client_email": "deploy@{project}.iam.gserviceaccount.com",')
    draft.add(f'  "client_id": "{ep.mint.digits(21)}",')
    draft.add('  "auth_uri": "https://accounts.google.com/o/oauth2/auth",')
    draft.add('  "token_uri": "https://oauth2.googleapis.com/token"')
    draft.add("}")
    # The key file is one credential: a tool may point at the key line, the "type" line or the object.
    draft.whole("gcp-service-account", key)
    ep.write(draft)
    adc = ep.draft(f"{config_dir}/gcloud/application_default_credentials.json")
    refresh = ep.mint.gcp_refresh()
    adc.add("{")
    adc.add('  "client_id": "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com",')
    # gcloud's own installed-app client secret is published in the SDK; the refresh token is the secret.
    adc.add('  "client_secret": "d-FL95Q19q7MQmFpd7hHD0Ty",')
    adc.add(f'  "refresh_token": "{refresh}",')
    adc.add('  "type": "authorized_user"\n}')
    adc.whole("gcp-refresh-token", refresh)
    ep.write(adc)


def scenario_ssh(ep: Endpoint, home: str) -> None:
    kind = ep.rng.choice(("rsa", "openssh", "ec", "dsa"))
    name = {"rsa": "id_rsa", "openssh": "id_ed25519", "ec": "id_ecdsa", "dsa": "id_dsa"}[kind]
    draft = ep.draft(
        f"{home}/.ssh/{name}", UTF8_CRLF if ep.tree == "windows" and ep.rng.random() < 0.5 else UTF8
    )
    key = ep.mint.pem(kind)
    draft.secret("private-key", key, key)
    ep.write(draft)
    pub = ep.draft(f"{home}/.ssh/{name}.pub")
    pub.negative("ssh-public-key", _ssh_public(ep.mint, home))
    ep.write(pub)
    known = ep.draft(f"{home}/.ssh/known_hosts")
    for _ in range(ep.rng.randrange(2, 5)):
        known.negative("ssh-public-key", f"{ep.mint.host()} " + _ssh_public(ep.mint, "").rsplit(" ", 1)[0])
    ep.write(known)
    auth = ep.draft(f"{home}/.ssh/authorized_keys")
    auth.negative("ssh-public-key", _ssh_public(ep.mint, "deploy@ci"))
    ep.write(auth)
    if ep.rng.random() < 0.7:
        enc_kind = ep.rng.choice(("encrypted-rsa", "encrypted-pkcs8"))
        enc = ep.draft(f"{home}/.ssh/{ep.mint.word()}_backup.key")
        key = ep.mint.pem(enc_kind)
        enc.secret("private-key-encrypted", key, key)
        ep.write(enc)


def _ssh_public(mint: Mint, comment: str) -> str:
    blob = b"\x00\x00\x00\x07ssh-rsa\x00\x00\x00\x03\x01\x00\x01\x00\x00\x01\x01\x00" + mint.rng.randbytes(
        256
    )
    return f"ssh-rsa {base64.b64encode(blob).decode()} {comment or 'key'}".rstrip()


def scenario_pem_files(ep: Endpoint, base: str) -> None:
    """Server keys and certificates, plus public material that is not secret."""
    kind = ep.rng.choice(("rsa", "pkcs8", "ec"))
    key = ep.mint.pem(kind)
    draft = ep.draft(f"{base}/server.key")
    draft.secret("private-key", key, key)
    ep.write(draft)
    cert = ep.draft(f"{base}/server.crt")
    cert.negative("certificate", _pem_public(ep.mint, "CERTIFICATE", 900))
    cert.negative("certificate", _pem_public(ep.mint, "CERTIFICATE", 1100))
    ep.write(cert)
    pub = ep.draft(f"{base}/jwt_public.pem")
    pub.negative("public-key", _pem_public(ep.mint, "PUBLIC KEY", 294))
    ep.write(pub)
    combined = ep.draft(f"{base}/fullchain-with-key.pem")
    combined.negative("certificate", _pem_public(ep.mint, "CERTIFICATE", 1000))
    key = ep.mint.pem("pkcs8")
    combined.secret("private-key", key, key)
    ep.write(combined)


def _pem_public(mint: Mint, label: str, size: int) -> str:
    body = base64.b64encode(b"\x30\x82" + mint.rng.randbytes(size)).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"


def scenario_ppk(ep: Endpoint, path: str) -> None:
    draft = ep.draft(path, UTF8_CRLF)
    key = ep.mint.gen("ppk").rstrip("\n")
    if ep.rng.random() < 0.3:
        key = key.replace("Encryption: none", "Encryption: aes256-cbc")
        draft.secret("private-key-encrypted", key, key)
    else:
        draft.secret("private-key", key, key)
    ep.write(draft)


def scenario_dotenv(ep: Endpoint, path: str, secrets: int, encoding: Encoding = UTF8) -> None:
    draft = ep.draft(path, encoding)
    draft.add(f"# {ep.mint.word()} service settings\nNODE_ENV=production\nPORT=3000")
    ep.mixed_config(draft, "env", secrets, secrets)
    ep.write(draft)


def scenario_app_configs(ep: Endpoint, project: str, windows: bool) -> None:
    rng = ep.rng
    style, ext = rng.choice((("yaml", "yml"), ("ini", "ini"), ("properties", "properties"), ("toml", "toml")))
    draft = ep.draft(f"{project}/config/application.{ext}", UTF8_CRLF if windows else UTF8)
    if style == "yaml":
        draft.add("app:\n  name: demo")
    elif style in ("ini", "toml"):
        draft.add("[app]")
    ep.mixed_config(draft, style, rng.randrange(2, 5), rng.randrange(2, 5))
    ep.write(draft)
    ep.json_config(
        f"{project}/appsettings.json" if windows else f"{project}/config/settings.json",
        rng.randrange(2, 5),
        rng.randrange(2, 5),
        UTF8_BOM_CRLF if windows else UTF8,
    )
    py = ep.draft(f"{project}/settings_local.py")
    py.add("import os\n")
    ep.mixed_config(py, "py", rng.randrange(1, 4), rng.randrange(2, 5))
    ep.write(py)
    tf = ep.draft(f"{project}/infra/terraform.tfvars")
    tf.add(f'region = "us-east-1"\nproject = "{ep.mint.word()}"')
    ep.mixed_config(tf, "tfvars", rng.randrange(1, 3), rng.randrange(1, 3))
    ep.write(tf)
    source = ep.draft(f"{project}/src/{ep.mint.word()}_service.py")
    source.add("\n".join(_python_source(ep.mint, rng.randrange(3, 10))))
    ep.write(source)
    readme = ep.draft(f"{project}/README.md")
    readme.add("\n".join(_markdown_doc(ep.mint, "Setup")))
    readme.add("## Configuration\n\nCopy `.env.example` to `.env` and fill in:\n\n```")
    _add_negatives(readme, ep.mint, "env", rng.randrange(2, 5))
    readme.add("```")
    readme.negative("ui-string", "Never commit your password or API token; ask #infra for the vault path.")
    ep.write(readme)
    example = ep.draft(f"{project}/.env.example")
    _add_negatives(example, ep.mint, "env", rng.randrange(3, 7))
    ep.write(example)
    fixture = ep.draft(f"{project}/tests/fixtures/users.json")
    fixture.add("[")
    fixture.negative("test-fixture", '  {"username": "test-user", "password": "test-password-not-real"},')
    fixture.negative("test-fixture", '  {"username": "alice", "password": "fake_password_for_tests"},')
    fixture.negative("ui-string", '  {"username": "bob", "password_prompt": "Enter your password"}')
    fixture.add("]")
    ep.write(fixture)
    test = ep.draft(f"{project}/tests/test_auth.py")
    test.add("import pytest\n\n")
    test.negative("type-annotation", "def login(username: str, password: str) -> bool:")
    test.add("    return bool(username and password)\n\n")
    test.negative("test-fixture", 'FAKE_TOKEN = "test-token-1234"')
    test.negative("github-bad-checksum", f'INVALID_GITHUB_TOKEN = "{_bad_checksum_github(ep.mint)}"')
    test.add("\n\ndef test_login():")
    test.negative("test-fixture", '    assert login("alice", password="dummy")')
    ep.write(test)
    client = ep.draft(f"{project}/src/apiClient.ts")
    client.add('import axios from "axios";\n\nexport interface ClientOptions {\n  baseUrl: string;')
    client.negative("type-annotation", "  apiKey: string;")
    client.negative("type-annotation", "  password?: string | null;")
    client.add("}\n")
    client.negative("env-reference", "const token = process.env.GITHUB_TOKEN ?? '';")
    client.negative("env-reference", "const stripeKey = process.env.STRIPE_SECRET_KEY!;")
    client.negative("env-reference", "const secret = import.meta.env.VITE_API_SECRET;")
    client.add("\nexport function createClient(opts: ClientOptions) {")
    client.add(
        "  return axios.create({ baseURL: opts.baseUrl, headers: { Authorization: `Bearer ${token}` } });"
    )
    client.add("}")
    client.negative(
        "ui-string", 'export const PASSWORD_HINT = "Password must contain a number and a symbol";'
    )
    ep.write(client)
    i18n = ep.draft(f"{project}/locales/en.json")
    i18n.add("{")
    for text in (
        "Enter your password",
        "Password must be at least 12 characters",
        "Your API token has expired",
        "Invalid secret key",
        "Reset password",
    ):
        i18n.negative("ui-string", f'  "{text.lower().replace(" ", "_")[:24]}": "{text}",')
    i18n.add('  "ok": "OK"\n}')
    ep.write(i18n)
    log = ep.draft(f"{project}/logs/app.log")
    lines = _log_lines(ep.mint, rng.randrange(40, 120), "svc")
    split = len(lines) // 2
    log.add("\n".join(lines[:split]))
    if rng.random() < 0.5:
        token = ep.mint.gen("jwt")
        log.secret(
            "jwt", f"2024-05-02T10:00:00Z DEBUG [http] request headers: Authorization: Bearer {token}", token
        )
    log.add("\n".join(lines[split:]))
    ep.write(log)


def scenario_lockfile(ep: Endpoint, project: str) -> None:
    draft = ep.draft(f"{project}/package-lock.json")
    draft.add('{\n  "name": "app",\n  "lockfileVersion": 3,\n  "packages": {')
    for _ in range(ep.rng.randrange(3, 7)):
        name = f"{ep.mint.word()}-{ep.mint.word()}"
        draft.add(
            f'    "node_modules/{name}": {{\n'
            f'      "version": "1.{ep.rng.randrange(20)}.{ep.rng.randrange(9)}",'
        )
        draft.add(f'      "resolved": "https://registry.npmjs.org/{name}/-/{name}-1.0.0.tgz",')
        integrity = "sha512-" + base64.b64encode(ep.rng.randbytes(64)).decode()
        draft.negative("npm-integrity", f'      "integrity": "{integrity}"')
        draft.add("    },")
    draft.add('    "": {}\n  }\n}')
    ep.write(draft)


def scenario_minified(ep: Endpoint, project: str, plant: bool) -> None:
    """A ~200 KB minified bundle on one line, optionally with a key compiled into it (a classic leak)."""
    mint = ep.mint
    draft = ep.draft(f"{project}/dist/bundle.{mint.hex(8)}.min.js")
    draft.add("/*! bundle | MIT */")
    head, tail = _minified_js(mint, 100_000), _minified_js(mint, 100_000)
    if plant:
        family = ep.rng.choice(("stripe", "openai", "slack-webhook", "sendgrid", "github", "square"))
        name, maker = _API_FAMILIES[family]
        value = maker(mint)
        draft.secret(family, f'{head}var {name.lower()}="{value}";{tail}', value)
    else:
        draft.negative("minified-identifiers", head + tail)
    ep.write(draft)
    blob = ep.draft(f"{project}/dist/state.{mint.hex(8)}.json")
    entries = [f'"{mint.hex(12)}":"{mint.gen("b64", "40")}"' for _ in range(3500)]
    if plant:
        family = ep.rng.choice(("anthropic", "huggingface", "grafana", "postman", "linear"))
        name, maker = _API_FAMILIES[family]
        value = maker(mint)
        entries.insert(len(entries) // 2, f'"{name.lower()}":"{value}"')
        draft_line = "{" + ",".join(entries) + "}"
        blob.secret(family, draft_line, value)
    else:
        blob.negative("base64-blob", "{" + ",".join(entries) + "}")
    ep.write(blob)
    image = ep.draft(f"{project}/dist/icons.css")
    data = base64.b64encode(b"\x89PNG\r\n\x1a\n" + mint.rng.randbytes(6000)).decode()
    image.negative("base64-blob", f".logo{{background:url(data:image/png;base64,{data})}}")
    ep.write(image)


def scenario_json_escaped_pem(ep: Endpoint, path: str) -> None:
    key = ep.mint.pem(ep.rng.choice(("ec", "rsa", "pkcs8"))) + "\n"
    cert = _pem_public(ep.mint, "CERTIFICATE", 700) + "\n"
    draft = ep.draft(path)
    draft.add('{\n  "tls": {')
    draft.negative("certificate", f'    "certificate": "{_json_escape(cert)}",')
    draft.secret("private-key", f'    "private_key": "{_json_escape(key)}"', key)
    draft.add("  }\n}")
    ep.write(draft)
    public = ep.draft(str(Path(path).parent / "jwt_public.pem"))
    public.negative("public-key", _pem_public(ep.mint, "PUBLIC KEY", 294))
    ep.write(public)


def scenario_netrc_family(ep: Endpoint, home: str) -> None:
    """Unix-style credential dotfiles (also present on Windows under the profile for Git/curl)."""
    mint = ep.mint
    netrc = ep.draft(f"{home}/.netrc" if ep.tree != "windows" else f"{home}/_netrc")
    for _ in range(ep.rng.randrange(1, 3)):
        password = mint.password()
        netrc.secret(
            "netrc", f"machine {mint.host()}\n  login {mint.word()}\n  password {password}", password
        )
    netrc.negative("placeholder-var", "machine api.example.com login deploy password ${NETRC_PASSWORD}")
    ep.write(netrc)
    creds = ep.draft(f"{home}/.git-credentials")
    token = mint.github()
    creds.secret("git-credentials", f"https://{mint.word()}:{token}@github.com", token)
    password = mint.url_password()
    creds.secret(
        "git-credentials", f"https://{mint.word()}:{password}@git.{mint.word()}.example.com", password
    )
    ep.write(creds)
    npmrc = ep.draft(f"{home}/.npmrc")
    token = mint.gen("npm")
    npmrc.secret("npm", f"//registry.npmjs.org/:_authToken={token}", token)
    auth = base64.b64encode(f"{mint.word()}:{mint.password()}".encode()).decode()
    npmrc.secret("npmrc-auth", f"//npm.{mint.word()}.example.com/repository/npm/:_auth={auth}", auth)
    npmrc.negative("placeholder-var", "//npm.pkg.github.com/:_authToken=${NODE_AUTH_TOKEN}")
    npmrc.add("always-auth=true")
    ep.write(npmrc)
    pypirc = ep.draft(f"{home}/.pypirc")
    token = mint.pypi()
    pypirc.add("[distutils]\nindex-servers =\n    pypi\n    internal\n\n[pypi]\nusername = __token__")
    pypirc.secret("pypi", f"password = {token}", token)
    password = mint.password()
    pypirc.add(
        f"\n[internal]\nrepository = https://pypi.{mint.word()}.example.com/simple\nusername = {mint.word()}"
    )
    pypirc.secret("generic-password", f"password = {password}", password)
    ep.write(pypirc)
    docker = ep.draft(f"{home}/.docker/config.json")
    docker.add('{\n  "auths": {')
    auth = base64.b64encode(f"{mint.word()}:{mint.password()}".encode()).decode()
    docker.add('    "https://index.docker.io/v1/": {')
    docker.secret("docker-auth", f'      "auth": "{auth}"', auth)
    docker.add("    },")
    docker.add(f'    "{mint.digits(12)}.dkr.ecr.us-east-1.amazonaws.com": {{}},')
    auth = base64.b64encode(f"_json_key:{mint.password()}".encode()).decode()
    docker.add('    "ghcr.io": {')
    docker.secret("docker-auth", f'      "auth": "{auth}"', auth)
    docker.add("    }\n  },")
    docker.add('  "credsStore": "desktop"\n}')
    ep.write(docker)
    kube = ep.draft(f"{home}/.kube/config")
    kube.add("apiVersion: v1\nclusters:\n- cluster:")
    kube.negative(
        "certificate",
        "    certificate-authority-data: "
        + base64.b64encode(_pem_public(mint, "CERTIFICATE", 700).encode()).decode(),
    )
    kube.add(
        f"    server: https://{mint.host()}:6443\n  name: prod\ncontexts:\n- context:\n    cluster: prod\n"
        "    user: admin\n  name: prod\ncurrent-context: prod\nkind: Config\nusers:\n- name: admin\n  user:"
    )
    kube.negative(
        "certificate",
        "    client-certificate-data: "
        + base64.b64encode(_pem_public(mint, "CERTIFICATE", 700).encode()).decode(),
    )
    key_data = base64.b64encode((mint.pem("rsa") + "\n").encode()).decode()
    kube.secret("kube-client-key", f"    client-key-data: {key_data}", key_data)
    token = mint.gen("jwt")
    kube.add("- name: ci-bot\n  user:")
    kube.secret("kube-token", f"    token: {token}", token)
    kube.add(
        "- name: eks\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
        "      command: aws\n      args: [eks, get-token, --cluster-name, prod]"
    )
    ep.write(kube)


def scenario_unix_only(ep: Endpoint, home: str) -> None:
    mint = ep.mint
    pgpass = ep.draft(f"{home}/.pgpass")
    for _ in range(ep.rng.randrange(1, 4)):
        password = mint.url_password()
        pgpass.secret("pgpass", f"{mint.host()}:5432:{mint.word()}:{mint.word()}:{password}", password)
    pgpass.negative("stars", "localhost:5432:*:postgres:*")
    ep.write(pgpass)
    mycnf = ep.draft(f"{home}/.my.cnf")
    password = mint.password()
    mycnf.add(f"[client]\nuser = root\nhost = {mint.host()}")
    mycnf.secret("mysql-cnf", f'password = "{password}"', password)
    mycnf.add("\n[mysqld]")
    mycnf.negative("policy-setting", "validate_password.length = 12")
    ep.write(mycnf)
    s3cfg = ep.draft(f"{home}/.s3cfg")
    key_id, secret = mint.aws_pair()
    s3cfg.add("[default]")
    s3cfg.secret("aws", f"access_key = {key_id}\nsecret_key = {secret}", key_id + ":" + secret)
    s3cfg.add("host_base = s3.amazonaws.com\nuse_https = True")
    s3cfg.negative("empty-or-null", "gpg_passphrase = ")
    ep.write(s3cfg)
    extras = ((f"{home}/.vault-token", "vault"), (f"{home}/.cache/huggingface/token", "huggingface"))
    for path, family in extras:
        draft = ep.draft(path)
        value = _API_FAMILIES[family][1](mint)
        draft.secret(family, value, value)
        ep.write(draft)
    dbcfg = ep.draft(f"{home}/.databrickscfg")
    value = mint.databricks()
    dbcfg.add(f"[DEFAULT]\nhost = https://adb-{mint.digits(16)}.azuredatabricks.net")
    dbcfg.secret("databricks", f"token = {value}", value)
    ep.write(dbcfg)
    tfrc = ep.draft(f"{home}/.terraform.d/credentials.tfrc.json")
    value = mint.terraform()
    tfrc.add('{\n  "credentials": {\n    "app.terraform.io": {')
    tfrc.secret("terraform-cloud", f'      "token": "{value}"', value)
    tfrc.add("    }\n  }\n}")
    ep.write(tfrc)
    gh = ep.draft(f"{home}/.config/gh/hosts.yml")
    value = mint.gen("github", "gho_")
    gh.add(f"github.com:\n    user: {mint.word()}")
    gh.secret("github", f"    oauth_token: {value}", value)
    gh.add("    git_protocol: https")
    ep.write(gh)


def scenario_rclone(ep: Endpoint, path: str) -> None:
    mint = ep.mint
    draft = ep.draft(path)
    draft.add("[s3-backup]\ntype = s3\nprovider = AWS")
    key_id, secret = mint.aws_pair()
    draft.secret("aws", f"access_key_id = {key_id}\nsecret_access_key = {secret}", key_id + ":" + secret)
    draft.add(f"\n[nas]\ntype = sftp\nhost = {mint.host()}\nuser = backup")
    obscured = mint.gen("b64url", str(ep.rng.randrange(30, 50)))
    draft.secret("rclone", f"pass = {obscured}", obscured)
    draft.add("\n[gdrive]\ntype = drive")
    draft.negative("empty-or-null", "client_secret = ")
    ep.write(draft)


def scenario_history(ep: Endpoint, path: str, zsh: bool) -> None:
    mint = ep.mint
    draft = ep.draft(path)
    ts = 1_700_000_000

    def cmd(text: str) -> str:
        nonlocal ts
        ts += ep.rng.randrange(5, 4000)
        return f": {ts}:0;{text}" if zsh else text

    benign = (
        "ls -la",
        "cd ~/projects",
        "git status",
        "git pull --rebase",
        "docker ps",
        "kubectl get pods -A",
        "vim ~/.bashrc",
        "make test",
        "python3 -m venv .venv",
        "history | grep ssh",
        "sudo apt update",
    )
    makers: list[Callable[[], None]] = []

    def mysql() -> None:
        pw = mint.password().replace("'", "")
        draft.secret("cli-password", cmd(f"mysql -u root -p'{pw}' -h {mint.host()}"), pw)

    def export_token() -> None:
        family = ep.rng.choice(
            (
                "github",
                "openai",
                "anthropic",
                "huggingface",
                "gitlab",
                "npm",
                "vault",
                "digitalocean",
                "slack-token",
                "datadog",
            )
        )
        name, maker = _API_FAMILIES[family]
        value = maker(mint)
        draft.secret(family, cmd(f"export {name}={value}"), value)

    def curl_bearer() -> None:
        family = ep.rng.choice(("jwt", "github-fine", "stripe", "sendgrid", "linear", "postman", "newrelic"))
        value = _API_FAMILIES[family][1](mint)
        header = "Authorization: Bearer " if family not in ("postman", "newrelic") else "X-Api-Key: "
        draft.secret(
            family, cmd(f'curl -s -H "{header}{value}" https://api.{mint.word()}.example.com/v1/me'), value
        )

    def sshpass() -> None:
        pw = mint.password().replace("'", "")
        draft.secret("cli-password", cmd(f"sshpass -p '{pw}' ssh admin@{mint.host()}"), pw)

    def aws_configure() -> None:
        _, secret = mint.aws_pair()
        draft.secret("aws", cmd(f"aws configure set aws_secret_access_key {secret}"), secret)

    def psql() -> None:
        pw = mint.url_password()
        draft.secret("db-uri", cmd(f"psql postgresql://postgres:{pw}@{mint.host()}:5432/app"), pw)

    def docker_login() -> None:
        pw = mint.password().replace("'", "")
        draft.secret("cli-password", cmd(f"docker login -u deploy -p '{pw}' registry.example.com"), pw)

    def negative() -> None:
        kind, text = ep.rng.choice(
            (
                ("env-reference", "export GITHUB_TOKEN=$(gh auth token)"),
                ("env-reference", 'mysql -u root -p"$MYSQL_PASSWORD"'),
                ("env-reference", 'curl -H "Authorization: Bearer $TOKEN" https://api.example.com'),
                ("placeholder-var", "docker login -u deploy --password-stdin < ~/.docker-pass"),
                ("your-key-here", "export OPENAI_API_KEY=your_api_key_here"),
                ("git-sha", f"git checkout {mint.hex(40)}"),
                ("hash-sha256", f"echo '{mint.hex(64)}  app.tar.gz' | sha256sum -c"),
                ("aws-example", f"aws configure set aws_access_key_id {_AWS_EXAMPLE_ID}"),
                ("truncated-token", "export GH_TOKEN=ghp_" + mint.gen("alnum", "10")),
            )
        )
        draft.negative(kind, cmd(text))

    makers = [mysql, export_token, export_token, curl_bearer, sshpass, aws_configure, psql, docker_login]
    for _ in range(ep.rng.randrange(6, 11)):
        for _ in range(ep.rng.randrange(2, 6)):
            draft.add(cmd(ep.rng.choice(benign)))
        ep.rng.choice(makers)()
        negative()
    ep.write(draft)


def scenario_ps_history(ep: Endpoint, home: str) -> None:
    mint = ep.mint
    path = f"{home}/AppData/Roaming/Microsoft/Windows/PowerShell/PSReadLine/ConsoleHost_history.txt"
    draft = ep.draft(path, UTF8_CRLF)
    benign = (
        "Get-ChildItem C:\\Temp",
        "Get-Service | Where-Object Status -eq Running",
        "ipconfig /all",
        "Set-Location C:\\src",
        "git fetch --all",
        "Test-NetConnection sql01 -Port 1433",
        "winget upgrade --all",
    )
    for _ in range(ep.rng.randrange(6, 10)):
        for _ in range(ep.rng.randrange(2, 5)):
            draft.add(ep.rng.choice(benign))
        roll = ep.rng.randrange(5)
        pw = mint.password().replace("'", "").replace('"', "")
        if roll == 0:
            draft.secret(
                "securestring-plaintext", f"$pw = ConvertTo-SecureString '{pw}' -AsPlainText -Force", pw
            )
        elif roll == 1:
            draft.secret("cli-password", f"net user svc_backup {pw} /add", pw)
        elif roll == 2:
            draft.secret("cli-password", f"cmdkey /add:{mint.host()} /user:CORP\\admin /pass:{pw}", pw)
        elif roll == 3:
            family = ep.rng.choice(("github", "azure-storage", "openai", "npm", "atlassian"))
            if family == "azure-storage":
                key = mint.azure_key()
                draft.secret(family, f'$env:AZURE_STORAGE_KEY = "{key}"', key)
            else:
                name, maker = _API_FAMILIES[family]
                value = maker(mint)
                draft.secret(family, f'$env:{name} = "{value}"', value)
        else:
            key_id, secret = mint.aws_pair()
            draft.secret(
                "aws",
                f"Set-AWSCredential -AccessKey {key_id} -SecretKey {secret} -StoreAs default",
                key_id + ":" + secret,
            )
        kind, text = ep.rng.choice(
            (
                ("env-reference", "$cred = Get-Credential"),
                ("env-reference", "$pw = Read-Host -AsSecureString"),
                ("dpapi-blob", f"$enc = '{_negative_value(mint, 'dpapi-blob', '')}'"),
                ("env-reference", "Connect-AzAccount -Identity"),
                ("env-reference", "$token = $env:GITHUB_TOKEN"),
                ("stars", "net user administrator ********"),
            )
        )
        draft.negative(kind, text)
    ep.write(draft)


def scenario_powershell_scripts(ep: Endpoint, home: str) -> None:
    mint = ep.mint
    for index in range(ep.rng.randrange(2, 4)):
        encoding = ep.rng.choice((UTF16_BOM, UTF16_BOM, UTF8_BOM_CRLF, UTF8_CRLF))
        draft = ep.draft(f"{home}/Documents/Scripts/{mint.word()}-{index}.ps1", encoding)
        draft.add("#Requires -Version 5.1\nparam([string]$Server = 'sql01')\n$ErrorActionPreference = 'Stop'")
        pw = mint.password().replace("'", "")
        draft.secret(
            "securestring-plaintext",
            f"$secure = ConvertTo-SecureString -String '{pw}' -AsPlainText -Force",
            pw,
        )
        draft.add(
            f"$cred = New-Object System.Management.Automation.PSCredential('CORP\\{mint.word()}', $secure)"
        )
        draft.negative(
            "dpapi-blob", f"$stored = '{_negative_value(mint, 'dpapi-blob', '')}' | ConvertTo-SecureString"
        )
        ep.mixed_config(draft, "ps1", ep.rng.randrange(1, 3), ep.rng.randrange(1, 3))
        draft.add("Invoke-Command -ComputerName $Server -Credential $cred -ScriptBlock { Get-Date }")
        ep.write(draft)


def scenario_filezilla_winscp(ep: Endpoint, home: str) -> None:
    mint = ep.mint
    site = ep.draft(f"{home}/AppData/Roaming/FileZilla/sitemanager.xml")
    site.add(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n'
        '<FileZilla3 version="3.66.4" platform="windows">'
        "\n\t<Servers>"
    )
    for _ in range(ep.rng.randrange(1, 4)):
        pw = base64.b64encode(mint.password().encode()).decode()
        site.add(
            f"\t\t<Server>\n\t\t\t<Host>{mint.host()}</Host>\n\t\t\t<Port>21</Port>\n\t\t\t<Protocol>0</Protocol>"
            f"\n\t\t\t<User>{mint.word()}</User>"
        )
        site.secret("filezilla", f'\t\t\t<Pass encoding="base64">{pw}</Pass>', pw)
        site.add(f"\t\t\t<Name>{mint.word()}</Name>\n\t\t</Server>")
    site.add("\t</Servers>\n</FileZilla3>")
    ep.write(site)
    recent = ep.draft(f"{home}/AppData/Roaming/FileZilla/recentservers.xml")
    pw = base64.b64encode(mint.password().encode()).decode()
    recent.add(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n'
        "<FileZilla3>\n\t<RecentServers>\n\t\t<Server>"
        f"\n\t\t\t<Host>{mint.host()}</Host>\n\t\t\t<User>ftpuser</User>"
    )
    recent.secret("filezilla", f'\t\t\t<Pass encoding="base64">{pw}</Pass>', pw)
    recent.add("\t\t</Server>\n\t</RecentServers>\n</FileZilla3>")
    ep.write(recent)
    winscp = ep.draft(f"{home}/AppData/Roaming/WinSCP.ini", UTF8_CRLF)
    for _ in range(ep.rng.randrange(1, 3)):
        host, user = mint.host(), mint.word()
        obscured = "A35C" + mint.gen("HEX", str(2 * ep.rng.randrange(28, 48)))
        winscp.add(f"[Sessions\\{user}@{host}]\nHostName={host}\nUserName={user}")
        winscp.secret("winscp", f"Password={obscured}", obscured)
        winscp.add("")
    winscp.add("[Configuration\\Interface]")
    winscp.negative("hash-sha256", f"RandomSeedFile={mint.hex(64)}")
    ep.write(winscp)


def scenario_windows_system(ep: Endpoint) -> None:
    mint = ep.mint
    for path in ("Windows/Panther/unattend.xml", "Windows/System32/Sysprep/unattend.xml"):
        draft = ep.draft(path, UTF8_CRLF)
        draft.add(
            '<?xml version="1.0" encoding="utf-8"?>\n<unattend xmlns="urn:schemas-microsoft-com:unattend">'
            '\n  <settings pass="oobeSystem">\n    <component name="Microsoft-Windows-Shell-Setup">'
            "\n      <UserAccounts>\n        <AdministratorPassword>"
        )
        plain = ep.rng.random() < 0.5
        pw = mint.password()
        value = pw if plain else base64.b64encode((pw + "AdministratorPassword").encode("utf-16-le")).decode()
        draft.secret("unattend-password", f"          <Value>{value}</Value>", value)
        draft.add(
            f"          <PlainText>{'true' if plain else 'false'}</PlainText>\n"
            "        </AdministratorPassword>"
            "\n      </UserAccounts>\n      <AutoLogon>\n        <Password>"
        )
        pw = mint.password()
        draft.secret("unattend-password", f"          <Value>{pw}</Value>", pw)
        draft.add(
            "          <PlainText>true</PlainText>\n        </Password>\n        <Enabled>true</Enabled>"
            "\n        <Username>Administrator</Username>\n      </AutoLogon>"
        )
        draft.negative("stars", "      <!-- <Value>*SENSITIVE*DATA*DELETED*</Value> -->")
        draft.add("    </component>\n  </settings>\n</unattend>")
        ep.write(draft)
    scenario_web_config(ep, "inetpub/wwwroot/web.config")
    _registry_exports(ep)
    app = ep.draft(f"ProgramData/{mint.word().capitalize()}Agent/agent.conf", UTF16_NOBOM)
    app.add("[server]\nurl = https://mgmt.example.com")
    ep.mixed_config(app, "ini", 2, 2)
    ep.write(app)


def scenario_web_config(ep: Endpoint, path: str) -> None:
    mint = ep.mint
    web = ep.draft(path, UTF8_BOM_CRLF)
    web.add('<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <connectionStrings>')
    for _ in range(ep.rng.randrange(1, 3)):
        pw = mint.password().replace('"', "").replace(";", "")
        conn = (
            f"Data Source={mint.host()};Initial Catalog={mint.word()};User ID=sa;Password={pw};"
            "MultipleActiveResultSets=True"
        )
        web.secret(
            "connection-string",
            f'    <add name="{mint.word()}" connectionString="{conn}" '
            'providerName="System.Data.SqlClient" />',
            pw,
        )
    web.negative(
        "env-reference",
        '    <add name="Reporting" connectionString="Server=rpt01;Database=r;'
        'Integrated Security=SSPI" providerName="System.Data.SqlClient" />',
    )
    web.add("  </connectionStrings>\n  <appSettings>")
    ep.mixed_config(web, "xml", ep.rng.randrange(1, 3), ep.rng.randrange(2, 4))
    account = mint.word() + mint.digits(4)
    key = mint.azure_key()
    web.secret(
        "azure-storage",
        f'    <add key="StorageConnection" value="DefaultEndpointsProtocol=https;'
        f'AccountName={account};AccountKey={key};EndpointSuffix=core.windows.net" />',
        key,
    )
    sas = mint.azure_sas_url(account).replace("&", "&amp;")
    web.secret("azure-sas", f'    <add key="BackupSas" value="{sas}" />', sas)
    web.add("  </appSettings>\n  <system.web>")
    web.negative(
        "policy-setting",
        '    <membership><providers><add name="m" minRequiredPasswordLength="12" '
        'minRequiredNonalphanumericCharacters="1" /></providers></membership>',
    )
    web.add("  </system.web>\n</configuration>")
    ep.write(web)


def _registry_exports(ep: Endpoint) -> None:
    mint = ep.mint
    reg = ep.draft(f"Users/Public/Documents/exports/winlogon-{mint.word()}.reg", UTF16_BOM)
    reg.add(
        "Windows Registry Editor Version 5.00\n\n"
        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon]"
    )
    reg.add('"AutoAdminLogon"="1"\n"DefaultUserName"="kiosk"')
    pw = mint.password().replace('"', "")
    reg.secret("autologon-password", f'"DefaultPassword"="{pw}"', pw)
    reg.negative("reg-binary", '"AutoLogonSID"=hex:' + ",".join(f"{b:02x}" for b in mint.rng.randbytes(40)))
    reg.add("\n[HKEY_CURRENT_USER\\Software\\SimonTatham\\PuTTY\\Sessions\\prod-bastion]")
    reg.add(f'"HostName"="{mint.host()}"\n"ProxyUsername"="proxyuser"')
    pw = mint.password().replace('"', "")
    reg.secret("generic-password", f'"ProxyPassword"="{pw}"', pw)
    for _ in range(3):
        reg.negative(
            "reg-binary",
            '"Blob"=hex:'
            + ",".join(f"{b:02x}" for b in mint.rng.randbytes(24))
            + ",\\\n  "
            + ",".join(f"{b:02x}" for b in mint.rng.randbytes(24)),
        )
    ep.write(reg)


def scenario_linux_system(ep: Endpoint) -> None:
    mint = ep.mint
    app = mint.word()
    scenario_dotenv(ep, f"etc/{app}/app.env", ep.rng.randrange(3, 6))
    draft = ep.draft(f"etc/{app}/config.yaml")
    draft.add("database:")
    ep.mixed_config(draft, "yaml", ep.rng.randrange(2, 5), ep.rng.randrange(2, 5))
    ep.write(draft)
    scenario_pem_files(ep, "etc/nginx/ssl")
    wp = ep.draft("var/www/html/wp-config.php")
    wp.add("<?php\n/** WordPress configuration */")
    wp.add(f"define('DB_NAME', 'wp_{app}');\ndefine('DB_USER', 'wp');")
    pw = mint.password().replace("'", "")
    wp.secret("generic-password", f"define('DB_PASSWORD', '{pw}');", pw)
    for name in ("AUTH_KEY", "SECURE_AUTH_KEY"):
        value = mint.gen("ascii", "64").replace("'", "")
        wp.secret("generic-password", f"define('{name}', '{value}');", value)
    wp.negative("changeme", "define('NONCE_KEY', 'put your unique phrase here');")
    ep.mixed_config(wp, "php", 1, 2)
    ep.write(wp)
    props = ep.draft(f"opt/{app}/config/application.properties")
    props.add(
        "server.port=8080\nspring.datasource.url=jdbc:postgresql://db:5432/app\nspring.datasource.username=app"
    )
    pw = mint.password()
    props.secret("generic-password", f"spring.datasource.password={pw}", pw)
    ep.mixed_config(props, "properties", 2, 3)
    ep.write(props)
    log = ep.draft("var/log/syslog")
    log.add("\n".join(_log_lines(mint, 300, "root")))
    ep.write(log)
    scenario_history(ep, "root/.bash_history", zsh=False)
    compose = ep.draft(f"srv/{app}/docker-compose.yml")
    compose.add("services:\n  db:\n    image: postgres:16\n    environment:")
    pw = mint.password()
    compose.secret("generic-password", f'      POSTGRES_PASSWORD: "{pw}"', pw)
    compose.negative("placeholder-var", "      REPLICATION_PASSWORD: ${REPLICATION_PASSWORD}")
    compose.add("  web:\n    image: app:latest\n    environment:")
    ep.mixed_config(compose, "yaml", 1, 2)
    ep.write(compose)
    shadow = ep.draft(f"etc/{app}/users.htpasswd")
    shadow.negative("bcrypt", f"admin:{_negative_value(mint, 'bcrypt', '')}")
    ep.write(shadow)


def scenario_macos_extras(ep: Endpoint, home: str) -> None:
    mint = ep.mint
    support = f"{home}/Library/Application Support"
    settings = ep.draft(f"{support}/Code/User/settings.json")
    settings.add('{\n  "editor.fontSize": 13,\n  "rest-client.environmentVariables": {\n    "prod": {')
    family = ep.rng.choice(("github-fine", "linear", "atlassian", "datadog", "postman"))
    name, maker = _API_FAMILIES[family]
    value = maker(mint)
    settings.secret(family, f'      "{name.lower()}": "{value}",', value)
    settings.negative("placeholder-var", '      "token": "{{$processEnv API_TOKEN}}",')
    settings.add(
        '      "baseUrl": "https://api.example.com"\n    }\n  },\n  "files.autoSave": "afterDelay"\n}'
    )
    ep.write(settings)
    env = ep.draft(f"{support}/Postman/environments/{mint.word()}.postman_environment.json")
    env.add('{\n  "name": "prod",\n  "values": [')
    value = mint.postman()
    env.secret("postman", f'    {{"key": "postman_api_key", "value": "{value}", "enabled": true}},', value)
    value = mint.gen("jwt")
    env.secret(
        "jwt", f'    {{"key": "bearer", "value": "{value}", "type": "secret", "enabled": true}},', value
    )
    env.negative("template-var", '    {"key": "password", "value": "{{password}}", "enabled": true}')
    env.add("  ]\n}")
    ep.write(env)
    plist = ep.draft(f"{home}/Library/Preferences/com.{mint.word()}.sync.plist")
    plist.add(
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
        '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n<dict>'
    )
    family = ep.rng.choice(("telegram-bot", "discord-bot", "shopify", "braintree", "twilio"))
    value = _API_FAMILIES[family][1](mint)
    plist.add("\t<key>APIToken</key>")
    plist.secret(family, f"\t<string>{value}</string>", value)
    plist.add("\t<key>DeviceID</key>")
    plist.negative("uuid", f"\t<string>{mint.gen('uuid').upper()}</string>")
    plist.add("</dict>\n</plist>")
    ep.write(plist)
    notes = ep.draft(f"{home}/Desktop/passwords.txt")
    for _ in range(ep.rng.randrange(2, 5)):
        pw = mint.password()
        notes.secret("generic-password", f"{mint.word()} vpn password: {pw}", pw)
    notes.negative("ui-string", "remember: rotate the password every 90 days")
    ep.write(notes)


def scenario_desktop_notes_windows(ep: Endpoint, home: str) -> None:
    mint = ep.mint
    draft = ep.draft(f"{home}/Desktop/creds.txt", ep.rng.choice((UTF16_BOM, UTF8_CRLF, UTF16_NOBOM)))
    for _ in range(ep.rng.randrange(2, 4)):
        pw = mint.password()
        draft.secret("generic-password", f"{mint.host()}  admin / password: {pw}", pw)
    ep.api_secret(draft, "env")
    draft.negative("ui-string", "Password reset link: https://portal.example.com/reset")
    ep.write(draft)


def scenario_windows_user_exports(ep: Endpoint, home: str) -> None:
    """Files Windows PowerShell 5.1 writes as UTF-16 LE with BOM: `Out-File` output and regedit exports."""
    mint = ep.mint
    dump = ep.draft(f"{home}/Documents/env-{mint.word()}.txt", UTF16_BOM)
    dump.add("\nName                           Value\n----                           -----")
    dump.add(
        f"ALLUSERSPROFILE                C:\\ProgramData\nCOMPUTERNAME                   WS-{mint.digits(4)}"
    )
    for family in ep.rng.sample(sorted(_API_FAMILIES), ep.rng.randrange(2, 4)):
        name, maker = _API_FAMILIES[family]
        value = maker(mint)
        dump.secret(family, f"{name:<30} {value}", value)
    dump.negative("git-sha", f"{'BUILD_SOURCEVERSION':<30} {mint.hex(40)}")
    dump.negative("uuid", f"{'AZURE_TENANT_ID':<30} {mint.gen('uuid')}")
    dump.negative("env-reference", f"{'DB_PASSWORD':<30} %DB_PASSWORD%")
    dump.add(f"{'PATH':<30} C:\\Windows\\system32;C:\\Windows;C:\\Program Files\\Git\\cmd")
    ep.write(dump)
    reg = ep.draft(f"{home}/Documents/putty-sessions.reg", UTF16_BOM)
    reg.add("Windows Registry Editor Version 5.00\n")
    for _ in range(ep.rng.randrange(1, 3)):
        reg.add(f"[HKEY_CURRENT_USER\\Software\\SimonTatham\\PuTTY\\Sessions\\{mint.word()}]")
        reg.add(f'"HostName"="{mint.host()}"\n"PortNumber"=dword:00000016\n"ProxyUsername"="{mint.word()}"')
        pw = mint.password().replace('"', "")
        reg.secret("generic-password", f'"ProxyPassword"="{pw}"', pw)
        reg.negative(
            "reg-binary", '"SshHostKeyCache"=hex:' + ",".join(f"{b:02x}" for b in mint.rng.randbytes(32))
        )
        reg.add("")
    ep.write(reg)


def scenario_shell_profile(ep: Endpoint, home: str) -> None:
    """Tokens exported from a login script: ~/.bashrc, ~/.zshrc, or the PowerShell profile."""
    mint = ep.mint
    if ep.tree == "windows":
        draft = ep.draft(
            f"{home}/Documents/WindowsPowerShell/Microsoft.PowerShell_profile.ps1", UTF8_BOM_CRLF
        )
        draft.add("Import-Module posh-git\nSet-PSReadLineOption -PredictionSource History")
        style, template = "ps1", "$env:{name} = '{value}'"
    else:
        name = ".zshrc" if ep.tree == "macos" else ".bashrc"
        draft = ep.draft(f"{home}/{name}")
        draft.add('# ~/.profile additions\nexport PATH="$HOME/.local/bin:$PATH"\nalias ll="ls -la"')
        style, template = "export", "export {name}={value}"
    for family in ep.rng.sample(sorted(_API_FAMILIES), ep.rng.randrange(1, 4)):
        name, maker = _API_FAMILIES[family]
        value = maker(mint)
        draft.secret(family, template.format(name=name, value=value), value)
    _add_negatives(draft, mint, style, ep.rng.randrange(1, 3))
    ep.write(draft)
    if ep.tree != "windows":
        ssh = ep.draft(f"{home}/.ssh/config")
        ssh.add(f"Host bastion\n  HostName {mint.host()}\n  User {mint.word()}")
        ssh.negative("env-reference", "  IdentityFile ~/.ssh/id_ed25519")
        ep.write(ssh)


def scenario_notebook(ep: Endpoint, project: str) -> None:
    """A Jupyter notebook: code cells are JSON string arrays, so a key sits inside escaped source."""
    mint = ep.mint
    family = ep.rng.choice(("openai", "anthropic", "huggingface", "aws", "sendgrid"))
    draft = ep.draft(f"{project}/notebooks/{mint.word()}-analysis.ipynb")
    draft.add('{\n "cells": [\n  {\n   "cell_type": "code",\n   "execution_count": 1,\n   "metadata": {},')
    draft.add('   "outputs": [],\n   "source": [\n    "import os\\n",')
    if family == "aws":
        key_id, secret = mint.aws_pair()
        draft.secret(
            "aws",
            f'    "session = boto3.Session(aws_access_key_id=\\"{key_id}\\",\\n",\n'
            f'    "    aws_secret_access_key=\\"{secret}\\")\\n"',
            key_id + ":" + secret,
        )
    else:
        maker = _API_FAMILIES[family][1]
        value = maker(mint)
        draft.secret(family, f'    "client = Client(api_key=\\"{value}\\")\\n"', value)
    draft.add('   ]\n  },\n  {\n   "cell_type": "code",\n   "source": [')
    draft.negative("env-reference", '    "api_key = os.environ[\\"OPENAI_API_KEY\\"]\\n"')
    draft.add('   ]\n  }\n ],\n "metadata": {"kernelspec": {"name": "python3"}},\n "nbformat": 4\n}')
    ep.write(draft)


def scenario_sts_and_ci(ep: Endpoint, project: str) -> None:
    scenario_aws_sts_json(ep, f"{project}/.aws-session.json")
    scenario_json_escaped_pem(ep, f"{project}/config/tls.json")
    github_json = ep.draft(f"{project}/.deploy/secrets.json")
    github_json.add("{")
    for family in ep.rng.sample(sorted(_API_FAMILIES), 3):
        ep.api_secret(github_json, "json", family)
    key = ep.mint.azure_key()
    github_json.secret(
        "azure-storage",
        f'  "AzureWebJobsStorage": "DefaultEndpointsProtocol=https;AccountName='
        f'{ep.mint.word()}store;AccountKey={key};EndpointSuffix=core.windows.net",',
        key,
    )
    if ep.rng.random() < 0.5:
        sas = ep.mint.azure_sas_url(ep.mint.word() + "store")
        github_json.secret("azure-sas", f'  "BACKUP_SAS_URL": "{sas}",', sas)
    _add_negatives(github_json, ep.mint, "json", 3)
    github_json.add('  "v": 1\n}')
    ep.write(github_json)


# ---------------------------------------------------------------------------------------------------------
# Trees


def _projects_root(tree: str, user: str) -> str:
    return {
        "windows": f"Users/{user}/source/repos",
        "linux": f"home/{user}/projects",
        "macos": f"Users/{user}/Projects",
    }[tree]


def build_tree(root: Path, tree: str, mint: Mint, users: int) -> Endpoint:
    ep = Endpoint(root, tree, mint)
    names = {
        "windows": ["alice", "dave", "svc_build", "erin", "frank"],
        "linux": ["bob", "deploy", "grace", "heidi", "ivan"],
        "macos": ["carol", "judy", "mallory", "niaj", "oscar"],
    }[tree]
    chosen = [names[i % len(names)] + ("" if i < len(names) else str(i // len(names))) for i in range(users)]
    if tree == "windows":
        scenario_windows_system(ep)
    elif tree == "linux":
        scenario_linux_system(ep)
    from bench import corpus_families  # builds on this module, so imported when used

    SEVERITY.update(corpus_families.SEVERITY)
    corpus_families.plant_system(ep)
    for user in chosen:
        home = {"windows": f"Users/{user}", "linux": f"home/{user}", "macos": f"Users/{user}"}[tree]
        config_dir = {
            "windows": f"{home}/AppData/Roaming",
            "linux": f"{home}/.config",
            "macos": f"{home}/.config",
        }[tree]
        scenario_aws_credentials(ep, home)
        scenario_ssh(ep, home)
        scenario_gcp(ep, home, config_dir)
        scenario_netrc_family(ep, home)
        scenario_rclone(ep, f"{config_dir}/rclone/rclone.conf")
        if tree == "windows":
            scenario_ps_history(ep, home)
            scenario_powershell_scripts(ep, home)
            scenario_filezilla_winscp(ep, home)
            scenario_ppk(ep, f"{home}/Documents/putty/{mint.word()}.ppk")
            scenario_desktop_notes_windows(ep, home)
            scenario_windows_user_exports(ep, home)
        else:
            scenario_unix_only(ep, home)
            scenario_history(ep, f"{home}/.bash_history", zsh=False)
            scenario_history(ep, f"{home}/.zsh_history", zsh=True)
        if tree == "macos":
            scenario_macos_extras(ep, home)
        scenario_shell_profile(ep, home)
        for index in range(2):
            project = f"{_projects_root(tree, user)}/{mint.word()}-{mint.word()}-{index}"
            scenario_dotenv(
                ep, f"{project}/.env", ep.rng.randrange(3, 7), UTF8_CRLF if tree == "windows" else UTF8
            )
            scenario_app_configs(ep, project, tree == "windows")
            scenario_lockfile(ep, project)
            scenario_sts_and_ci(ep, project)
            if index == 0:
                scenario_minified(ep, project, plant=ep.rng.random() < 0.7)
            else:
                scenario_notebook(ep, project)
            if tree == "windows" and index == 1:
                scenario_ppk(ep, f"{project}/deploy/{mint.word()}.ppk")
                scenario_web_config(ep, f"{project}/web.config")
        corpus_families.plant_user(ep, home, f"{_projects_root(tree, user)}/integrations", chosen.index(user))
        docs = ep.draft(f"{home}/Documents/notes-{mint.word()}.md")
        docs.add("\n".join(_markdown_doc(mint, "Meeting notes")))
        ep.write(docs)
    # Archives and credential containers (issue #9), after the rest so its values stay those of the seed.
    from bench.corpus_archives import scenario_archives, scenario_containers

    for user in chosen:
        home = {"windows": f"Users/{user}", "linux": f"home/{user}", "macos": f"Users/{user}"}[tree]
        scenario_archives(ep, home)
        scenario_containers(ep, home, f"{home}/AppData/Roaming" if tree == "windows" else f"{home}/.config")
    return ep


def generate(out: Path, seed: int, scale: int = 1, users: int | None = None) -> dict[str, Any]:
    """Write windows/, linux/, macos/ and manifest.json under `out`; return the manifest.

    Each tree gets 3 x `scale` user profiles (or exactly `users`, for small test corpora).
    """
    per_tree = users if users is not None else 3 * max(1, scale)
    out.mkdir(parents=True, exist_ok=True)
    for tree in TREES:
        if (out / tree).exists():
            raise ValueError(f"{out / tree} already exists; give an empty --out directory")
    rng = random.Random(seed)
    plants: list[Plant] = []
    negatives: list[Negative] = []
    stats: dict[str, dict[str, int]] = {}
    for tree in TREES:
        ep = build_tree(out, tree, Mint(random.Random(rng.getrandbits(64))), per_tree)
        plants += ep.plants
        negatives += ep.negatives
        stats[tree] = {
            "files": ep.files,
            "bytes": ep.bytes,
            "secrets": len(ep.plants),
            "negatives": len(ep.negatives),
        }
    manifest: dict[str, Any] = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "scale": scale,
        "users_per_tree": per_tree,
        "trees": stats,
        "secrets": [asdict(p) for p in plants],
        "negatives": [asdict(n) for n in negatives],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def generate_speed_tree(out: Path, seed: int, files: int = 20_000, megabytes: int = 300) -> dict[str, int]:
    """A large mixed tree for timing: the detection corpus once, a few big files, and many ordinary ones."""
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty")
    generate(out / "corpus", seed)
    mint = Mint(random.Random(seed ^ 0x5EED))
    rng = mint.rng
    pool = _speed_pool(mint)
    written_files, written_bytes = 0, 0
    big = (
        ("var/log/app/server.log", 24),
        ("data/export/customers.csv", 14),
        ("data/backup/dump.sql", 10),
        ("Users/shared/cache/state.min.json", 8),
    )
    for path, mb in big:
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as handle:
            size = 0
            while size < mb * 1_000_000:
                chunk = rng.choice(pool)[1]
                handle.write(chunk)
                size += len(chunk)
        written_files += 1
        written_bytes += size
    budget = max(0, megabytes * 1_000_000 - written_bytes - 5_000_000)
    count = max(1, files - written_files - 600)
    average = budget / count
    for index in range(count):
        suffix, chunk = pool[index % len(pool)]
        size = int(min(len(chunk), max(200.0, rng.expovariate(1 / average))))
        start = rng.randrange(0, len(chunk) - size + 1)
        directory = f"Users/user{index % 7}/src/project{index // 400}/module{(index // 40) % 10}"
        target = out / directory / f"file{index}{suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(chunk[start : start + size])
        written_files += 1
        written_bytes += size
    return {"files": written_files, "bytes": written_bytes}


def _speed_pool(mint: Mint) -> list[tuple[str, bytes]]:
    """Chunks of ordinary text (~256 KB each) that the speed tree's files are cut from."""
    pool: list[tuple[str, bytes]] = []
    for index in range(24):
        kind = index % 6
        lines: list[str] = []
        while sum(len(line) + 1 for line in lines) < 256_000:
            if kind == 0:
                lines += _log_lines(mint, 200, "svc")
            elif kind == 1:
                lines += _python_source(mint, 30)
            elif kind == 2:
                lines += _markdown_doc(mint, "Design notes")
            elif kind == 3:
                lines.append(_minified_js(mint, 50_000))
            elif kind == 4:
                lines += [
                    f'{{"id": "{mint.gen("uuid")}", "name": "{mint.word()}", "sha": "{mint.hex(40)}", '
                    f'"size": {mint.rng.randrange(10**6)}}}'
                    for _ in range(300)
                ]
            else:
                lines += [
                    f'<item id="{mint.rng.randrange(10**6)}" name="{mint.word()}">{mint.word()} '
                    f"{mint.word()}</item>"
                    for _ in range(300)
                ]
        suffix = (".log", ".py", ".md", ".js", ".json", ".xml")[kind]
        pool.append((suffix, ("\n".join(lines) + "\n").encode()))
    return pool


def summarize(manifest: dict[str, object]) -> str:
    secrets = manifest["secrets"]
    negatives = manifest["negatives"]
    assert isinstance(secrets, list) and isinstance(negatives, list)
    families: dict[str, int] = {}
    for item in secrets:
        families[item["family"]] = families.get(item["family"], 0) + 1
    trees = manifest["trees"]
    assert isinstance(trees, dict)
    files = sum(t["files"] for t in trees.values())
    size = sum(t["bytes"] for t in trees.values())
    return (
        f"{len(secrets)} secrets in {len(families)} families, {len(negatives)} hard negatives, "
        f"{files} files, {size / 1e6:.1f} MB"
    )


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, required=True, help="empty directory for the trees and manifest")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=int, default=1, help="users per tree is 3 x scale (default 1)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    manifest = generate(args.out, args.seed, args.scale)
    print(f"corpus {args.out}: {summarize(manifest)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
