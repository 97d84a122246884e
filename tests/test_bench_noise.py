"""The noise benchmark's pure parts: renaming pruned directories, matching peer findings, the table."""

from __future__ import annotations

import sys
from pathlib import Path

# bench/ is a top-level folder of the repository, not part of the installed package.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from bench import noise, noise_fetch  # noqa: E402
from bench.noise import Hit, TreeRun  # noqa: E402
from secret_scanner.engine.walk import iter_files  # noqa: E402


def test_rename_pruned_makes_every_file_visible_to_the_walker(tmp_path: Path) -> None:
    files = ["app/node_modules/lodash/index.js", "lib/python3.11/site-packages/boto3/session.py",
             "pkg/__pycache__/x.pyc", "keep/plain.txt", "app/node_modules/a/node_modules/b/c.js"]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n")
    assert len(list(iter_files([tmp_path]))) == 1
    renamed = noise_fetch.rename_pruned(tmp_path)
    assert "app/node_modules.renamed" in renamed and "lib/python3.11.renamed" in renamed
    assert "app/node_modules.renamed/a/node_modules.renamed" in renamed
    assert len(list(iter_files([tmp_path]))) == len(files)
    assert noise_fetch.rename_pruned(tmp_path) == []


def test_peer_rules_split_into_must_find_and_context() -> None:
    assert noise.is_peer_must_find("betterleaks.private-key")
    assert noise.is_peer_must_find("kingfisher.github.1")
    assert not noise.is_peer_must_find("betterleaks.generic-credential-uri")
    assert not noise.is_peer_must_find("betterleaks.jwt")
    assert not noise.is_peer_must_find("kingfisher.generic.password")


def test_find_missed_matches_by_file_and_nearby_line() -> None:
    peer = [Hit("t", "a/id_rsa", 1, "betterleaks.private-key"), Hit("t", "b/x.js", 40, "kingfisher.github.1"),
            Hit("t", "c/y.py", 9, "betterleaks.generic-api-key"), Hit("u", "a/id_rsa", 1, "betterleaks.private-key")]
    ours = [Hit("t", "a/id_rsa", 2, "private-key.rsa", "high"), Hit("t", "b/x.js", 10, "github.pat", "high")]
    missed = noise.find_missed(peer, ours)
    assert [(h.tree, h.path, h.line) for h in missed] == [("t", "b/x.js", 40), ("u", "a/id_rsa", 1)]


def test_threshold_filter() -> None:
    hits = [Hit("t", "p", 1, "r", "low"), Hit("t", "p", 2, "r", "medium"), Hit("t", "p", 3, "r", "high")]
    assert [h.line for h in noise.at_threshold(hits, "medium")] == [2, 3]
    assert len(noise.at_threshold(hits, "low")) == 3


def test_render_markdown_lists_trees_rules_and_misses() -> None:
    runs = [TreeRun("python", "ours", 1.0, (Hit("python", "a.py", 1, "generic.password-quoted", "low"),
                                            Hit("python", "b.env", 2, "generic.password-quoted", "medium")), ()),
            TreeRun("python", "kingfisher", 1.0, (Hit("python", "k", 3, "betterleaks.private-key"),), ())]
    missed = [Hit("python", "k", 3, "betterleaks.private-key")]
    text = noise.render_markdown(runs, {"python": (10, 2_000_000)}, "medium", missed)
    assert "| python | 10 | 2 | 1 | 2 | 1 |" in text
    assert "| ours | generic.password-quoted | 1/2 | 1/2 |" in text
    assert "| kingfisher | betterleaks.private-key | 1 | 1 |" in text
    assert "- python/k:3 (betterleaks.private-key; not found by us)" in text


def test_explain_miss_names_what_we_did() -> None:
    miss = Hit("t", "a.md", 10, "betterleaks.private-key")
    ours = [Hit("t", "a.md", 11, "private-key.rsa", "low", "documentation, example or test file")]
    assert noise.explain_miss(miss, ours) == "ours: private-key.rsa, low (documentation, example or test file)"
    assert noise.explain_miss(miss, []) == "not found by us"


def test_render_markdown_says_none_when_nothing_is_missed() -> None:
    text = noise.render_markdown([], {"npm": (0, 0)}, "medium", [])
    assert "- none" in text
