"""The progress note on stderr: only on a terminal, only for slow steps, erased when done."""

from __future__ import annotations

import io
import threading
import time

from cnncalc.progress import progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_silent_when_not_a_terminal() -> None:
    out = io.StringIO()
    with progress("importing torch", stream=out, delay=0.0):
        time.sleep(0.05)
    assert out.getvalue() == ""


def test_silent_when_fast() -> None:
    out = Tty()
    with progress("importing torch", stream=out, delay=0.5):
        pass
    assert out.getvalue() == ""


def test_shown_when_slow_then_erased() -> None:
    out = Tty()
    shown = threading.Event()
    with progress("tracing the model", stream=out, delay=0.01):
        deadline = time.monotonic() + 5
        while "tracing" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        shown.set()
    assert out.getvalue() == "cnncalc: tracing the model…\r\033[K"


def test_errors_pass_through_and_a_closed_stream_is_ignored() -> None:
    out = Tty()
    out.close()
    try:
        with progress("x", stream=out, delay=0.0):
            time.sleep(0.02)
            raise KeyError("boom")
    except KeyError as err:
        assert "boom" in str(err)
