"""The run lock: one run at a time, refused at once, and never left behind by a killed run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from secret_scanner.errors import LockHeldError
from secret_scanner.state.lock import LOCK_FILE, acquire_run_lock

HOLD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from secret_scanner.state.lock import acquire_run_lock
    with acquire_run_lock(Path(sys.argv[1])):
        print("held", flush=True)
        time.sleep(60)
""")


def test_second_holder_is_refused_at_once_naming_the_first(tmp_path: Path) -> None:
    with acquire_run_lock(tmp_path):
        with (
            pytest.raises(LockHeldError, match=rf"pid {os.getpid()} started \d{{4}}-"),
            acquire_run_lock(tmp_path),
        ):
            pass  # pragma: no cover - must not be reached
        assert (tmp_path / LOCK_FILE).read_text().startswith(f"pid {os.getpid()} ")
    with acquire_run_lock(tmp_path):  # released on exit
        pass


def test_lock_file_is_owner_only(tmp_path: Path) -> None:
    with acquire_run_lock(tmp_path):
        pass
    if sys.platform != "win32":
        assert (tmp_path / LOCK_FILE).stat().st_mode & 0o777 == 0o600


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_lock_of_a_killed_run_does_not_block_the_next(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockHeldError, match=f"pid {holder.pid}"), acquire_run_lock(tmp_path):
            pass  # pragma: no cover
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=10)
    with acquire_run_lock(tmp_path):
        assert (tmp_path / LOCK_FILE).read_text().startswith(f"pid {os.getpid()} ")
