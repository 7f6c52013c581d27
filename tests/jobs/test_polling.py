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


def test_reads_due_about_the_same_time_fall_on_one_beat():
    policy = PollPolicy(fast=5.0)
    # Jobs read at different moments, each due an interval later, are read together.
    dues = {policy.on_beat(read + 5.0) for read in (100.2, 101.4, 102.4, 97.6)}
    assert dues == {105.0}
    # A job read on the beat (a few milliseconds late) stays on it, one interval on.
    assert policy.on_beat(105.004 + 5.0) == 110.0
    # A longer interval (nothing changed) moves by at most half a beat, and stays ahead.
    for read in (100.0, 101.3, 102.49, 102.51, 104.9):
        due = policy.on_beat(read + 7.5)
        assert due % 5.0 == 0 and abs(due - (read + 7.5)) <= 2.5 and due > read


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


def test_the_job_on_screen_is_read_a_focus_after_its_next_point_is_due():
    from datetime import UTC, datetime, timedelta

    policy = PollPolicy(focus=0.85)
    start = datetime(2026, 11, 30, 12, tzinfo=UTC)
    every_half_second = [start + timedelta(seconds=0.5 * i) for i in range(8)]
    last = every_half_second[-1]
    # Read 0.1 s after the last point: the next is due 0.4 s later, then read 0.85 s after that.
    assert abs(policy.focus_wait(every_half_second, last + timedelta(seconds=0.1)) - 1.25) < 1e-9
    # Overdue (the next point should have come 0.2 s ago): read every `focus` until it comes.
    assert policy.focus_wait(every_half_second, last + timedelta(seconds=0.7)) == 0.85
    # Too few points to tell the pace, or points stamped at one moment: every `focus`.
    assert policy.focus_wait(every_half_second[:2], last) == 0.85
    assert policy.focus_wait([start] * 4, start) == 0.85
    # A slow job (a point a minute) is read once a minute, a focus after each point is due.
    slow = [start + timedelta(minutes=i) for i in range(5)]
    assert abs(policy.focus_wait(slow, slow[-1] + timedelta(seconds=1)) - 59.85) < 1e-9
    # Points stamped ahead of this clock cannot stretch the wait past a step plus a focus.
    assert policy.focus_wait(slow, slow[-1] - timedelta(minutes=10)) == 60.85


def test_a_point_that_comes_early_is_not_kept_waiting():
    from datetime import UTC, datetime, timedelta

    policy = PollPolicy(focus=0.85)
    start = datetime(2026, 11, 30, 12, tzinfo=UTC)
    gaps = [1.0, 0.4, 1.0, 1.0, 0.4, 1.0, 1.0, 0.4]  # irregular: the early ones set the pace
    times = [start]
    for gap in gaps:
        times.append(times[-1] + timedelta(seconds=gap))
    assert abs(policy.focus_wait(times, times[-1]) - (0.4 + 0.85)) < 1e-9
