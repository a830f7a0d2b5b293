"""The page's HTTP server: standard library ``ThreadingHTTPServer``, a fixed set of routes, security checks first.

Routes: ``GET /`` (the page), ``GET /static/NAME`` (a fixed list of files shipped in the package),
``GET /api/start`` (what the editor starts with), ``POST /api/analyze|formulas|check|solve`` (JSON in, JSON out,
each answered by a worker process within the deadline). Every request's Host is checked, every POST's Origin and
content type, and bodies over 1 MB are refused (413) before they are read. The server's only state is its
``App``: settings fixed at start-up and the worker pool; nothing the page sends is run or opened, and only the
workers keep their last two analyses (to answer a row's formulas without analysing again).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from ..errors import CnnCalcError
from .security import MAX_BODY, Hosts
from .start import Start
from .views import PARTS
from .worker import Workers

#: the page's files: URL name → (package file, content type); nothing else is ever read for a request
STATIC = {
    "app.js": ("app.js", "text/javascript; charset=utf-8"),
    "app.css": ("app.css", "text/css; charset=utf-8"),
}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}
#: conventions the page may choose (the core checks the values too)
LAYOUTS = ("hwc", "chw")


@dataclass(frozen=True)
class App:
    """Everything the server knows, fixed at start-up."""

    hosts: Hosts
    start: Start
    workers: Workers
    verbose: bool = False


def static_file(name: str) -> bytes:
    """A page file shipped in the package (only names of STATIC)."""
    return resources.files("cnncalc.serve").joinpath("static", STATIC[name][0]).read_bytes()


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app_factory: Any) -> None:
        super().__init__(address, Handler)
        self.app: App = app_factory(self.server_address[1])


class Handler(BaseHTTPRequestHandler):
    server: Server
    server_version = "cnncalc"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    @property
    def app(self) -> App:
        return self.server.app

    def log_message(self, format: str, *args: Any) -> None:
        if self.app.verbose:
            sys.stderr.write(f"cnncalc serve: {self.address_string()} {format % args}\n")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        for key, value in HEADERS.items():
            self.send_header(key, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, value: Any) -> None:
        self._send(status, json.dumps(value, ensure_ascii=False).encode(), "application/json; charset=utf-8")

    def _refuse(self, status: HTTPStatus, message: str) -> None:
        self._json(status, {"ok": False, "errors": [{"line": None, "column": None, "message": message}]})

    def _host_ok(self) -> bool:
        if self.app.hosts.host_ok(self.headers.get("Host")):
            return True
        self._refuse(HTTPStatus.FORBIDDEN, "this server answers only requests for localhost with its own port "
                     "(Host header refused: DNS rebinding protection)")
        return False

    def do_GET(self) -> None:
        if not self._host_ok():
            return
        path = self.path.split("?", 1)[0]
        if path == "/":
            self._send(HTTPStatus.OK, static_file_page(), "text/html; charset=utf-8")
        elif path.startswith("/static/") and path[len("/static/"):] in STATIC:
            name = path[len("/static/"):]
            self._send(HTTPStatus.OK, static_file(name), STATIC[name][1])
        elif path == "/api/start":
            self._json(HTTPStatus.OK, self.app.start.view())
        else:
            self._refuse(HTTPStatus.NOT_FOUND, f"no such page: {path[:200]}")

    do_HEAD = do_GET

    def _body(self) -> dict[str, Any] | None:
        """The POST's JSON object, after the Origin, content type and size checks (None: already answered)."""
        if not self.app.hosts.origin_ok(self.headers.get("Origin")):
            self._refuse(HTTPStatus.FORBIDDEN, "writes are accepted only from this server's own page (Origin)")
            return None
        if self.headers.get_content_type() != "application/json":
            self._refuse(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send JSON (Content-Type: application/json)")
            return None
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._refuse(HTTPStatus.LENGTH_REQUIRED, "a Content-Length is required")
            return None
        if int(length) > MAX_BODY:
            self.close_connection = True  # the body is not read
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the request is larger than {MAX_BODY:,} bytes")
            return None
        try:
            value = json.loads(self.rfile.read(int(length)).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            value = None
        if not isinstance(value, dict):
            self._refuse(HTTPStatus.BAD_REQUEST, "the request is not a JSON object")
            return None
        return value

    def do_POST(self) -> None:
        if not self._host_ok():
            return
        path = self.path.split("?", 1)[0]
        route = {"/api/analyze": _analyze_args, "/api/formulas": _formulas_args, "/api/check": _check_args,
                 "/api/solve": _solve_args}.get(path)
        if route is None:
            self._refuse(HTTPStatus.NOT_FOUND, f"no such endpoint: {path[:200]}")
            return
        body = self._body()
        if body is None:
            return
        try:
            task, args = route(body)
            if task in ("analyze", "formulas") and self.app.start.readonly:
                raise CnnCalcError("this page shows a model named on the command line: it is read-only")
            value = self.app.workers.call(task, *args)
        except CnnCalcError as err:
            value = {"ok": False, "errors": [{"line": None, "column": None, "message": str(err)}]}
        self._json(HTTPStatus.OK, value)


def static_file_page() -> bytes:
    return resources.files("cnncalc.serve").joinpath("static", "index.html").read_bytes()


def _text(body: dict[str, Any], key: str, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise CnnCalcError(f"'{key}' must be text")
    return value


def _int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 40:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise CnnCalcError(f"'{key}' must be a whole number, got {str(value)[:40]!r}")
    return value


def _analyze_args(body: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    layout = body.get("layout") or None
    if layout is not None and layout not in LAYOUTS:
        raise CnnCalcError(f"layout must be one of {', '.join(LAYOUTS)}")
    dtype = _text(body, "dtype", required=False) or None
    part = body.get("part", "all")
    if part not in PARTS:
        raise CnnCalcError(f"part must be one of {', '.join(PARTS)}")
    return "analyze", (_text(body, "text"), layout, _int(body, "batch"), dtype, part)


def _formulas_args(body: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    _, (text, layout, batch, dtype, _part) = _analyze_args({**body, "part": "table"})
    row = _int(body, "row")
    if row is None:
        raise CnnCalcError("row must be given: the index of a row of the table")
    return "formulas", (text, layout, batch, dtype, row)


def _check_args(body: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    return "check", (_text(body, "table"), _text(body, "network", required=False))


SOLVE_FIELDS = ("input", "output", "kernel", "stride", "padding", "dilation", "max_kernel")


def _solve_args(body: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    mode = body.get("mode", "size")
    if mode not in ("size", "same", "undo"):
        raise CnnCalcError("mode must be size, same or undo")
    values = {k: v for k in SOLVE_FIELDS if (v := _int(body, k)) is not None}
    needed = {"size": ("input", "output"), "same": ("kernel",), "undo": ("input", "kernel")}[mode]
    missing = [k for k in needed if k not in values]
    if missing:
        raise CnnCalcError(f"give {' and '.join(missing)}")
    return "solve", (mode, values)
