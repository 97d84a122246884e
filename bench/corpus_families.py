"""Issue #8's new provider families in the benchmark corpus: each credential type in many file syntaxes.

Every user profile gets half of `corpus_kinds.KINDS` (alternating halves, so each type lands 1-2 times per
tree), each in a file syntax drawn at random: .env, CI workflows (GitHub Actions, GitLab CI, Jenkinsfile),
docker-compose, Dockerfile, JSON settings, INI, Java properties, XML App.config, Streamlit TOML, source code
(.py, .js, .cs, .go), shell history (bash/fish, PowerShell), PowerShell scripts and Out-File dumps in UTF-16.
The files also get the hard negatives of `corpus_negatives` in their own syntax. `corpus_natives` adds the
providers' own CLI and server files (ngrok.yml, .sentryclirc, Groups.xml ...).

Hooked into `bench.corpus.build_tree` (`plant_user`, `plant_system`); severity classes in `SEVERITY`.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Callable

from bench import corpus, corpus_natives, corpus_servers
from bench.corpus import UTF8, UTF8_BOM_CRLF, UTF8_CRLF, UTF16_BOM, Draft, Encoding, Endpoint, Mint
from bench.corpus_kinds import KINDS, SEVERITY
from bench.corpus_negatives import (
    add_code_negatives,
    aws_cli_output,
    ci_cache_keys,
    cloudformation,
    minified_literals,
    negative_for,
)
from bench.corpus_tokens import TokenKind

__all__ = ["SEVERITY", "STYLES", "plant_system", "plant_user", "render"]

# The manifest writer looks severities up in corpus.SEVERITY.
corpus.SEVERITY.update(SEVERITY)

# style -> (file path under the project or home, encoding on Windows, encoding elsewhere, negatives style)
STYLES: dict[str, tuple[str, Encoding, Encoding, str]] = {
    "env": ("{p}/.env.production", UTF8_CRLF, UTF8, "env"),
    "github": ("{p}/.github/workflows/deploy.yml", UTF8, UTF8, "yaml"),
    "gitlab": ("{p}/.gitlab-ci.yml", UTF8, UTF8, "yaml"),
    "jenkinsfile": ("{p}/Jenkinsfile", UTF8_CRLF, UTF8, "env"),
    "compose": ("{p}/docker-compose.override.yml", UTF8, UTF8, "yaml"),
    "dockerfile": ("{p}/Dockerfile", UTF8, UTF8, "env"),
    "json": ("{p}/config/integrations.json", UTF8_BOM_CRLF, UTF8, "json"),
    "ini": ("{p}/config/integrations.ini", UTF8_CRLF, UTF8, "ini"),
    "properties": ("{p}/src/main/resources/application-prod.properties", UTF8_CRLF, UTF8, "ini"),
    "xml": ("{p}/App.config", UTF8_BOM_CRLF, UTF8, "xml"),
    "toml": ("{p}/.streamlit/secrets.toml", UTF8_CRLF, UTF8, "ini"),
    "py": ("{p}/scripts/notify.py", UTF8_CRLF, UTF8, "py"),
    "js": ("{p}/web/src/integrations.config.js", UTF8_CRLF, UTF8, "js"),
    "cs": ("{p}/src/Integrations/Settings.cs", UTF8_BOM_CRLF, UTF8, "cs"),
    "go": ("{p}/cmd/server/integrations.go", UTF8, UTF8, "go"),
    "history": ("{h}/.local/share/fish/fish_history", UTF8, UTF8, "env"),
    "ps-history": (
        "{h}/AppData/Roaming/Microsoft/Windows/PowerShell/PSReadLine/Visual Studio Code Host_history.txt",
        UTF8_CRLF,
        UTF8_CRLF,
        "env",
    ),
    "ps1": ("{h}/Documents/Scripts/set-integrations-{w}.ps1", UTF16_BOM, UTF8, "env"),
    "dump": ("{h}/Documents/integration-env-{w}.txt", UTF16_BOM, UTF8, "env"),
}
_WINDOWS_ONLY = {"ps-history", "ps1", "dump", "cs"}
_UNIX_ONLY = {"history"}
_HEADERS = {
    "github": "name: deploy\non: [push]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    env:",
    "gitlab": "stages: [deploy]\nvariables:",
    "jenkinsfile": "pipeline {\n  agent any\n  environment {",
    "compose": "services:\n  worker:\n    image: registry.example.com/worker:latest\n    environment:",
    "dockerfile": "FROM python:3.12-slim\nWORKDIR /app",
    "json": "{",
    "ini": "[integrations]",
    "xml": '<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <appSettings>',
    "toml": "[integrations]",
    "py": '"""Posts deploy notices to chat and tickets."""\nimport os\n',
    "js": "// Integration settings for the web client build\n",
    "cs": "namespace Integrations\n{\n    public static class Settings\n    {",
    "go": "package main\n\nconst (",
    "ps1": "#Requires -Version 5.1\n$ErrorActionPreference = 'Stop'",
    "dump": "\nName                           Value\n----                           -----",
}
_FOOTERS = {
    "github": "    steps:\n      - uses: actions/checkout@v4\n      - run: ./deploy.sh",
    "gitlab": "deploy:\n  stage: deploy\n  script: ./deploy.sh",
    "jenkinsfile": "  }\n  stages { stage('deploy') { steps { sh './deploy.sh' } } }\n}",
    "json": '  "version": 2\n}',
    "xml": "  </appSettings>\n</configuration>",
    "cs": "    }\n}",
    "go": ")",
}


def _camel(name: str) -> str:
    words = name.lower().split("_")
    return words[0] + "".join(w.capitalize() for w in words[1:])


def render(style: str, name: str, value: str, m: Mint) -> str:
    """`name = value` as it is written in a file of `style` (the value is never altered)."""
    quoted = json.dumps(value)
    if style == "env":
        return f'{name}="{value}"' if " " in value or m.rng.random() < 0.3 else f"{name}={value}"
    if style == "github":
        return f"      {name}: {value}" if m.rng.random() < 0.5 else f"      {name}: {quoted}"
    if style == "gitlab":
        return f"  {name}: {quoted}"
    if style == "jenkinsfile":
        return f"    {name} = '{value}'"
    if style == "compose":
        return f"      - {name}={value}" if " " not in value else f"      {name}: {quoted}"
    if style == "dockerfile":
        return f"ENV {name}={quoted}" if m.rng.random() < 0.6 else f"ARG {name}={value}"
    if style == "json":
        return f'  "{m.rng.choice((name, _camel(name)))}": {quoted},'
    if style in ("ini", "toml"):
        return f"{name.lower()} = {quoted if style == 'toml' else value}"
    if style == "properties":
        head, _, tail = name.lower().partition("_")
        return f"{head}.{tail.replace('_', '-') or 'key'}={value}"
    if style == "xml":
        return f'    <add key="{m.rng.choice((name, _camel(name)))}" value="{value}" />'
    if style == "py":
        return f"{name} = {quoted}" if m.rng.random() < 0.6 else f"os.environ.setdefault({json.dumps(name)}, {quoted})"
    if style == "js":
        return f"export const {_camel(name)} = {quoted};"
    if style == "cs":
        pascal = _camel(name)[0].upper() + _camel(name)[1:]
        return f"        public const string {pascal} = {quoted};"
    if style == "go":
        return f"\t{_camel(name)} = {quoted}"
    if style == "history":
        return f"- cmd: set -gx {name} {quoted}\n  when: {1700000000 + m.rng.randrange(10**7)}"
    if style == "ps-history":
        return f'$env:{name} = "{value}"'
    if style == "ps1":
        return f"[Environment]::SetEnvironmentVariable('{name}', '{value}', 'User')"
    if style == "dump":
        return f"{name:<30} {value}"
    raise ValueError(style)


def _fits(style: str, value: str) -> bool:
    """Skip syntaxes that would have to escape the value (then the file would not hold it verbatim)."""
    if style in ("xml",) and re.search(r"[&<>\"]", value):
        return False
    if style in ("properties", "ini") and value.startswith(("FlyV1", " ")):
        return False
    return not (style == "dockerfile" and " " in value)


def _style_for(ep: Endpoint, value: str) -> str:
    allowed = [
        s
        for s in STYLES
        if _fits(s, value)
        and not (s in _WINDOWS_ONLY and ep.tree != "windows")
        and not (s in _UNIX_ONLY and ep.tree == "windows")
    ]
    return ep.rng.choice(allowed)


def user_kinds(user_index: int) -> list[TokenKind]:
    """The alternating half of KINDS this user profile holds."""
    return [kind for i, kind in enumerate(KINDS) if i % 2 == user_index % 2]


def _aside(ep: Endpoint, label: str, plant: Callable[[Endpoint], None]) -> None:
    """Run `plant` on a view of `ep` with its own generator, seeded from ep's state without drawing from it.

    The older scenarios then get the same values and shapes as before these families existed, so a
    before/after comparison of them is like for like.
    """
    seed = hashlib.sha256(repr(ep.rng.getstate()).encode() + label.encode()).digest()
    view = Endpoint(ep.root, ep.tree, Mint(random.Random(seed)))
    plant(view)
    ep.plants += view.plants
    ep.negatives += view.negatives
    ep.files += view.files
    ep.bytes += view.bytes


def plant_user(ep: Endpoint, home: str, project: str, user_index: int) -> None:
    """Plant this profile's half of the new-family credential types, one file per syntax, plus negatives."""
    _aside(ep, home, lambda view: _plant_user(view, home, project, user_index))


def _plant_user(ep: Endpoint, home: str, project: str, user_index: int) -> None:
    mint = ep.mint
    word = mint.word()
    drafts: dict[str, Draft] = {}
    for kind in user_kinds(user_index):
        value = kind.make(mint)
        style = _style_for(ep, value)
        draft = drafts.get(style)
        if draft is None:
            path, win_enc, other_enc, _ = STYLES[style]
            draft = ep.draft(path.format(p=project, h=home, w=word), win_enc if ep.tree == "windows" else other_enc)
            if style in _HEADERS:
                draft.add(_HEADERS[style])
            drafts[style] = draft
        name = ep.rng.choice(kind.names)
        draft.secret(kind.family, render(style, name, value, mint), value)
        if ep.rng.random() < 0.35:
            _negative(draft, mint, style)
    for style, draft in drafts.items():
        _negative(draft, mint, style)
        if style in ("py", "js", "cs", "go"):
            add_code_negatives(draft, mint, style)
        if style in ("github", "compose"):
            ci_cache_keys(draft, "github" if style == "github" else "circleci")
        if style in _FOOTERS:
            draft.add(_FOOTERS[style])
        ep.write(draft)
    cfn = ep.draft(f"{project}/infra/cloudformation/secrets-stack.json")
    cfn.add("")
    cloudformation(cfn, mint)
    ep.write(cfn)
    cli = ep.draft(f"{project}/infra/list-secrets-output.json")
    aws_cli_output(cli, mint)
    ep.write(cli)
    bundle = ep.draft(f"{project}/web/dist/app.{mint.hex(8)}.min.js")
    bundle.add('"use strict";')
    bundle.negative("minified-literals", minified_literals(mint, ep.rng.randrange(40_000, 120_000)))
    ep.write(bundle)
    corpus_natives.plant_user_natives(ep, home, project, user_index)


def _negative(draft: Draft, m: Mint, style: str) -> None:
    neg_style = STYLES[style][3]
    kind, text = negative_for(m, neg_style)
    if style in ("github", "gitlab", "compose") and text.startswith("      "):
        text = ("  " if style == "gitlab" else "      ") + text.lstrip()
    elif style in ("jenkinsfile", "dockerfile", "history", "ps-history", "ps1", "dump"):
        text = {
            "jenkinsfile": "    ",
            "dockerfile": "ENV ",
            "history": "- cmd: export ",
            "ps-history": "$env:",
            "ps1": "$env:",
            "dump": "",
        }[style] + text
    draft.negative(kind, text)


def plant_system(ep: Endpoint) -> None:
    """Machine-wide files of the new families (server configs, domain policies)."""
    _aside(ep, "system", corpus_servers.plant_system_natives)
