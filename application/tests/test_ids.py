from __future__ import annotations

import time
import uuid

from application.ids import uuid7


def test_uuid7_layout() -> None:
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert before <= value.int >> 80 <= after  # the first 48 bits are the Unix time in milliseconds


def test_uuid7_sorts_by_time_and_stays_unpredictable() -> None:
    first = uuid7()
    time.sleep(0.002)
    later = [uuid7() for _ in range(1000)]
    assert all(first < value for value in later)
    assert len(set(later)) == 1000
    # 74 random bits: values of the same millisecond differ well beyond the timestamp.
    assert len({value.int & ((1 << 62) - 1) for value in later}) == 1000
