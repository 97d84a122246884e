"""The rule catalog: loads and validates every rule file shipped in the package (or a given directory).

Rule files are package data read through importlib.resources, so the catalog loads the same from a source
tree, an installed wheel, or a PyInstaller-frozen binary (which must bundle secret_scanner/rules/*.toml).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from secret_scanner.catalog.rule import Rule
from secret_scanner.catalog.schema import parse_rule
from secret_scanner.errors import RuleError


def load_rules(directory: Path | None = None) -> tuple[Rule, ...]:
    """Every rule of every `*.toml` file, files in name order, rules in file order. Raises RuleError."""
    source: Traversable | Path = (
        directory if directory is not None else resources.files("secret_scanner") / "rules")
    try:
        files = sorted((f for f in source.iterdir() if f.name.endswith(".toml") and f.is_file()),
                       key=lambda f: f.name)
    except OSError as exc:
        raise RuleError(f"cannot list rule directory {source}: {exc}") from exc
    rules: list[Rule] = []
    for file in files:
        rules.extend(_load_file(file))
    _check_catalog(rules)
    return tuple(rules)


def _load_file(file: Traversable | Path) -> list[Rule]:
    name = f"rules/{file.name}"
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"{name}: cannot read rule file: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{name}: not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - {"rules"})
    if unknown:
        raise RuleError(f"{name}: unknown top-level keys {', '.join(unknown)} (rules go in [[rules]] tables)")
    tables = data.get("rules", [])
    if not isinstance(tables, list):
        raise RuleError(f"{name}: 'rules' must be an array of tables ([[rules]])")
    return [parse_rule(table, name) for table in tables]


def _check_catalog(rules: Iterable[Rule]) -> None:
    seen: dict[str, str] = {}
    listed = list(rules)
    for rule in listed:
        if rule.id in seen:
            raise RuleError(f"{rule.source}: rule {rule.id!r} is already defined in {seen[rule.id]}")
        seen[rule.id] = rule.source
    for rule in listed:
        if rule.pair is not None:
            if rule.pair.rule not in seen:
                raise RuleError(
                    f"{rule.source}: rule {rule.id!r}: pair names unknown rule {rule.pair.rule!r}")
            if rule.pair.rule == rule.id:
                raise RuleError(f"{rule.source}: rule {rule.id!r}: a rule cannot pair with itself")
