"""Frozen entry point of the deploy tool: the console script is `secret_scanner.cli.deploy:run`."""

from __future__ import annotations

from secret_scanner.cli.deploy import run

if __name__ == "__main__":
    run()
