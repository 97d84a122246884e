"""The bench corpus's issue #8 families: every family planted with its severity, each credential type
deterministic per seed, every file syntax writing its value verbatim, negatives that name no planted value."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from bench import (  # noqa: E402
    corpus,
    corpus_families,
    corpus_kinds,
    corpus_natives,
    corpus_negatives,
)


def test_every_new_family_is_planted_with_its_severity_and_every_native_file_is_written(
    small_corpus: tuple[Path, dict[str, Any], dict[str, str]],
) -> None:
    out, manifest, _ = small_corpus
    planted = {s["family"] for s in manifest["secrets"]}
    # users=1: each tree's one profile holds the even half of the kinds and natives; the machine files are extra.
    expected = {kind.family for kind in corpus_families.user_kinds(0)} | {"windows-gpp", "dotnet-machine-key"}
    assert expected <= planted
    for secret in manifest["secrets"]:
        assert secret["severity"] == corpus.SEVERITY[secret["family"]]
    assert (out / "windows/Users/alice/AppData/Local/ngrok/ngrok.yml").is_file()
    assert (out / "linux/var/lib/jenkins/secrets/master.key").is_file()
    kinds = {n["kind"] for n in manifest["negatives"]}
    assert {"placeholder-echo", "request-token-uuid", "type-name-key", "arn", "minified-literals"} <= kinds


def test_the_two_alternating_halves_cover_every_credential_type_and_native_file() -> None:
    halves = corpus_families.user_kinds(0) + corpus_families.user_kinds(1)
    assert sorted(map(id, halves)) == sorted(map(id, corpus_kinds.KINDS))
    assert len(corpus_natives.NATIVES) >= 20
    assert {k.family for k in corpus_kinds.KINDS} <= set(corpus_kinds.SEVERITY)


@pytest.mark.parametrize("kind", corpus_kinds.KINDS, ids=lambda k: f"{k.family}-{k.names[0]}")
def test_each_credential_type_is_deterministic_per_seed_and_fresh_across_seeds(
    kind: corpus_kinds.TokenKind,
) -> None:
    def made(seed: int) -> str:
        return kind.make(corpus.Mint(corpus.random.Random(seed)))

    assert made(5) == made(5)
    assert made(5) != made(6)
    assert len(made(5)) >= 15 and "\n" not in made(5)


@pytest.mark.parametrize("style", sorted(corpus_families.STYLES))
def test_every_file_syntax_writes_the_value_verbatim_and_names_it(style: str) -> None:
    mint = corpus.Mint(corpus.random.Random(3))
    value = "tk-" + mint.gen("alnum", "30")
    line = corpus_families.render(style, "ZENDESK_API_TOKEN", value, mint)
    assert value in line
    assert "zendesk" in line.lower()


def test_negatives_name_no_planted_value_and_placeholders_echo_the_key_name() -> None:
    mint = corpus.Mint(corpus.random.Random(9))
    for _ in range(50):
        echo = corpus_negatives.placeholder_echo(mint, "DOPPLER_TOKEN")
        assert "doppler" in echo.lower()
    seen = {corpus_negatives.negative_for(mint, "env")[0] for _ in range(300)}
    assert {"placeholder-echo", "request-token-uuid", "error-code-constant", "arn", "public-by-design"} <= seen
    line = corpus_negatives.minified_literals(mint, 5_000)
    assert "\n" not in line and len(line) >= 5_000 and 'apiKey:"apiKey"' in line


def test_new_families_leave_the_older_plants_of_a_seed_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_families = corpus.generate(tmp_path / "a", seed=3, users=1)
    monkeypatch.setattr(corpus_families, "plant_user", lambda *args: None)
    monkeypatch.setattr(corpus_families, "plant_system", lambda *args: None)
    without = corpus.generate(tmp_path / "b", seed=3, users=1)
    new_families = set(corpus_kinds.SEVERITY)
    older = [s for s in with_families["secrets"] if s["family"] not in new_families]
    # box's JSON config also plants an encrypted private key: an older family in a new file
    older = [s for s in older if "_config.json" not in s["path"]]
    assert older == without["secrets"]
    assert len(with_families["secrets"]) > len(without["secrets"]) + 100
