"""`python -m secret_scanner`: the same entry point as the `SecretScanner` console script."""

from __future__ import annotations

from secret_scanner.cli.scanner import run

if __name__ == "__main__":
    run()
