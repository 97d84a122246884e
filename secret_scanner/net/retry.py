"""The one retry helper: exponential backoff (0.25 s doubling to 2 s) within a deadline.

Both the Plugin Settings call (403 while the agent registers our process) and the first MQTT connection
(refused for the same reason) race the agent right after start. They retry the same way, so a change to the
backoff reaches both.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

FIRST_DELAY_SECONDS = 0.25
MAX_DELAY_SECONDS = 2.0


def backoff_delays(retry_seconds: float, clock: Callable[[], float] = time.monotonic) -> Iterator[float]:
    """The delays to sleep between attempts, ending when the next one would pass `retry_seconds` from now.

    The deadline starts at this call, before the first attempt. Use: attempt; `delay = next(delays, None)`;
    stop when it is None, else sleep(delay) and attempt again.
    """
    return _delays_until(clock() + retry_seconds, clock)


def _delays_until(deadline: float, clock: Callable[[], float]) -> Iterator[float]:
    delay = FIRST_DELAY_SECONDS
    while clock() + delay <= deadline:
        yield delay
        delay = min(delay * 2, MAX_DELAY_SECONDS)
