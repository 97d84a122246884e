"""Smoke test of a frozen SecretScanner: plant fresh specimen secrets in a tree, scan it, check the outcome.

    python build/fixture_tree.py run dist/SecretScanner/SecretScanner [--work DIR]

It makes the tree with secret_scanner.catalog.specimen (no live-format secret is stored anywhere), runs
`SecretScanner --scan --path TREE --report REPORT --state-dir STATE`, and checks: exit code 1 (secrets found),
every planted rule id in the JSON report, nothing reported in the clean file, no planted value anywhere in
stdout, stderr or the report, and (with --expect-engine hyperscan) that the native engine was used.
Used by build/ci-frozen.sh and the CI workflows on all three OSes.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from secret_scanner.catalog import specimen

SECRETS_FOUND = 1


@dataclass(frozen=True)
class Plant:
    rule_id: str
    relative_path: str
    template: str


# Rules whose ids docs/rules.md and the report contract fix; each file holds one planted secret.
PLANTS = (
    Plant("github.pat", "project/.env", "GITHUB_TOKEN=<gen:github:ghp_>\n"),
    # The key id alone: next to a secret access key, the pair would merge into the secret key's rule.
    Plant("aws.access-key-id", "home/deploy.ini",
          "[aws]\nregion = eu-west-1\nkey_id = <gen:aws-key-id:AKIA>\n"),
)
CLEAN_FILE = "project/README.txt"


@dataclass(frozen=True)
class Tree:
    root: Path
    values: tuple[str, ...]


def make_tree(root: Path) -> Tree:
    values: list[str] = []
    for plant in PLANTS:
        text = specimen.expand(plant.template)
        values += _generated_values(plant.template, text)
        target = root / plant.relative_path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    (root / CLEAN_FILE).write_text("Nothing secret here: see the wiki for the token rotation policy.\n",
                                   encoding="utf-8")
    return Tree(root, tuple(values))


def _generated_values(template: str, text: str) -> list[str]:
    """The specimen values in `text`: what stands where each <gen:...> marker stood in `template`."""
    values = []
    for template_line, line in zip(template.splitlines(), text.splitlines(), strict=True):
        if "<gen:" in template_line:
            prefix = template_line.split("<gen:", 1)[0]
            values.append(line[len(prefix):].strip())
    return values


def scan(binary: Path, tree: Tree, work: Path, expect_engine: str | None = None) -> list[str]:
    """Run the binary on the tree; return the problems found (empty when all is well)."""
    report_path = work / "report.json"
    command = [str(binary), "--scan", "--path", str(tree.root), "--report", str(report_path),
               "--format", "json", "--state-dir", str(work / "state")]
    print("+ " + " ".join(command), flush=True)
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    print(done.stdout, end="")
    print(done.stderr, end="", file=sys.stderr)
    problems: list[str] = []
    if done.returncode != SECRETS_FOUND:
        problems.append(f"exit code {done.returncode}, expected {SECRETS_FOUND} (secrets found)")
    if not report_path.is_file():
        return [*problems, f"no report written at {report_path}"]
    report_text = report_path.read_text(encoding="utf-8")
    report = json.loads(report_text)
    found = {(f["rule_id"], Path(f["path"]).resolve()) for f in report.get("findings", [])}
    for plant in PLANTS:
        if (plant.rule_id, (tree.root / plant.relative_path).resolve()) not in found:
            problems.append(f"rule {plant.rule_id} not reported for {plant.relative_path}")
    if any(path == (tree.root / CLEAN_FILE).resolve() for _, path in found):
        problems.append(f"finding reported in the clean file {CLEAN_FILE}")
    for index, value in enumerate(tree.values):
        for where, text in (("stdout", done.stdout), ("stderr", done.stderr), ("report", report_text)):
            if value in text:
                problems.append(f"planted value #{index} leaked to {where}")
    engine = report.get("stats", {}).get("engine")
    if expect_engine is not None and engine != expect_engine:
        problems.append(f"engine {engine!r}, expected {expect_engine!r} (native library missing?)")
    print(f"findings: {sorted({rule for rule, _ in found})}; engine: {engine}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("run",))
    parser.add_argument("binary", type=Path, help="the SecretScanner executable to test")
    parser.add_argument("--work", type=Path, help="keep the tree and report here (default: a temp dir)")
    parser.add_argument("--expect-engine", metavar="NAME",
                        help="fail unless the report's stats.engine is NAME (e.g. hyperscan)")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="ss-fixture-"))
    try:
        tree = make_tree(work / "tree")
        problems = scan(args.binary.resolve(), tree, work, args.expect_engine)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    print("fixture scan: " + ("FAILED" if problems else "OK"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
