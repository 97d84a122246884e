"""The engine the noise tests run text through: the shipped catalog, the pure-Python gate, published samples kept
(at low confidence, with a note) so the tests can see how each value was judged."""

from __future__ import annotations

import random
import secrets

from secret_scanner.catalog import specimen
from secret_scanner.catalog.loader import load_rules
from secret_scanner.engine.detector import Engine
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.model import Finding


def make_engine() -> Engine:
    return Engine(load_rules(), Fingerprinter(secrets.token_bytes(32), "test"), "python", keep_samples=True)


def scan_text(engine: Engine, text: str, path: str = "home/alice/app/.env") -> list[Finding]:
    """`text` with its `<gen:...>` markers expanded (seeded: the same values every run), scanned as `path`."""
    return engine.scan_bytes(specimen.expand(text, random.Random(7)).encode("utf-8"), path)
