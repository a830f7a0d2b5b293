"""A quiet progress note on stderr for slow steps (importing torch, tracing a model).

``with progress("importing torch"):`` prints ``cnncalc: importing torch…`` on stderr only when stderr is a
terminal and the step is still running after ``delay`` seconds (a thread timer); when the step ends the
note is erased. Piped and redirected stderr
never sees anything, so scripts and CI logs stay clean. Standard library only.

>>> import io
>>> with progress("fast step", stream=io.StringIO()):  # not a terminal: silent
...     pass
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

#: seconds a step may take before a note is shown
DELAY = 1.0


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class _Note:
    """The note's state: shown or not, guarded by a lock so that the timer and the caller never interleave."""

    def __init__(self, label: str, stream: IO[str]) -> None:
        import threading  # only when a note may be shown (a terminal): a plain run never starts a thread

        self.label, self.stream = label, stream
        self.lock = threading.Lock()
        self.shown = False
        self.done = False

    def show(self) -> None:
        with self.lock:
            if self.done:
                return
            self._write(f"cnncalc: {self.label}…")
            self.shown = True

    def finish(self) -> None:
        with self.lock:
            self.done = True
            if self.shown:  # erase the line: carriage return, clear to end of line
                self._write("\r\033[K")

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # stderr closed: progress is never worth an error
            pass


@contextmanager
def progress(label: str, stream: IO[str] | None = None, delay: float = DELAY,
             force: bool = False) -> Iterator[None]:
    """Show ``cnncalc: LABEL…`` on ``stream`` (stderr) if the block takes longer than ``delay`` seconds.

    Nothing is shown unless the stream is a terminal (``force=True`` overrides, for tests).
    """
    out = sys.stderr if stream is None else stream
    if not (force or _is_terminal(out)):
        yield
        return
    import threading

    note = _Note(label, out)
    timer = threading.Timer(delay, note.show)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        note.finish()
