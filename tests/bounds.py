"""A per-example bound on time and memory for tests of hostile input: a hang or a blow-up is a failure.

``bounded(seconds, megabytes)`` runs a block under two alarms — ``seconds`` of the process's CPU time (SIGPROF:
work that runs away) and ``WALL_FACTOR`` times that of wall-clock time (SIGALRM: a block that waits forever, e.g.
on a FIFO) — and measures its peak allocation with tracemalloc; any bound exceeded fails the test. The CPU bound
is the one that matters for work: it does not fire because other jobs share the machine or the process was paused
(a wall-clock bound alone did, on a shared 2-core machine).
"""

from __future__ import annotations

import signal
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

#: the wall-clock bound, as a multiple of the CPU bound
WALL_FACTOR = 6


class TooSlow(BaseException):
    """Raised inside the block when its time is up (a BaseException: no `except Exception` swallows it)."""


@contextmanager
def bounded(seconds: float = 5.0, megabytes: float = 200.0) -> Iterator[None]:
    def cpu(signum: int, frame: FrameType | None) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0.5)  # again, should this one land where it is swallowed (a GC callback)
        raise TooSlow(f"took more than {seconds} s of CPU time")

    def wall(signum: int, frame: FrameType | None) -> None:
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        raise TooSlow(f"took more than {seconds * WALL_FACTOR} s of wall-clock time (waiting for something?)")

    previous = signal.signal(signal.SIGPROF, cpu), signal.signal(signal.SIGALRM, wall)
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    tracemalloc.reset_peak()
    signal.setitimer(signal.ITIMER_PROF, seconds)
    signal.setitimer(signal.ITIMER_REAL, seconds * WALL_FACTOR)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGPROF, previous[0])
        signal.signal(signal.SIGALRM, previous[1])
        peak = tracemalloc.get_traced_memory()[1]
        if started:
            tracemalloc.stop()
    assert peak <= megabytes * 2**20, f"allocated {peak / 2**20:.0f} MiB, more than {megabytes} MiB"
