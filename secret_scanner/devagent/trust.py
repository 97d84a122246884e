"""Process trust: the launched-process registry, and who is on the other end of a loopback socket.

The agent registers each task process right after starting it; that registration, not a certificate, is what
lets the task reach the broker and Plugin Settings. A caller is trusted here only when the socket it connected
from belongs to a PID this development agent launched and has not yet seen exit. Peer addresses are mapped to
PIDs through psutil (which reads /proc on Linux).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import psutil

Address = tuple[str, int]


@dataclass(frozen=True)
class Caller:
    """Who connected: `job_id` is set only for a process this agent launched (a trusted caller)."""

    pid: int | None
    name: str
    job_id: str | None

    @property
    def trusted(self) -> bool:
        return self.job_id is not None

    def describe(self) -> str:
        if self.pid is None:
            return "an unidentified process"
        return f"pid {self.pid} ({self.name})"


class LaunchRegistry:
    """PIDs of the task processes this agent started, each with its job id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[int, str] = {}

    def register(self, pid: int, job_id: str) -> None:
        with self._lock:
            self._jobs[pid] = job_id

    def forget(self, pid: int) -> None:
        with self._lock:
            self._jobs.pop(pid, None)

    def job_of(self, pid: int) -> str | None:
        with self._lock:
            return self._jobs.get(pid)

    def identify(self, peer: Address, local: Address) -> Caller:
        """The process whose TCP socket `peer` is connected to our `local` address, trusted or not."""
        with self._lock:
            launched = dict(self._jobs)
        # Our own tasks first: cheap (one process's sockets each) and always permitted, even unprivileged.
        for pid, job_id in launched.items():
            if _owns_socket(pid, peer, local):
                return Caller(pid, _name_of(pid), job_id)
        owner = _find_owner(peer, local)
        return Caller(owner, _name_of(owner) if owner is not None else "unknown", None)


def _matches(conn: object, peer: Address, local: Address) -> bool:
    laddr, raddr = getattr(conn, "laddr", None), getattr(conn, "raddr", None)
    if not laddr or not raddr:
        return False
    return (laddr[0], laddr[1]) == (peer[0], peer[1]) and raddr[1] == local[1]


def _owns_socket(pid: int, peer: Address, local: Address) -> bool:
    try:
        process = psutil.Process(pid)
        connections = process.net_connections(kind="tcp")
    except (psutil.Error, OSError):
        return False
    return any(_matches(conn, peer, local) for conn in connections)


def _find_owner(peer: Address, local: Address) -> int | None:
    try:
        connections = psutil.net_connections(kind="tcp")
    except (psutil.Error, OSError):
        return None  # macOS without privileges: the caller stays unidentified (and untrusted)
    for conn in connections:
        if _matches(conn, peer, local) and conn.pid is not None:
            return int(conn.pid)
    return None


def _name_of(pid: int) -> str:
    try:
        return str(psutil.Process(pid).name())
    except (psutil.Error, OSError):
        return "exited"
