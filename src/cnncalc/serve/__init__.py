"""``cnncalc serve``: a local page to edit a network and see its table, diagram and explanations as you type.

A thin interface (design §1): the standard library's HTTP server, a fixed set of routes, and worker processes
that call the core and the renderers within a deadline. See docs/serve.md for the stack and the security
model. ``serving(...)`` runs one in a background thread (for tests and notebooks):

>>> with serving(port=0) as server:
...     server.url.startswith("http://127.0.0.1:")
True
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..sources import Request
from .security import Hosts
from .server import App, Server
from .start import load_start
from .worker import Workers

__all__ = ["Running", "serving"]


@dataclass(frozen=True)
class Running:
    """A server running in a background thread: its URL and the server object."""

    url: str
    server: Server


@contextmanager
def serving(source: str | None = None, *, port: int = 0, timeout: float = 5.0, workers: int = 1,
            request: Request | None = None) -> Iterator[Running]:
    """Serve ``source`` (as ``cnncalc serve NET``) on 127.0.0.1:port in a thread; stopped on exit."""
    start = load_start(source, request or Request())
    with Workers(size=workers, timeout=timeout) as pool:
        server = Server(("127.0.0.1", port), lambda p: App(Hosts(p), start, pool))
        thread = threading.Thread(target=server.serve_forever, name="cnncalc-serve", daemon=True)
        thread.start()
        try:
            yield Running(f"http://127.0.0.1:{server.server_address[1]}/", server)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)
