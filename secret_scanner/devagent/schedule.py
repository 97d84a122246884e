"""Triggers: the Startup event once, then each job's interval timer, on a time scale a person can watch.

As on the agent, the interval counts from when the scheduler starts, not from the end of the Startup run, and
runs are independent: a Startup run and an interval run of the same job can overlap. `time_scale` divides
the interval only (720 turns "every 120 minutes" into every 10 seconds); task timeouts stay real, because a
scan does not speed up. Cron, one-time and calendar schedules are not simulated; the view says so.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from secret_scanner.devagent.jobfile import Job
from secret_scanner.devagent.launcher import Runner, RunRecord

STARTUP = "Startup"


@dataclass(frozen=True)
class Plan:
    """How long to keep firing: `once` (Startup only), a count of interval runs per job, a wall-clock limit."""

    time_scale: float = 1.0
    once: bool = False
    interval_runs: int | None = None
    duration_seconds: float | None = None

    def interval_seconds(self, job: Job) -> float | None:
        if job.interval_minutes is None:
            return None
        return job.interval_minutes * 60.0 / self.time_scale


class Scheduler:
    """Fires triggers into the runner and collects every run's record."""

    def __init__(self, runner: Runner, jobs: Sequence[Job], plan: Plan, notice: Callable[[str], None]) -> None:
        self.runner = runner
        self.jobs = jobs
        self.plan = plan
        self.notice = notice
        self.stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def run(self) -> list[RunRecord]:
        """Fire until the plan is done or `stop` is set; returns the records in completion order."""
        started = time.monotonic()
        for job in self.jobs:
            if job.schedule_mode not in (None, "intervalMinutes"):
                self.notice(f"{job.id}: schedule {job.schedule_mode} is not simulated; only Startup fires here")
            if job.fires_on_startup:
                self._fire(job, STARTUP)
            elif self.plan.once:
                self.notice(f"{job.id}: no Startup event, so --once runs nothing for it")
        timers: list[threading.Thread] = []
        if not self.plan.once:
            for job in self.jobs:
                interval = self.plan.interval_seconds(job)
                if interval is not None:
                    self.notice(f"{job.id}: every {job.interval_minutes} min, scaled x{self.plan.time_scale:g} "
                                f"to every {interval:g} s")
                    timer = threading.Thread(target=self._tick, args=(job, interval, started), daemon=True)
                    timer.start()
                    timers.append(timer)
        deadline = None if self.plan.duration_seconds is None else started + self.plan.duration_seconds
        while not self.stop.is_set():
            if deadline is not None and time.monotonic() >= deadline:
                self.notice(f"{self.plan.duration_seconds:g} s passed: stopping every running task")
                self.runner.stop_all()
                break
            if not any(t.is_alive() for t in timers) and not self._busy():
                break  # every timer has done its count and every run has ended
            self.stop.wait(0.1)
        self.stop.set()
        for thread in self._snapshot():
            thread.join()
        return list(self.runner.records)

    def _tick(self, job: Job, interval: float, started: float) -> None:
        count = 0
        while self.plan.interval_runs is None or count < self.plan.interval_runs:
            count += 1
            if self.stop.wait(max(0.0, started + count * interval - time.monotonic())):
                return
            self._fire(job, f"interval #{count}")

    def _fire(self, job: Job, trigger: str) -> None:
        thread = threading.Thread(target=self.runner.run, args=(job, trigger), name=f"{job.id} {trigger}",
                                  daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _busy(self) -> bool:
        return any(thread.is_alive() for thread in self._snapshot())

    def _snapshot(self) -> list[threading.Thread]:
        with self._lock:
            return list(self._threads)
