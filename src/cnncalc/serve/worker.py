"""Time-bounded work: every analysis, check and solve runs in a worker process that is killed past its deadline.

Why processes and not threads: the core is pure Python, and a thread cannot be stopped from outside; a deadline
check inside it would need hooks all through the core. A process can be killed at its deadline whatever it is
doing, and its memory is capped (``RLIMIT_AS``) so that one text cannot exhaust the machine. Workers are
started once with the core and the renderers imported, so a request costs a pipe round trip (well under 1 ms
for a 200-layer network's views), not an interpreter start. A killed or crashed worker is replaced.

Only names from ``TASKS`` can be asked for, with plain values (text, numbers): nothing the page sends is run.

>>> with Workers(size=1, timeout=30) as workers:
...     workers.call("analyze", "input 4x4x1\\nd: dense 2")["ok"]
True
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any

from ..errors import CnnCalcError

#: the calls a worker answers, by name → "module:function" (imported in the worker)
TASKS = {"analyze": "analysis_view", "formulas": "formulas_view", "check": "check_view", "solve": "solve_view"}
#: seconds a new worker may take to start (import the core and the renderers) before it is given up
STARTUP_TIMEOUT = 60.0
#: bytes of address space a worker may use (a 16,000-layer network needs about 1 GB)
MEMORY_LIMIT = 4 * 2**30


class AnalysisTimeout(CnnCalcError):
    """A request ran past its deadline; its worker was stopped."""


class Busy(CnnCalcError):
    """Every worker stayed busy for the whole deadline."""


def _limit_memory(limit: int | None) -> None:
    if limit is None:
        return
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _serve(conn: Connection, memory_limit: int | None) -> None:  # pragma: no cover - runs in the child
    """The worker's loop: receive (task, args), answer ("ok", value) or ("error", message)."""
    _limit_memory(memory_limit)
    from . import views

    tasks: dict[str, Callable[..., Any]] = {name: getattr(views, fn) for name, fn in TASKS.items()}
    views.analysis_view("input 8x8x3\nc: conv 4 f=3")  # warm the caches before the first request
    conn.send(("ready", None))
    while True:
        try:
            name, args = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            conn.send(("ok", tasks[name](*args)))
        except MemoryError:
            conn.send(("error", "the analysis needed more memory than a worker may use"))
        except Exception as err:  # a bug in cnncalc: one line back to the page, not a dead worker
            conn.send(("error", f"internal error: {type(err).__name__}: {err}"))


class _Worker:
    def __init__(self, context: Any, memory_limit: int | None) -> None:
        self.conn, child = multiprocessing.Pipe()
        self.process: BaseProcess = context.Process(target=_serve, args=(child, memory_limit), daemon=True,
                                                    name="cnncalc-serve-worker")
        self.process.start()
        child.close()
        self.ready = False

    def wait_ready(self) -> None:
        """Wait for the start-up message (the imports are not the request's time)."""
        if not self.ready:
            if not self.conn.poll(STARTUP_TIMEOUT):
                raise OSError("the worker did not start")
            self.conn.recv()
            self.ready = True

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(2)
        self.conn.close()


class Workers:
    """A small pool of worker processes; ``call`` answers within ``timeout`` seconds or raises AnalysisTimeout."""

    def __init__(self, size: int = 2, timeout: float = 5.0, memory_limit: int | None = MEMORY_LIMIT) -> None:
        self.timeout = timeout
        self._memory = memory_limit
        self._context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        for _ in range(size):
            self._idle.put(self._start())

    def _start(self) -> _Worker:
        worker = _Worker(self._context, self._memory)
        with self._lock:
            self._all.append(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            self._all.remove(worker)
        self._idle.put(self._start())

    def call(self, task: str, *args: Any) -> Any:
        """Run ``task`` (a name of TASKS) with ``args`` in a worker, within the deadline."""
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}")
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise Busy(f"every worker stayed busy for {self.timeout:g} s", hint="try again in a moment") from None
        try:
            worker.wait_ready()
            worker.conn.send((task, args))
            if not worker.conn.poll(self.timeout):
                self._retire(worker)
                raise AnalysisTimeout(
                    f"stopped after {self.timeout:g} s: the analysis took too long",
                    hint="a network this large is better analysed with `cnncalc FILE`; "
                    "`cnncalc serve --timeout S` allows more time")
            status, value = worker.conn.recv()
        except (EOFError, OSError):
            self._retire(worker)
            raise CnnCalcError("the worker stopped unexpectedly (out of memory?)",
                               hint="a smaller network, or `cnncalc FILE` on the command line") from None
        self._idle.put(worker)
        if status != "ok":
            raise CnnCalcError(str(value))
        return value

    def close(self) -> None:
        with self._lock:
            workers, self._all = self._all, []
        for w in workers:
            w.stop()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
