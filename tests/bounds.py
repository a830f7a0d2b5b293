"""A per-example bound on time and memory for tests of hostile input: a hang or a blow-up is a failure.

``bounded(seconds, megabytes)`` runs a block with a wall-clock alarm (SIGALRM: the block is interrupted, not
waited for) and measures its peak allocation with tracemalloc; either bound exceeded fails the test.
"""

from __future__ import annotations

import signal
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class TooSlow(BaseException):
    """Raised inside the block when its time is up (a BaseException: no `except Exception` swallows it)."""


@contextmanager
def bounded(seconds: float = 5.0, megabytes: float = 200.0) -> Iterator[None]:
    def alarm(signum: int, frame: FrameType | None) -> None:
        raise TooSlow(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    tracemalloc.reset_peak()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        peak = tracemalloc.get_traced_memory()[1]
        if started:
            tracemalloc.stop()
    assert peak <= megabytes * 2**20, f"allocated {peak / 2**20:.0f} MiB, more than {megabytes} MiB"
