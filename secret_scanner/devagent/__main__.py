"""`python -m secret_scanner.devagent`: the same as the `secret-scanner-devagent` command."""

from __future__ import annotations

from secret_scanner.cli.devagent import run

if __name__ == "__main__":
    run()
