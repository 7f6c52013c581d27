"""How often to poll a job and how long to back off after a failure.

Frequent while a job trains and its loss curve moves, slower while nothing changes, never
for a finished job; exponential backoff with jitter after failures, and at least the
server's Retry-After after a 429.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise


@dataclass(frozen=True)
class PollPolicy:
    """Polling intervals in seconds."""

    fast: float = 2.0  # while a job changes between polls
    slow: float = 30.0  # ceiling while nothing changes
    growth: float = 1.5  # interval multiplier after a poll with no change
    backoff_base: float = 1.0  # first delay after a failure
    backoff_max: float = 60.0
    discover_every: float = 60.0  # how often to list the backend for jobs made elsewhere
    max_concurrency: int = 8  # requests in flight across all jobs
    focus: float = 0.75  # the training job on screen (`JobManager.focus`): a new point waits at most this

    def next_interval(self, current: float, changed: bool) -> float:
        """The wait before the next poll of a job that is still training."""
        if changed:
            return self.fast
        return min(self.slow, max(self.fast, current * self.growth))

    def on_beat(self, moment: float) -> float:
        """`moment` (seconds on the monotonic clock) moved to the nearest beat, a multiple of
        `fast`: the jobs whose reads fall due about the same time are read together, in one
        burst of requests and one update of the screen, instead of each at its own moment.
        A read moves by at most half a beat; one due a beat or more ahead stays ahead of now."""
        if self.fast <= 0:
            return moment
        return round(moment / self.fast) * self.fast

    def focus_wait(self, times: Sequence[datetime], now: datetime) -> float:
        """The wait before the next read of the job on screen, from the times of its last points.

        Its next point is due one step interval after the last one: it is read `focus` seconds
        after that, so a point on time waits at most `focus`, and every point that comes in the
        meantime is read along (a job with a point every 0.5 s is read once a second, not every
        `focus`). A point overdue, or a curve too short to tell its pace, is read every `focus`
        seconds; the wait never exceeds a step interval plus `focus` (a clock that runs behind
        the server's cannot make it longer).
        """
        if len(times) < 3:
            return self.focus
        gaps = sorted((later - earlier).total_seconds() for earlier, later in pairwise(times))
        step = gaps[len(gaps) // 4]  # the lower quartile: a point that comes early is not kept waiting
        if step <= 0:
            return self.focus
        due = (times[-1] - now).total_seconds() + step + self.focus
        return min(max(due, self.focus), step + self.focus)

    def backoff(self, failures: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        """Delay after `failures` consecutive failures: half fixed, half random ("equal jitter")."""
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** max(0, failures - 1))
        delay = ceiling / 2 + (rng or random).uniform(0, ceiling / 2)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay


# The app shows training progress at most this often (the Monitor's update pass): it polls
# training jobs no faster, since a faster poll would fetch what nobody sees yet, except the
# job selected on the Monitor (`focus`), whose curve is drawn as its points arrive. The CLI
# keeps the default policy, whose progress line redraws with every poll.
DISPLAY_INTERVAL_S = 5.0
APP_POLICY = PollPolicy(fast=DISPLAY_INTERVAL_S)
