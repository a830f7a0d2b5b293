"""``cnncalc serve [NET]``: the local live editor (see docs/serve.md).

    cnncalc serve                          the article's network, at http://127.0.0.1:8000/
    cnncalc serve net.cnn --port 0         a free port, printed on start
    cnncalc serve torchvision:resnet18 --input 1x3x224x224    a model's result, read-only

Exit status 0 when stopped with Ctrl-C, 2 on a user error (a bad port, a port in use, a host refused, NET
unreadable): a message, never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import socket
import sys
import threading
import webbrowser
from typing import NoReturn

from ..console import write
from ..errors import CnnCalcError
from ..sources import Request, parse_kwargs
from .security import Hosts, is_loopback, machine_names
from .server import App, Server
from .start import load_start
from .worker import Workers

EPILOG = """\
examples:
  cnncalc serve                        the article's network at http://127.0.0.1:8000/
  cnncalc serve net.cnn --port 0       start from net.cnn (never written back), on a free port
  cnncalc serve zoo:resnet50 --open    open the page in the browser
  cnncalc serve torchvision:resnet18 --input 1x3x224x224   a model's result, read-only
  cnncalc serve --host 0.0.0.0 --allow-remote   reachable from other machines (a warning is printed)
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"cnncalc serve: error: {message}\n  hint: see `cnncalc serve --help`\n")


def _port(text: str) -> int:
    value = int(text) if text.isdigit() and len(text) < 7 else -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a whole number from 0 to 65535 (0: a free one), got {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.1 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"expected seconds from 0.1 to 3600, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="cnncalc serve", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
                description="A local page: edit a network and see its table, diagram and explanations as you "
                "type; check a claimed table; solve for a kernel, stride or padding.")
    p.add_argument("source", nargs="?", metavar="NET",
                   help="a .cnn or .json file, zoo:NAME, '-' (stdin), or a model reference (read-only)")
    p.add_argument("--port", type=_port, default=8000, help="port (default 8000; 0: a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow a --host other machines can reach (the page has no login: anyone who reaches it "
                   "can use it)")
    p.add_argument("--timeout", type=_seconds, default=5.0, help="seconds an analysis may take (default 5)")
    p.add_argument("--workers", type=int, choices=range(1, 9), default=2, metavar="N",
                   help="worker processes (1-8, default 2)")
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    p.add_argument("--verbose", action="store_true", help="log every request on stderr")
    t = p.add_argument_group("a model named as NET (as for `cnncalc NET`)")
    t.add_argument("--input", action="append", metavar="SHAPE", help="an input's shape with batch, e.g. 1x3x224x224")
    t.add_argument("--kwargs", metavar="JSON", help="keyword arguments for the model's factory, as a JSON object")
    t.add_argument("--depth", type=int, metavar="N", help="show module rows down to this nesting depth")
    return p


def _check_host(host: str, allow_remote: bool) -> None:
    if is_loopback(host):
        return
    if not allow_remote:
        raise CnnCalcError(
            f"--host {host} would let other machines reach the page, which has no login",
            hint=f"add --allow-remote if that is what you want (cnncalc serve --host {host} --allow-remote)",
        )
    write(sys.stderr, f"cnncalc serve: warning: listening on {host}: any machine that can reach it can use the "
          "page (no login; it runs nothing the page sends, and analyses are time- and memory-bounded)\n",
          "standard error")


def bind(host: str, port: int, app_factory: object) -> Server:
    """The server bound to host:port, or a CnnCalcError saying why not (in use, not allowed, unknown host)."""
    try:
        return Server((host, port), app_factory)
    except socket.gaierror as err:
        raise CnnCalcError(f"cannot listen on {host}: unknown host ({err.strerror})",
                           hint="give an address such as 127.0.0.1") from None
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise CnnCalcError(f"port {port} on {host} is in use (another program, or another cnncalc serve)",
                               hint="choose another with --port N, or --port 0 for a free one") from None
        if err.errno == errno.EACCES:
            raise CnnCalcError(f"not allowed to listen on port {port}",
                               hint="ports below 1024 need privileges; use --port 8000 or --port 0") from None
        raise CnnCalcError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None


def url_of(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else (f"[{host}]" if ":" in host else host)
    return f"http://{shown}:{port}/"


def main(argv: list[str]) -> int:
    """Run ``cnncalc serve`` with the arguments after the subcommand; returns the exit status."""
    a = build_parser().parse_args(argv)
    _check_host(a.host, a.allow_remote)
    request = Request(inputs=tuple(a.input) if a.input else None, kwargs=parse_kwargs(a.kwargs), depth=a.depth)
    start = load_start(a.source, request)
    names = machine_names() if a.allow_remote else frozenset()
    # bound first, so that a port in use is said before any worker starts
    server = bind(a.host, a.port, lambda port: App(Hosts(port, a.allow_remote, names), start,
                                                   Workers(size=a.workers, timeout=a.timeout), a.verbose))
    try:
        with server:
            return _run(server, a)
    finally:
        server.app.workers.close()


def _run(server: Server, a: argparse.Namespace) -> int:
    url = url_of(a.host, server.server_address[1])
    write(sys.stdout, f"cnncalc serve: {server.app.start.label} at {url}  (Ctrl-C to stop)\n")
    sys.stdout.flush()
    if a.open:
        threading.Timer(0.3, webbrowser.open, (url,)).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        write(sys.stderr, "cnncalc serve: stopped\n", "standard error")
    return 0
