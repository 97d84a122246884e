"""Scan trees for the tests: a small tree planted with a GitHub token, an AWS key id and a password (all made
at run time), and a tree with no credentials.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from secret_scanner.catalog import specimen


@dataclass(frozen=True)
class PlantedTree:
    root: Path
    secrets: tuple[str, ...]


def plant_tree(root: Path, extra_files: int = 0) -> PlantedTree:
    """A small tree with a GitHub token, an AWS key id and a password, all made at run time."""
    root.mkdir(parents=True, exist_ok=True)
    github = specimen.make("github", "ghp_")
    aws = specimen.make("aws-key-id", "AKIA")
    password = specimen.make("password", "20", random.Random("trees-password"))
    (root / "deploy.env").write_text(f"# deploy settings\nGITHUB_TOKEN={github}\n", encoding="utf-8")
    (root / "aws").mkdir(exist_ok=True)
    (root / "aws" / "credentials").write_text(f"[default]\naws_access_key_id = {aws}\n", encoding="utf-8")
    (root / "db.conf").write_text(f'host=db.internal\npassword = "{password}"\n', encoding="utf-8")
    (root / "notes.txt").write_text("nothing to see here\n", encoding="utf-8")
    for index in range(extra_files):
        (root / f"plain-{index:04d}.txt").write_text(f"line {index}\n", encoding="utf-8")
    return PlantedTree(root, (github, aws, password))


@pytest.fixture
def planted(tmp_path: Path) -> PlantedTree:
    return plant_tree(tmp_path / "tree")


@pytest.fixture
def clean_tree(tmp_path: Path) -> Path:
    root = tmp_path / "clean"
    root.mkdir()
    (root / "readme.txt").write_text("no credentials here\n", encoding="utf-8")
    return root
