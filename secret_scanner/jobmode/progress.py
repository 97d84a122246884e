"""Progress events in job mode: files, bytes and findings so far on the job's event topic, at a bounded rate.

The scan loop reports after every file; this sink publishes at most one event per `interval_seconds`
(default 30 s) and never waits for the broker: a progress event that is lost costs nothing, the "completed"
event follows anyway.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from secret_scanner.engine.ports import Progress
from secret_scanner.jobmode import messages as message

DEFAULT_INTERVAL_SECONDS = 30.0


class JobProgress:
    def __init__(self, interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval_seconds = interval_seconds
        self._clock = clock
        self._send: Callable[[Mapping[str, object]], None] | None = None
        self._job_id = self._run_id = ""
        self._last = 0.0
        self.sent = 0

    def attach(self, job_id: str, run_id: str, send: Callable[[Mapping[str, object]], None]) -> None:
        """Start publishing through `send` (the run's event publisher); until then updates are dropped."""
        self._job_id, self._run_id, self._send = job_id, run_id, send
        self._last = self._clock()

    def detach(self) -> None:
        self._send = None

    def update(self, progress: Progress) -> None:
        if self._send is None:
            return
        now = self._clock()
        if now - self._last < self.interval_seconds:
            return
        self._last = now
        self.sent += 1
        self._send(message.progress_event(self._job_id, self._run_id, progress.files, progress.bytes,
                                          progress.findings, progress.elapsed_seconds))
