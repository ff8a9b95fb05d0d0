"""Primary keys for rows written at a high rate."""

from __future__ import annotations

import os
import time
import uuid

_48_BITS = (1 << 48) - 1
_62_BITS = (1 << 62) - 1


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562, version 7): 48 bits of Unix milliseconds, then 74 random bits.

    Messages get these instead of version 4: a random key lands on a random leaf of a million-entry primary key
    index (a page to read and dirty per insert), a time-ordered one on its right edge, which stays in memory.
    Still 122 bits that clients cannot guess or enumerate from one another, and the same UUID type and text.
    """
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")  # 80 bits, 74 of them used
    rand_a = (rand >> 62) & 0xFFF
    rand_b = rand & _62_BITS
    return uuid.UUID(int=(millis & _48_BITS) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b)


# An id as a request names it: a UUID (path converters), or text from a body or a query (text that is not a UUID is
# an unknown id: 404). Services and selectors take these and parse them once (chats.selectors.parse_uuid).
AnyId = uuid.UUID | str
