import asyncio
import time
from datetime import UTC, datetime

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


def test_rejects_non_positive_scale():
    with pytest.raises(ValueError, match="positive"):
        Clock(time_scale=0)


def test_timestamps_round_trip():
    moment = datetime(2026, 11, 26, 12, 0, 5, tzinfo=UTC)
    text = format_timestamp(moment)
    assert text == "2026-11-26T12:00:05Z"
    assert parse_timestamp(text) == moment
