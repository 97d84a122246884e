"""The Hyperscan engine and the pure-Python engine give identical findings on the same corpus."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from secret_scanner.catalog import specimen
from secret_scanner.catalog.loader import load_rules
from secret_scanner.catalog.rule import Rule
from secret_scanner.engine.gate import HyperscanGate, KeywordGate, build_gate
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.engine.scan import ScanOptions, scan
from secret_scanner.errors import RuleError
from secret_scanner.model import ScanResult
from secret_scanner.state.blobs import AuthenticatedBlobStore

hyperscan = pytest.importorskip("hyperscan")
TEST_RULES = Path(__file__).parent / "data" / "engine_rules"


def _all_rules() -> tuple[Rule, ...]:
    try:
        shipped = load_rules()
    except RuleError:
        shipped = ()
    return shipped + load_rules(TEST_RULES)


def _write_corpus(root: Path, rules: tuple[Rule, ...], rng: random.Random) -> None:
    for number, rule in enumerate(rules):
        samples = [*rule.examples, *rule.negative_examples]
        for index, sample in enumerate(samples):
            target = root / "examples" / f"{number:03d}-{index}" / rule.example_path
            target.parent.mkdir(parents=True, exist_ok=True)
            text = specimen.expand(sample, rng)
            crlf = index % 3 == 0
            target.write_bytes((text.replace("\n", "\r\n") if crlf else text).encode("utf-8"))
    # A mixed tree: prose with secrets from every example sprinkled in, in several encodings, plus binaries.
    sprinkles = [specimen.expand(e, rng) for rule in rules for e in rule.examples]
    words = ["alpha", "config", "value", "token", "password", "= ", ": ", "\n", "key", "secret", "x" * 5]
    for index in range(60):
        lines = []
        for _ in range(rng.randrange(5, 60)):
            lines.append(" ".join(rng.choice(words) for _ in range(rng.randrange(1, 12))))
            if sprinkles and rng.random() < 0.2:
                lines.append(rng.choice(sprinkles))
        text = "\n".join(lines)
        target = root / "tree" / f"d{index % 7}" / f"f{index}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        encoding = index % 4
        if encoding == 0:
            target.write_bytes(text.encode("utf-8"))
        elif encoding == 1:
            target.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
        elif encoding == 2:
            target.write_bytes(b"\xff\xfe" + text.replace("\n", "\r\n").encode("utf-16-le"))
        else:
            target.write_bytes(text.encode("utf-16-be"))
    (root / "tree" / "blob.bin").write_bytes(bytes(rng.randrange(256) for _ in range(4096)))


def _scan(root: Path, rules: tuple[Rule, ...], engine: str) -> ScanResult:
    options = ScanOptions(roots=(root,), rules=rules, engine=engine)
    return scan(options, Fingerprinter(b"k" * 32, "test"))


def test_engines_agree_on_every_example_and_a_mixed_tree(tmp_path: Path) -> None:
    rules = _all_rules()
    _write_corpus(tmp_path, rules, random.Random(1234))
    fast = _scan(tmp_path, rules, "hyperscan")
    slow = _scan(tmp_path, rules, "python")
    assert fast.stats.engine == "hyperscan"
    assert slow.stats.engine == "python"
    assert fast.findings  # the corpus has secrets: an empty comparison would prove nothing
    # Exact and prefilter gates both produced findings (shipped rules may shadow some test rules).
    assert {f.rule_id for f in fast.findings} >= {"test.lookbehind", "test.conditional", "test.key-secret"}
    assert fast.findings == slow.findings
    assert fast.stats.files_scanned == slow.stats.files_scanned


def test_gate_modes_cover_exact_prefilter_and_keywords() -> None:
    rules = load_rules(TEST_RULES)
    gate = HyperscanGate(rules, hyperscan)
    assert gate.modes["test.github"] == "exact"
    assert gate.modes["test.lookbehind"] == "prefilter"


def test_keyword_fallback_inside_the_hyperscan_database(tmp_path: Path, mocker: object) -> None:
    """A rule Hyperscan cannot take at all is gated by its keywords as literals, findings unchanged."""
    rules = load_rules(TEST_RULES)
    original = HyperscanGate._compile_one

    def refuse_conditional(self: HyperscanGate, rule: Rule) -> tuple[bytes, int] | None:
        return None if rule.id == "test.conditional" else original(self, rule)

    mocker.patch.object(HyperscanGate, "_compile_exact", return_value=None)  # type: ignore[attr-defined]
    mocker.patch.object(HyperscanGate, "_compile_one", refuse_conditional)  # type: ignore[attr-defined]
    gate = HyperscanGate(rules, hyperscan)
    assert gate.modes["test.conditional"] == "keywords"
    block = b"x condtok=ct0123abcd4567efgh y"
    index = [r.id for r in rules].index("test.conditional")
    assert index in gate.select(block)
    assert index in KeywordGate(rules).select(block)
    assert index not in gate.select(b"nothing to see here")


def test_python_engine_is_used_when_hyperscan_cannot_load(mocker: object) -> None:
    import builtins

    real_import = builtins.__import__

    def failing_import(name: str, *args: object, **kwargs: object) -> object:
        if name == "hyperscan":
            raise OSError("libhs.so: cannot open shared object file")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    mocker.patch("builtins.__import__", side_effect=failing_import)  # type: ignore[attr-defined]
    rules = load_rules(TEST_RULES)[:2]
    assert build_gate(rules, "auto").name == "python"
    with pytest.raises(OSError):
        build_gate(rules, "hyperscan")


def test_disk_cache_round_trip_and_corruption(tmp_path: Path) -> None:
    from secret_scanner.engine import gate as matcher

    rules = load_rules(TEST_RULES)
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    (cache / "hyperscan-stale.db").write_bytes(b"old")
    store = AuthenticatedBlobStore(cache, b"k" * 32)
    matcher._CACHE.clear()
    built = build_gate(rules, "hyperscan", store)
    files = list(cache.glob("hyperscan-*.db"))
    assert len(files) == 1 and files[0].name != "hyperscan-stale.db"
    matcher._CACHE.clear()
    loaded = build_gate(rules, "hyperscan", store)
    assert isinstance(loaded, HyperscanGate) and loaded is not built
    assert loaded.modes == built.modes  # type: ignore[attr-defined]
    sample = b"lbtoken=lbabcdefghij0123456789 condtok=ctabcdefgh01234567 " + specimen.make("github").encode()
    assert loaded.select(sample) == built.select(sample) != []
    files[0].write_bytes(files[0].read_bytes()[:200])  # truncated: must be ignored, not trusted
    matcher._CACHE.clear()
    recompiled = build_gate(rules, "hyperscan", store)
    assert recompiled.select(sample) == built.select(sample)


def test_a_failing_hyperscan_scan_falls_back_to_keywords(mocker: object) -> None:
    rules = load_rules(TEST_RULES)
    gate = HyperscanGate(rules, hyperscan)
    sample = b"x lbtoken=lbabcdefghij0123456789 y"
    expected = gate.select(sample)
    broken = mocker.MagicMock()  # type: ignore[attr-defined]
    broken.scan.side_effect = hyperscan.error("scratch in use")
    gate._database = broken
    assert gate.select(sample) == KeywordGate(rules).select(sample)
    assert set(expected) <= set(gate.select(sample))
