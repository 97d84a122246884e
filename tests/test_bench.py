"""The benchmark harness: scoring and matching rules, report parsing, and corpus generation (small sizes)."""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

# bench/ is a top-level folder of the repository, not part of the installed package.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from bench import compare, corpus  # noqa: E402
from bench.corpus_archives import read_planted  # noqa: E402


def _manifest(
    secrets: Sequence[tuple[str, str, int, int, str]],
    negatives: Sequence[tuple[str, str, int, int, str]] = (),
) -> dict[str, Any]:
    return {
        "secrets": [
            {
                "tree": t,
                "path": p,
                "line": a,
                "end_line": b,
                "family": f,
                "severity": "high",
                "encoding": "utf-8",
                "context": "x",
                "sha256": "0",
            }
            for t, p, a, b, f in secrets
        ],
        "negatives": [
            {"tree": t, "path": p, "line": a, "end_line": b, "kind": k} for t, p, a, b, k in negatives
        ],
    }


def _finding(path: str, line: int, tree: str = "linux", rule: str = "r") -> compare.ToolFinding:
    return compare.ToolFinding(tree, path, line, rule)


# -- scoring ----------------------------------------------------------------------------------------------


def test_finding_inside_a_multiline_span_matches_the_secret() -> None:
    manifest = _manifest([("linux", "home/bob/.ssh/id_rsa", 1, 27, "private-key")])
    result = compare.score("t", [_finding("home/bob/.ssh/id_rsa", 14)], manifest)
    assert (result.true_positives, result.false_positives, result.duplicates) == (1, 0, 0)
    assert result.recall == 1.0 and result.precision == 1.0


def test_second_finding_on_the_same_secret_is_a_duplicate_not_a_false_positive() -> None:
    manifest = _manifest([("linux", ".aws/credentials", 2, 3, "aws")])
    findings = [
        _finding(".aws/credentials", 2, rule="key-id"),
        _finding(".aws/credentials", 3, rule="secret"),
    ]
    result = compare.score("t", findings, manifest)
    assert (result.true_positives, result.duplicates, result.false_positives) == (1, 1, 0)


def test_finding_outside_every_span_is_a_false_positive() -> None:
    manifest = _manifest([("linux", "a.env", 5, 5, "github")])
    result = compare.score("t", [_finding("a.env", 4), _finding("a.env", 6)], manifest)
    assert result.true_positives == 0
    assert result.false_positives == 2
    assert result.precision == 0.0
    assert result.missed == ["linux/a.env:5 (github)"]


def test_same_line_in_another_file_or_tree_does_not_match() -> None:
    manifest = _manifest([("linux", "a.env", 5, 5, "github")])
    findings = [_finding("b.env", 5), _finding("a.env", 5, tree="macos")]
    result = compare.score("t", findings, manifest)
    assert result.true_positives == 0 and result.false_positives == 2


def test_false_positive_on_a_hard_negative_is_counted_by_kind() -> None:
    manifest = _manifest(
        [("linux", "a.env", 1, 1, "github")],
        [("linux", "a.env", 2, 2, "aws-example"), ("linux", "a.env", 3, 3, "uuid")],
    )
    findings = [_finding("a.env", 2), _finding("a.env", 7)]
    result = compare.score("t", findings, manifest)
    assert result.false_positives == 2
    assert result.hard_negative_hits == 1
    assert result.hard_negative_kinds == {"aws-example": 1}
    assert result.stray == ["linux/a.env:7 r"]


def test_recall_is_broken_down_by_family_and_f1_combines_precision_and_recall() -> None:
    manifest = _manifest(
        [
            ("linux", "a", 1, 1, "github"),
            ("linux", "a", 2, 2, "github"),
            ("linux", "b", 1, 1, "aws"),
            ("linux", "c", 1, 1, "jwt"),
        ]
    )
    findings = [_finding("a", 1), _finding("b", 1), _finding("z", 1)]
    result = compare.score("t", findings, manifest)
    assert result.recall_by_family == {"aws": (1, 1), "github": (1, 2), "jwt": (0, 1)}
    assert result.recall == pytest.approx(0.5)
    assert result.precision == pytest.approx(2 / 3)
    assert result.f1 == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))


def test_scores_of_a_tool_with_no_findings_are_zero_without_dividing_by_zero() -> None:
    result = compare.score("t", [], _manifest([("linux", "a", 1, 1, "github")]))
    assert (result.recall, result.precision, result.f1) == (0.0, 0.0, 0.0)


# -- path normalisation and report parsing ------------------------------------------------------------------


def test_absolute_and_relative_paths_are_made_relative_to_the_tree(tmp_path: Path) -> None:
    tree = tmp_path / "corpus" / "linux"
    assert compare.normalise_path(str(tree / "home/bob/.netrc"), tree, tmp_path) == "home/bob/.netrc"
    assert compare.normalise_path("corpus/linux/etc/app.env", tree, tmp_path) == "etc/app.env"
    assert compare.normalise_path(str(tmp_path / "elsewhere.txt"), tree, tmp_path) is None


def test_each_tool_report_shape_is_parsed_into_path_line_and_rule() -> None:
    ours = {"findings": [{"path": "/t/a", "line": 3, "rule_id": "github.pat"}]}
    gitleaks = [{"File": "/t/a", "StartLine": 4, "RuleID": "github-pat"}]
    betterleaks = {"findings": [{"rule_id": "github-pat", "location": {"path": "/t/a", "start_line": 5}}]}
    kingfisher = {"findings": [{"finding": {"path": "/t/a", "line": 6}, "rule": {"id": "kf.github"}}]}
    assert compare._parse_ours(ours) == [("/t/a", 3, "github.pat")]
    assert compare._parse_gitleaks(gitleaks) == [("/t/a", 4, "github-pat")]
    assert compare._parse_betterleaks(betterleaks) == [("/t/a", 5, "github-pat")]
    assert compare._parse_kingfisher(kingfisher) == [("/t/a", 6, "kf.github")]
    assert compare._parse_gitleaks(None) == []


def test_markdown_table_has_a_row_per_tool_and_the_time_ratio_to_the_fastest() -> None:
    manifest = _manifest([("linux", "a", 1, 1, "github")])
    runs = [compare.Run("fast", 1.0, (_finding("a", 1),)), compare.Run("slow", 3.0, ())]
    scores = [compare.score(r.tool, r.findings, manifest) for r in runs]
    table = compare.render_markdown(scores, runs, "tiny")
    assert "| fast | 100.0% | 1/1 |" in table
    assert "| slow | 0.0% | 0/1 |" in table
    assert "| 3.00 | 3.00 |" in table
    assert "| github | 1 | 100% | 0% |" in table


# -- corpus generation -------------------------------------------------------------------------------------


def _decode(data: bytes, encoding: str) -> str:
    if encoding.startswith("utf-16-le-bom"):
        return data[2:].decode("utf-16-le")
    if encoding.startswith("utf-16-le"):
        return data.decode("utf-16-le")
    if encoding.startswith("utf-8-sig"):
        return data[3:].decode("utf-8")
    return data.decode("utf-8")




def test_generator_writes_three_trees_and_a_manifest_of_hundreds_of_secrets(
    small_corpus: tuple[Path, dict[str, Any], dict[str, str]],
) -> None:
    out, manifest, _ = small_corpus
    assert {p.name for p in out.iterdir()} == {"windows", "linux", "macos", "manifest.json"}
    on_disk = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk == manifest
    assert manifest["users_per_tree"] == 1
    assert len(manifest["secrets"]) >= 250
    assert len(manifest["negatives"]) >= len(manifest["secrets"])
    assert {s["family"] for s in manifest["secrets"]} >= {
        "aws",
        "github",
        "private-key",
        "private-key-encrypted",
        "jwt",
        "db-uri",
        "unattend-password",
        "filezilla",
    }
    encodings = {s["encoding"] for s in manifest["secrets"]}
    assert {"utf-16-le-bom-crlf", "utf-16-le-crlf", "utf-8-sig-crlf", "utf-8"} <= encodings
    assert "value" not in json.dumps(manifest["secrets"][0])


def test_manifest_lines_point_at_the_planted_secret_in_the_decoded_text(
    small_corpus: tuple[Path, dict[str, Any], dict[str, str]],
) -> None:
    out, manifest, values = small_corpus
    for secret in manifest["secrets"]:
        data = read_planted(out / secret["tree"], secret["path"])  # a file, or a member inside archives
        if secret["family"].startswith("container-"):  # the whole file is the credential
            assert hashlib.sha256(data).hexdigest() == secret["sha256"], secret
            continue
        text = _decode(data, secret["encoding"])
        lines = text.replace("\r\n", "\n").split("\n")
        span = "\n".join(lines[secret["line"] - 1 : secret["end_line"]])
        value = values[secret["sha256"]]
        # An AWS pair is stored as "key-id:secret"; a key inside JSON is stored unescaped.
        parts = value.split(":") if secret["family"] == "aws" else [value]
        assert all(p in span or json.dumps(p)[1:-1] in span for p in parts), secret
        outside = "\n".join(lines[: secret["line"] - 1] + lines[secret["end_line"] :])
        assert parts[-1] not in outside, secret


def test_secret_and_negative_spans_never_overlap(
    small_corpus: tuple[Path, dict[str, Any], dict[str, str]],
) -> None:
    _, manifest, _ = small_corpus
    spans: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for item in manifest["secrets"] + manifest["negatives"]:
        spans.setdefault((item["tree"], item["path"]), []).append((item["line"], item["end_line"]))
    for ranges in spans.values():
        ranges.sort()
        for (_, end), (start, _) in itertools.pairwise(ranges):
            assert start > end


def test_generator_is_deterministic_for_a_seed_and_differs_across_seeds(tmp_path: Path) -> None:
    first = corpus.generate(tmp_path / "a", seed=3, users=1)
    second = corpus.generate(tmp_path / "b", seed=3, users=1)
    other = corpus.generate(tmp_path / "c", seed=4, users=1)
    assert first == second
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    sample = files_a[:: max(1, len(files_a) // 25)]
    for relative in sample:
        assert (tmp_path / "a" / relative).read_bytes() == (tmp_path / "b" / relative).read_bytes()
    assert {s["sha256"] for s in first["secrets"]}.isdisjoint({s["sha256"] for s in other["secrets"]})


def test_generator_refuses_to_overwrite_an_existing_corpus(tmp_path: Path) -> None:
    (tmp_path / "linux").mkdir()
    with pytest.raises(ValueError, match="already exists"):
        corpus.generate(tmp_path, seed=1, users=1)


# -- running a tool ----------------------------------------------------------------------------------------


def _script_tool(script: str, ok_codes: tuple[int, ...] = (0,)) -> compare.Tool:
    """A stand-in scanner: a Python one-liner that gets the report path as argv[1]."""
    return compare.Tool(
        "fake",
        lambda target, report, scratch: [sys.executable, "-c", script, str(report), str(target)],
        compare._parse_ours,
        ok_codes,
    )


def test_run_tool_parses_the_report_of_a_successful_run(tmp_path: Path) -> None:
    script = (
        "import json, sys; json.dump({'findings': [{'path': sys.argv[2] + '/a.env', 'line': 2, "
        "'rule_id': 'x'}]}, open(sys.argv[1], 'w'))"
    )
    seconds, findings, problems, _ = compare.run_tool(_script_tool(script), tmp_path, repeats=2, timeout=60)
    assert findings == [(f"{tmp_path}/a.env", 2, "x")]
    assert problems == []
    assert 0 < seconds < float("inf")


def test_a_crashed_run_is_reported_and_never_counts_as_a_time(tmp_path: Path) -> None:
    script = "import sys; sys.stderr.write('boom\\n'); sys.exit(70)"
    seconds, findings, problems, _ = compare.run_tool(_script_tool(script), tmp_path, repeats=1, timeout=60)
    assert seconds == float("inf")
    assert findings == []
    assert problems == [f"fake on {tmp_path.name}: exit 70, no report: boom"]


def test_our_command_keeps_the_venv_interpreter_and_absolutises_a_relative_binary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = compare.build_tools(None)["ours"].command(tmp_path / "t", tmp_path / "r.json", tmp_path)
    assert default[:3] == [sys.executable, "-m", "secret_scanner"]
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "SecretScanner").write_text("")
    monkeypatch.chdir(tmp_path)
    frozen = compare.build_tools("dist/SecretScanner --verbose")["ours"].command(
        tmp_path / "t", tmp_path / "r.json", tmp_path
    )
    assert frozen[:2] == [str(tmp_path / "dist" / "SecretScanner"), "--verbose"]
