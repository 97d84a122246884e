"""Noise predicates: why a match on real third-party code, docs or examples is not a live secret.

Two kinds, both small named predicates in the style of `filter.py`:

- DROP predicates (generic rules only): the match is not a secret at all. A `:type password:` docstring line,
  a placeholder that echoes its key (`my_access_token`, `thisIsMyToken`, `YOUR_TOKEN`), an identifier or error
  code (`'auth/invalid-api-key'`), a mapping whose key is a type name (`"AWS::ApiGateway::ApiKey": ...`), an
  ARN or resource path, a request/idempotency/change token that is a UUID, a "value" that is the text between
  two string literals of minified code.
- LOWER predicates: the value may be a credential, but its PLACE says documentation, example, test or fixture
  (a `docs/` or `tests/` path, a Markdown file, a comment or docstring in source code). Confidence becomes
  `low` with a note; such findings are counted, and reported with `--min-confidence low`. Structurally
  validated material (a private key that parses, a checksummed token) and provider-prefixed tokens keep their
  confidence: a real key in a fixture is still a key.

Published sample values (AWS's documentation keys, the Azurite storage-emulator key, jwt.io tokens) are named
(samples.py), so a report can say "sample" instead of raising them or silently dropping them. Documentation
passwords (`Testing@123`, a value that repeats its directory name), minified code and source maps, and example
playbooks shipped inside an installed Ansible collection are lowered too.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re

from secret_scanner.catalog.rule import Rule
from secret_scanner.engine import filters as match_filter
from secret_scanner.engine import samples
from secret_scanner.model import Confidence, Finding

# -- published sample values (samples.py) ------------------------------------------------------------

name_published_sample = samples.name_published_sample


def mark_sample(finding: Finding, sample: str | None) -> Finding:
    """A published sample's finding: low confidence and a note that says what it is."""
    if sample is None:
        return finding
    note = f"published sample value ({sample}), not a live secret"
    return dataclasses.replace(finding, confidence=Confidence.LOW, note=note)


# -- value predicates (generic rules: drop) -------------------------------------------------------------

_CREDENTIAL_WORDS = frozenset({"token", "tokens", "password", "passwd", "pass", "pwd", "secret", "secrets", "key",
                               "apikey", "credential", "credentials", "auth", "passphrase"})
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_UUID = re.compile(r"^(?:[A-Za-z]{1,4}-)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SLUG = re.compile(r"^[A-Za-z]+(?:[-_.][A-Za-z]+)*(?:[/:][A-Za-z]+(?:[-_.][A-Za-z]+)*)+$")
_RESOURCE = re.compile(r"^(?:arn:aws[\w-]*:|urn:|/?subscriptions/[\w-]+/|projects/[\w.-]+/|"
                       r"(?:secrets|locations|keyRings|cryptoKeys|organizations|folders)/|\[[a-zA-Z]+\()")


def split_words(text: str) -> list[str]:
    """camelCase, snake_case, kebab-case and dotted names as lower-case words."""
    return [word.lower() for word in _CAMEL.findall(text)]


def is_echoed_placeholder(secret: str) -> bool:
    """my_access_token, thisIsMyToken, YOUR_TOKEN, x_auth_token: words only, one of them names the credential."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z_.-]*[A-Za-z0-9]?", secret):
        return False
    words = split_words(secret)
    return len(words) >= 2 and any(word in _CREDENTIAL_WORDS for word in words)


def is_uuid(secret: str) -> bool:
    """A UUID (optionally with a short prefix such as `T-`)."""
    return _UUID.match(secret) is not None


def is_identifier_slug(secret: str) -> bool:
    """auth/invalid-api-key, create:scim_token, oauth2:token: an error code or scope name of words."""
    return _SLUG.match(secret) is not None


def is_resource_name(secret: str) -> bool:
    """arn:aws:secretsmanager:..., /subscriptions/..., projects/p/secrets/s, ARM `[parameters('x')]`."""
    return _RESOURCE.match(secret) is not None


_FORMAT = re.compile(r"%\(\w+\)[sdr]|%[sd](?![A-Za-z0-9])|\{\d*\}|\{[A-Za-z_][\w.]*\}|^@[A-Z][A-Z0-9_]*@?$")
_CODE_NAME = re.compile(r"^[_.?@$#]*[A-Za-z]+(?:(?:[._-]|\[-?\d+\]\.?)[A-Za-z]+)*$")


# What a template holds besides its placeholders: words, digits and path or list punctuation. A random password
# that happens to contain `%d` also holds symbols such as `!?#^+=~@`, and stays a password.
_TEMPLATE_TEXT = re.compile(r"^[A-Za-z0-9 _./:,-]*$")


def is_format_string(secret: str) -> bool:
    """"%(name)s", "{0}-{1}", "v1/keys/{}", "@API_TOKEN": a template filled in at run time."""
    return _FORMAT.search(secret) is not None and _TEMPLATE_TEXT.match(_FORMAT.sub("", secret)) is not None


def is_code_name(secret: str) -> bool:
    """_csrftoken, .v1_secret, ?InterpolationInJSX, ExclusiveStartShardId, Jobs[-1].JobId: letters only,
    a name in code (a session key, a module, a JMESPath), no secret. For token/secret keys only: a
    password of words (`correct-horse-battery`) is still a password."""
    if _CODE_NAME.match(secret) is None:
        return False
    words = split_words(secret)
    # Random letters split into many one- and two-letter "words"; names split into real ones.
    return bool(words) and sum(len(word) for word in words) / len(words) >= 4


_VALUE_DROPS = (
    ("echoed placeholder", is_echoed_placeholder),
    ("identifier", is_identifier_slug),
    ("resource name", is_resource_name),
    ("format string", is_format_string),
)


def passes_noise_filters(rule: Rule, secret: str) -> bool:
    """False when a generic rule's value is one of the not-a-secret kinds above."""
    if not rule.generic:
        return True
    if "password" not in rule.id and is_code_name(secret):
        return False
    return not any(predicate(secret) for _, predicate in _VALUE_DROPS)


# -- key and line predicates (generic rules: drop) ------------------------------------------------------

_KEY_BEFORE = re.compile(r"""([A-Za-z0-9_.:$@-]{1,80})["'\]]?[ \t]{0,4}(?:=>|:=|=|:)[ \t]{0,4}[@rbu]?["']?$""")
_ANNOTATION = re.compile(r"(?:^|\s)(?:[:@](?:type|vartype|param|paramtype|ivar|var|keyword|rtype|returns?)\b|"
                         r"@property\b)")
# Tokens that identify a request, a change or a page, not a caller: AWS ClientToken/ChangeToken/
# LifecycleActionToken, Google resumeToken/syncToken, idempotency keys.
_NON_CREDENTIAL_TOKENS = frozenset({
    "idempotency", "request", "client", "change", "lock", "sequence", "version", "purchase", "continuation",
    "resume", "sync", "restore", "attribution", "lifecycle", "action", "page", "next", "cursor", "upload",
    "query", "answer", "task", "batch", "job", "claim", "confirmation", "verification", "cancel", "pagination",
})


_NON_CREDENTIAL_KEYS = frozenset({"verificationtoken"})


def extract_key(prefix: str) -> str | None:
    """The key name right before the value on its line (`"clientRequestToken": "` -> clientRequestToken)."""
    match = _KEY_BEFORE.search(prefix[-200:])
    return match.group(1) if match else None


def is_annotation_line(prefix: str) -> bool:
    """`:type password: str`, `:vartype admin_password: ...`, `@param token`: docstring type annotations."""
    return _ANNOTATION.search(prefix) is not None


def is_type_name_key(key: str) -> bool:
    """"AWS::ApiGateway::ApiKey": ... -- the key is a resource type name, the value is no credential."""
    return "::" in key


def is_non_credential_key(key: str) -> bool:
    """VerificationToken (SES and DNS domain verification): a value published in DNS, not a credential."""
    return "".join(split_words(key)).endswith(tuple(_NON_CREDENTIAL_KEYS))


def is_request_token(key: str, secret: str) -> bool:
    """A UUID under an idempotency, request, change, lock, sequence, version or purchase token key."""
    return is_uuid(secret) and any(word in _NON_CREDENTIAL_TOKENS for word in split_words(key))


def is_cross_literal(prefix: str, quote: str) -> bool:
    """Minified code: the "opening" quote closes a literal that began before the key, so the captured value
    is the code between two string literals (`a="x token=";b="...`)."""
    window = prefix[-2048:]
    return window.count(quote) - window.count("\\" + quote) & 1 == 1


# -- place predicates (lower) ---------------------------------------------------------------------------

_DOC_DIRS = frozenset({
    "doc", "docs", "documentation", "example", "examples", "sample", "samples", "demo", "demos", "test",
    "tests", "testing", "testdata", "test_data", "test-data", "fixture", "fixtures", "__tests__", "__mocks__",
    "mock", "mocks", "spec", "specs", "molecule", "e2e", "tutorial", "tutorials", "man",
})
_DOC_SUFFIXES = (".md", ".markdown", ".rst", ".adoc", ".asciidoc", ".rdoc", ".pod", ".textile", ".html", ".htm")
_DOC_FILE = re.compile(r"(?:^|[^a-z])(?:examples?|samples?|readme|changelog|changes|news|tutorial|tests?|spec|"
                       r"mocks?|fixtures?)(?:[^a-z]|$)")
_SOURCE_SUFFIXES = (".py", ".pyi", ".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx", ".java", ".kt",
                    ".go", ".rb", ".rs", ".cs", ".c", ".h", ".cc", ".cpp", ".hpp", ".swift", ".scala", ".php",
                    ".pl", ".pm", ".lua", ".groovy", ".dart")
_COMMENT_LINE = re.compile(r"^\s*(?:#|//|/\*|\*|<!--|--|>>>|\.\.\.|;)")
_TRIPLE = re.compile(rb'"""|\'\'\'')
_DOCSTRING_WINDOW = 1024 * 1024


def is_documentation_place(lower_path: str) -> bool:
    """docs/, examples/, tests/, fixtures/ ... anywhere in the path, a Markdown/reST file, an example file."""
    parts = lower_path.replace("\\", "/").split("/")
    name = parts[-1]
    return (any(part in _DOC_DIRS for part in parts[:-1]) or name.endswith(_DOC_SUFFIXES)
            or _DOC_FILE.search(name.rsplit(".", 1)[0]) is not None)


_YAML_DOC_KEY = re.compile(rb"^(?:DOCUMENTATION|EXAMPLES|RETURN)[ \t]*:", re.MULTILINE)
_TOP_LEVEL = re.compile(rb"^[^\s#-]", re.MULTILINE)
_YAML_WINDOW = 64 * 1024


def is_in_yaml_doc_block(data: bytes, line_start: int) -> bool:
    """Under a top-level DOCUMENTATION:, EXAMPLES: or RETURN: key of a YAML file: the documentation sidecar of
    an Ansible module (the YAML twin of a module docstring)."""
    keys = list(_TOP_LEVEL.finditer(data, max(0, line_start - _YAML_WINDOW), line_start))
    return bool(keys) and _YAML_DOC_KEY.match(data, keys[-1].start()) is not None


def is_source_code(lower_path: str) -> bool:
    return lower_path.endswith(_SOURCE_SUFFIXES)


def is_in_comment_or_docstring(data: bytes, line_start: int, offset: int, prefix: str, python: bool = True) -> bool:
    """A comment line, a /* block */ or a triple-quoted string of source code: documentation, not code."""
    if _COMMENT_LINE.match(prefix):
        return True
    low = max(0, offset - _DOCSTRING_WINDOW)
    opened = data.rfind(b"/*", low, line_start)
    if opened >= 0 and data.rfind(b"*/", opened, offset) < 0:
        return True
    if not python:
        return False
    open_quote = b""
    for match in _TRIPLE.finditer(data, low, line_start):
        if not open_quote:
            open_quote = match.group(0)
        elif match.group(0) == open_quote:
            open_quote = b""
    return bool(open_quote)


_MINIFIED_SUFFIXES = (".map", ".min.js", ".min.mjs", ".min.cjs", ".min.css", ".bundle.js")
_MINIFIED_LINE = 1000
# Where a collection keeps what it shows rather than what it runs: example playbooks and role defaults.
_COLLECTION_EXAMPLE_DIRS = frozenset({"playbooks", "examples", "roles"})


def is_minified(lower_path: str, data: bytes, line_start: int, end: int) -> bool:
    """A source map, a .min.js bundle, or a line longer than 1,000 characters: generated code, not config."""
    if lower_path.endswith(_MINIFIED_SUFFIXES):
        return True
    line_end = data.find(b"\n", end, line_start + _MINIFIED_LINE + 1)
    return line_end < 0 and len(data) > line_start + _MINIFIED_LINE


def is_collection_example(path: str) -> bool:
    """A file under playbooks/, examples/ or roles/ of an Ansible collection that ships a galaxy.yml or an
    installed MANIFEST.json + FILES.json: third-party example and default values, like a package's docs."""
    parts = path.replace("\\", "/").split("/")
    return any(part.lower() in _COLLECTION_EXAMPLE_DIRS and _is_collection_root("/".join(parts[:index]))
               for index, part in enumerate(parts[:-1]) if index > 0)


@functools.lru_cache(maxsize=4096)
def _is_collection_root(directory: str) -> bool:
    def is_file(name: str) -> bool:
        try:
            return os.path.isfile(os.path.join(directory, name)) and not os.path.islink(os.path.join(directory, name))
        except (OSError, ValueError):
            return False
    return is_file("galaxy.yml") or (is_file("MANIFEST.json") and is_file("FILES.json"))


# -- one finding ----------------------------------------------------------------------------------------

def _line_prefix(data: bytes, start: int) -> tuple[int, str]:
    line_start = max(data.rfind(b"\n", max(0, start - 4096), start) + 1, start - 4096, 0)
    return line_start, data[line_start:start].decode("utf-8", "replace")


def assess(finding: Finding, rule: Rule, data: bytes, start: int, end: int) -> Finding | None:
    """The finding as reported (confidence lowered, with a note), or None when its place says it is no secret."""
    if finding.note:
        return finding  # a named sample: already low, already explained
    line_start, prefix = _line_prefix(data, start)
    secret = data[start:end].decode("utf-8", "replace")
    key = extract_key(prefix)
    if rule.generic:
        quote = prefix[-1:] if prefix[-1:] in ("'", '"') else ""
        closing = data[end:end + 1].decode("ascii", "replace")
        if quote and closing in ("'", '"') and closing != quote:
            return None  # "...' is no string literal: the value runs between two literals
        if is_annotation_line(prefix) or (key is not None and (
                is_type_name_key(key) or is_non_credential_key(key) or is_request_token(key, secret))) or (
                quote and is_cross_literal(prefix[:-1], quote)):
            return None
    signed = samples.explain_signed_url(prefix)
    if signed is not None:
        return _lower(finding, signed)
    if rule.validator is not None or match_filter.has_provider_prefix(secret):
        return finding
    lower_path = finding.path.replace("\\", "/").lower()
    why = _explain_place(finding.path, lower_path, data, line_start, start, prefix)
    if why is None and rule.generic:
        why = _explain_generic_value(lower_path, data, line_start, end, secret)
    if why is None and samples.is_sample_password(secret):
        why = "a documentation or sample password"
    if why is None and samples.echoes_its_place(secret, lower_path, key):
        why = "the value repeats its place (a product or key name): a sample value"
    return finding if why is None else _lower(finding, why)


def _explain_place(path: str, lower_path: str, data: bytes, line_start: int, start: int, prefix: str) -> str | None:
    if is_documentation_place(lower_path):
        return "documentation, example or test file"
    if is_source_code(lower_path) and is_in_comment_or_docstring(data, line_start, start, prefix,
                                                                  lower_path.endswith((".py", ".pyi"))):
        return "in a comment or docstring of source code"
    if lower_path.endswith((".yml", ".yaml")) and is_in_yaml_doc_block(data, line_start):
        return "in the DOCUMENTATION/EXAMPLES/RETURN block of a module's YAML documentation"
    if is_collection_example(path):
        return "example or default of an installed Ansible collection"
    return None


def _explain_generic_value(lower_path: str, data: bytes, line_start: int, end: int, secret: str) -> str | None:
    if is_minified(lower_path, data, line_start, end):
        return "minified code or source map"
    if is_uuid(secret):
        return "a UUID: more often an identifier than a credential"
    return None


def _lower(finding: Finding, why: str) -> Finding:
    if finding.confidence == "low":
        return dataclasses.replace(finding, note=why)
    return dataclasses.replace(finding, confidence=Confidence.LOW, note=why)
