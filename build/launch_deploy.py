"""Frozen entry point of the deploy tool: the console script is `secret_scanner.admin.deploy:run`."""

from __future__ import annotations

from secret_scanner.admin.deploy import run

if __name__ == "__main__":
    run()
