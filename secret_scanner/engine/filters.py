"""Match filters: the per-rule checks (entropy, stopwords, allow patterns) and the global placeholder filters.

The placeholder filters are small predicates on the captured value, in the style of detect-secrets: each one
recognises a kind of value that looks like a credential to a regex but is not one (a template reference, an
environment lookup, a masked or documentation value, code, UI text). They run only for rules whose
`placeholder_filter` is true.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Callable

from secret_scanner.engine.codeshapes import CODE_SHAPES

# AWS's documentation keys (AKIAIOSFODNN7EXAMPLE, wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY) and friends.
_DOC_MARKER = re.compile(r"EXAMPLE|(?i:example|sample|dummy|placeholder|redacted|change[_-]?me|"
                         r"replace_?me|your[_-]?(?:api[_-]?)?(?:key|token|secret|password|pass|pwd)|_here\b|-here\b|"
                         r"insert[_-]|fake[_-]?(?:key|token|secret|password))")
_TEMPLATE = re.compile(
    r"^\$\{[^}]*\}?|^\$\([^)]*\)?|^\$[A-Za-z_][A-Za-z0-9_]*$|^%[A-Za-z_][A-Za-z0-9_()]*%$|^\{\{.*\}\}$|"
    r"^\{\{|\}\}$|^\{%|^<[^<>]*>$|^<%|^#\{[^}]*\}$|^@[A-Za-z_][A-Za-z0-9_]*@$|^\{[A-Za-z_][A-Za-z0-9_.-]*\}$|"
    r"^__[A-Z0-9_]+__$|^\[\[.*\]\]$|^\[[A-Z]+(?:_[A-Z0-9]+)*\]$|^@[A-Z][A-Z0-9_]{2,}$", re.DOTALL)
_ENV_LOOKUP = re.compile(
    r"os\.environ|os\.getenv|getenv\(|process\.env|ENV\[|ENV\.fetch|System\.getenv|Environment\."
    r"GetEnvironmentVariable|\$env:|secrets\.[A-Z_]|vault\(|lookup\(", re.IGNORECASE)
_WORDS = frozenset({
    "password", "passwd", "pass", "pwd", "secret", "token", "apikey", "api_key", "key", "changeme",
    "changeit", "default", "admin", "root", "test", "testing", "null", "none", "nil", "undefined", "true",
    "false", "empty",
    "todo", "tbd", "fixme", "mypassword", "yourpassword", "mysecret", "secretkey", "private", "hidden",
    "masked", "notset", "not_set", "unset", "required", "optional", "string", "value", "xxx",
})
_TYPES = frozenset({
    "str", "string", "bytes", "int", "bool", "boolean", "char", "object", "any", "securestring",
    "optional[str]",
    "str | none", "none | str", "string?", "char[]", "byte[]", "[]byte", "&str", "secretstr", "secretbytes",
    "list[str]", "dict", "text", "varchar", "number", "integer", "float",
})
_MASK_RUN = re.compile(r"x{4,}|X{4,}|\*{3,}|\.{4,}|#{4,}|•{3,}|_{6,}|-{6,}|0{8,}")
_CODE_REFERENCE = re.compile(
    r"^!?(?:self|this|cls|config|conf|cfg|settings|options|opts|params|args|props|ctx|context|request|req|"
    r"env|credentials|creds|secrets|vars|data|form|user|account)(?:\.|\[|\?\.|->)"
    r"|^[A-Za-z_$][\w$.]*\([^()]*\)$|^[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+\(\)$|^[A-Za-z_]\w*\[['\"]?\w+['\"]?\]$",
)
_UI_TEXT = re.compile(r"^[A-Za-z][A-Za-z']*(?: [A-Za-z'][A-Za-z'.,!?:-]*){1,}[.:!?]?$")
_I18N_KEY = re.compile(r"^[a-z][a-z_]*(?:\.[a-z][a-z_]*)+$|^[A-Z][A-Z_]*(?:\.[A-Z][A-Z_]*)+$")
_FILE_PATH = re.compile(
    r"^(?:/(?:home|Users|usr|var|etc|opt|tmp|root|srv|mnt|media|private|Library|Applications|System|bin|sbin|"
    r"dev|proc|run|snap|nix|workspace|app|data)(?:/|$)|~/|\.{1,2}/|[A-Za-z]:[\\/]|\\\\[\w.-]+\\|file://)")
_SEQUENCES = ("0123456789" * 3, "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm", "1qaz2wsx3edc")
_SEQUENCE_RUN = 8


def measure_entropy(value: str) -> float:
    """Bits per character of the value's own character distribution."""
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def is_empty(secret: str) -> bool:
    return not secret.strip(" \t\r\n'\"`")


def is_documentation_value(secret: str) -> bool:
    """AWS's EXAMPLE keys, 'your-token-here', 'changeme', 'dummy', 'redacted' and the like."""
    return _DOC_MARKER.search(secret) is not None


def is_template_reference(secret: str) -> bool:
    """${VAR}, $VAR, $(cmd), %VAR%, {{ var }}, {% ... %}, <your-token>, #{var}, @VAR@, {var}, __VAR__, [VAR]."""
    return _TEMPLATE.search(secret) is not None


def is_environment_lookup(secret: str) -> bool:
    """os.environ[...], os.getenv(...), process.env.X, ENV['X'], $env:X, System.getenv(...)."""
    return _ENV_LOOKUP.search(secret) is not None


def is_placeholder_word(secret: str) -> bool:
    """The value is a word people put where the secret goes: password, changeme, secret, null, todo ..."""
    return secret.strip("'\"`").lower() in _WORDS


def is_type_annotation(secret: str) -> bool:
    """`password: str`, `String password`, `token: SecretStr` -- the type name was captured, not a value."""
    return secret.strip("'\"`,;").lower() in _TYPES


def is_masked(secret: str) -> bool:
    """xxxx, ****, ...., ####, and runs of one filler character."""
    return _MASK_RUN.search(secret) is not None


def is_repeated_character(secret: str) -> bool:
    """One character repeated, or two alternating in a longer value (abababab)."""
    distinct = len(set(secret))
    return distinct == 1 or (len(secret) >= 8 and distinct <= 2)


def is_sequential(secret: str) -> bool:
    """1234567890, abcdefgh, qwertyui: the value or a run of eight is a keyboard or alphabet sequence."""
    lowered = secret.lower()
    if len(lowered) >= 4 and any(lowered in seq or lowered in seq[::-1] for seq in _SEQUENCES):
        return True
    if _is_made_of_runs(lowered):
        return True
    for start in range(0, len(lowered) - _SEQUENCE_RUN + 1):
        window = lowered[start:start + _SEQUENCE_RUN]
        if any(window in seq or window in seq[::-1] for seq in _SEQUENCES):
            return True
    return False


def _is_made_of_runs(lowered: str) -> bool:
    """123456abcdefg, qwerty123456: nothing but keyboard or alphabet runs of four or more."""
    position = 0
    while position < len(lowered):
        length = 0
        while position + length < len(lowered) and any(
                lowered[position:position + length + 1] in seq for seq in _SEQUENCES):
            length += 1
        if length < 4:
            return False
        position += length
    return len(lowered) >= 8


def is_code_reference(secret: str) -> bool:
    """self.password, config.db.password, getPassword(), params['token']: code, not a value."""
    return _CODE_REFERENCE.search(secret) is not None


def is_ui_text(secret: str) -> bool:
    """Label text with spaces, like 'Enter your password' or 'Password is required.'."""
    return " " in secret and _UI_TEXT.match(secret) is not None


def is_file_path(secret: str) -> bool:
    """A path is no secret (the PWD variable): /home/alice, C:\\Users, ~/.ssh, ./build, \\\\server\\share."""
    return _FILE_PATH.match(secret) is not None


def is_i18n_key(secret: str) -> bool:
    """login.form.password, AUTH.ERRORS.INVALID_TOKEN: translation keys, not passwords."""
    return _I18N_KEY.match(secret) is not None


_TEST_WORDS = frozenset({"test", "tests", "testing", "fake", "dummy", "mock", "stub", "fixture", "sample",
                         "notreal", "not", "real", "invalid", "bogus", "demo", "example"})
_WORD_SPLIT = re.compile(r"[-_.\s]+")
# Ciphertext kept in config files: Jasypt ENC(...), SOPS ENC[...], Vault transit vault:v1:, Spring {cipher},
# Ansible vault. The plaintext is not here; the key that decrypts it is what matters (and has its own rules).
_ENCRYPTED = re.compile(r"^(?:ENC\(|ENC\[|vault:v\d+:|\{cipher\}|\$ANSIBLE_VAULT;|enc:|encrypted:)", re.IGNORECASE)


def is_test_value(secret: str) -> bool:
    """test-token-1234, fake_password_for_tests: a value made of words, one of which says it is not real.

    Only short words: sk_test_<random> is a real (test-mode) key, its random part is no word."""
    words = [word for word in _WORD_SPLIT.split(secret.lower()) if word]
    return (len(words) >= 2 and all(len(word) <= 12 for word in words)
            and any(word.rstrip("0123456789") in _TEST_WORDS for word in words))


_NAMES_ITS_KIND = re.compile(r"(?i)^[a-z]*(?:password|passwd|passwort|secret)[a-z]*$")


def is_credential_word_value(secret: str) -> bool:
    """randompassword, mysecret, SuperSecretPassword: letters only, and they name what should be there."""
    return _NAMES_ITS_KIND.match(secret) is not None


def is_basic_without_password(secret: str) -> bool:
    """HTTP Basic of `client-id:` (an OAuth public client's ID and an empty password): no secret to replay."""
    if len(secret) > 256 or len(secret) % 4:
        return False
    try:
        decoded = base64.b64decode(secret, validate=True).decode("ascii")
    except (binascii.Error, ValueError):
        return False
    return decoded.isprintable() and decoded.count(":") == 1 and decoded.endswith(":")


def is_encrypted_value(secret: str) -> bool:
    """ENC(...), vault:v1:..., {cipher}...: encrypted at rest, not a usable secret."""
    return _ENCRYPTED.match(secret) is not None


PLACEHOLDER_FILTERS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("empty", is_empty),
    ("documentation value", is_documentation_value),
    ("template reference", is_template_reference),
    ("environment lookup", is_environment_lookup),
    ("placeholder word", is_placeholder_word),
    ("type annotation", is_type_annotation),
    ("masked", is_masked),
    ("repeated character", is_repeated_character),
    ("sequential", is_sequential),
    ("code reference", is_code_reference),
    ("ui text", is_ui_text),
    ("file path", is_file_path),
    ("i18n key", is_i18n_key),
    ("test value", is_test_value),
    ("encrypted value", is_encrypted_value),
    ("names its kind", is_credential_word_value),
    ("basic auth without password", is_basic_without_password),
    *CODE_SHAPES,
)

# Prefixes that identify a provider's token format. A generic rule never reports a value that starts with
# one: a well-formed token is claimed by its provider's specific rule, so what is left is truncated or
# malformed (ghp_ + 10 characters, AKIA + 8).
_PROVIDER_PREFIXES = (
    "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "gldt-", "glrt-", "xoxb-", "xoxp-", "xoxa-",
    "xoxr-", "xoxe-", "xapp-", "sk-proj-", "sk-svcacct-", "sk-admin-", "sk-ant-", "sk_live_", "sk_test_",
    "rk_live_", "npm_", "pypi-", "hf_", "akia", "asia", "dop_v1_", "doo_v1_", "shpat_", "shpss_", "lin_api_",
    "pmak-", "nrak-", "glsa_", "glc_", "hvs.", "hvb.", "sg.", "dapi",
)


def has_provider_prefix(secret: str) -> bool:
    """The value starts like a provider token (case-insensitive for AWS-style upper-case prefixes)."""
    return secret.lower().startswith(_PROVIDER_PREFIXES)


def detect_placeholder(secret: str) -> str | None:
    """The name of the first placeholder filter that recognises the value, or None for a plausible secret."""
    for name, predicate in PLACEHOLDER_FILTERS:
        if predicate(secret):
            return name
    return None


def contains_stopword(secret: str, stopwords: tuple[str, ...]) -> bool:
    lowered = secret.lower()
    return any(word in lowered for word in stopwords)


def matches_allow_pattern(secret: str, patterns: tuple[re.Pattern[str], ...]) -> bool:
    return any(pattern.search(secret) for pattern in patterns)
