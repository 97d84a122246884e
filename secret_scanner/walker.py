"""PLACEHOLDER walker (to be replaced by the detection-engine work)."""

from __future__ import annotations

from pathlib import Path


def default_roots() -> tuple[Path, ...]:
    return tuple(p for p in (Path.home(),) if p.exists())
