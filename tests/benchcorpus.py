"""A small generated endpoint corpus for the bench tests, with a record of which value each container hash
belongs to (the generator hashes binary container files)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import pytest

# bench/ is a top-level folder of the repository, not part of the installed package.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from bench import corpus, corpus_archives  # noqa: E402


class RecordingHashlib:
    """Stands in for hashlib inside the generator so the test can see which value each hash belongs to."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def sha256(self, data: bytes) -> Any:
        digest = hashlib.sha256(data)
        self.values[digest.hexdigest()] = data.decode("utf-8", "replace")  # container files are binary
        return digest


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], dict[str, str]]:
    out = tmp_path_factory.mktemp("corpus")
    recorder = RecordingHashlib()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(corpus, "hashlib", recorder)
        patch.setattr(corpus_archives, "hashlib", recorder)
        manifest = corpus.generate(out, seed=11, users=1)
    return out, manifest, recorder.values
