import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from clusters.embedded.clock import Clock, format_timestamp, parse_timestamp


def test_time_scale_divides_durations():
    clock = Clock(time_scale=60)
    assert clock.real_seconds(300) == pytest.approx(5.0)
    start = time.monotonic()
    asyncio.run(clock.sleep(6))  # 6 cluster seconds = 0.1 s real
    elapsed = time.monotonic() - start
    assert 0.09 <= elapsed < 1.0


def test_cluster_time_runs_faster_than_wall_time():
    clock = Clock(time_scale=100)
    before = clock.monotonic()
    time.sleep(0.05)
    assert clock.monotonic() - before >= 4.5


def test_timestamps_stay_wall_clock_but_elapsed_is_warped():
    clock = Clock(time_scale=60)
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 1
    stamp = clock.stamp()
    time.sleep(0.1)
    assert 5.5 <= clock.elapsed_since(stamp) < 30  # 0.1 s real = 6 cluster seconds
    assert clock.remaining(300, stamp) == pytest.approx(300 - clock.elapsed_since(stamp), abs=1)


def test_warped_stamps_carry_milliseconds_and_plain_ones_do_not():
    assert "." in Clock(time_scale=60).stamp()
    assert "." not in Clock().stamp()


def test_deadline_is_a_wall_clock_instant_scaled():
    clock = Clock(time_scale=10)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert clock.deadline(30, since=start) == start + timedelta(seconds=3)


def test_rejects_non_positive_scale():
    with pytest.raises(ValueError, match="positive"):
        Clock(time_scale=0)


def test_timestamps_round_trip():
    moment = datetime(2026, 11, 26, 12, 0, 5, tzinfo=UTC)
    text = format_timestamp(moment)
    assert text == "2026-11-26T12:00:05Z"
    assert parse_timestamp(text) == moment
    assert format_timestamp(moment, millis=True) == "2026-11-26T12:00:05.000Z"
