"""The credential container kinds as a table for `--list-rules` (the kinds themselves: catalog/containers.py)."""

from __future__ import annotations

from secret_scanner.catalog.containers import CONTAINER_KINDS, ContainerKind
from secret_scanner.output.table import render_table


def render_container_kinds(kinds: tuple[ContainerKind, ...] = CONTAINER_KINDS) -> str:
    """Rule ids, default severity, the file names each kind is known by, and its title."""
    rows = [("ID", "SEVERITY", "FILES", "TITLE")]
    for kind in kinds:
        names = ", ".join(kind.names)
        if kind.parents:
            names += " (in " + ", ".join(kind.parents) + "/)"
        rows.append((kind.rule_id, kind.severity, names, kind.title))
    lines = ["", *render_table(rows), "", f"{len(kinds)} credential container kinds (reported by file)"]
    return "\n".join(lines) + "\n"
