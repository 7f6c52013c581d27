"""Poll intervals grow while nothing changes; backoff grows, jitters and honours Retry-After."""

from __future__ import annotations

import random

from tui.jobs.polling import PollPolicy


def test_interval_resets_on_change_and_grows_to_the_ceiling():
    policy = PollPolicy(fast=1.0, slow=5.0, growth=2.0)
    assert policy.next_interval(4.0, changed=True) == 1.0
    steps = [1.0]
    for _ in range(5):
        steps.append(policy.next_interval(steps[-1], changed=False))
    assert steps == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


def test_backoff_is_exponential_with_jitter_and_capped():
    policy = PollPolicy(backoff_base=1.0, backoff_max=8.0)
    rng = random.Random(1)
    for failures, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 8.0)]:
        delays = {policy.backoff(failures, rng=rng) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered


def test_backoff_waits_at_least_retry_after():
    policy = PollPolicy(backoff_base=1.0)
    assert policy.backoff(1, retry_after=7.5) == 7.5
