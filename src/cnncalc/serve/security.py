"""Who may talk to the page's server: the Host header (DNS rebinding) and the Origin of writes (CSRF).

A page on another site can make a browser send requests to 127.0.0.1. Two checks stop it reading or driving
the server:

- **Host.** DNS rebinding points an attacker's name at 127.0.0.1, so the browser sends ``Host: evil.example``;
  only ``localhost``, ``127.0.0.1`` and ``[::1]`` with the server's own port are accepted. With
  ``--allow-remote`` an IP address literal (which no DNS answer can rebind) and this machine's own names are
  accepted as well.
- **Origin.** Every POST must carry an ``Origin`` that is this server (``http://`` + an accepted Host), and a
  JSON content type (which a cross-site form cannot send without a CORS preflight that the server never grants).

>>> hosts = Hosts(8000)
>>> hosts.host_ok("127.0.0.1:8000"), hosts.host_ok("localhost:8000"), hosts.host_ok("[::1]:8000")
(True, True, True)
>>> hosts.host_ok("evil.example:8000"), hosts.host_ok("127.0.0.1:8001"), hosts.host_ok(None)
(False, False, False)
>>> hosts.origin_ok("http://localhost:8000"), hosts.origin_ok("http://evil.example"), hosts.origin_ok("null")
(True, False, False)
>>> Hosts(8000, remote=True).host_ok("192.168.1.7:8000")
True
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")
#: the largest request body read (larger: 413)
MAX_BODY = 2**20


def split_host(value: str) -> tuple[str, int | None] | None:
    """'name:port' or '[v6]:port' → (name, port); None when malformed."""
    try:
        parts = urlsplit("//" + value)
        port = parts.port
    except ValueError:
        return None
    if parts.hostname is None or parts.username is not None or parts.path or parts.query:
        return None
    return parts.hostname.lower(), port


def is_loopback(host: str) -> bool:
    """True for names and addresses that stay on this machine."""
    if host.lower() in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def machine_names() -> frozenset[str]:
    """This machine's own names (accepted as Host only with --allow-remote)."""
    names = {socket.gethostname().lower()}
    with contextlib.suppress(OSError):
        names.add(socket.getfqdn().lower())
    return frozenset(n for n in names if n)


@dataclass(frozen=True)
class Hosts:
    """The Host values the server answers: its port, with loopback names (and more when remote is allowed)."""

    port: int
    remote: bool = False
    names: frozenset[str] = field(default_factory=frozenset)

    def name_ok(self, name: str) -> bool:
        if name in LOCAL_NAMES:
            return True
        return self.remote and (_is_ip(name) or name in self.names)

    def host_ok(self, value: str | None) -> bool:
        """The Host header names this server (an accepted name and the server's port)."""
        found = split_host(value) if value else None
        if found is None:
            return False
        name, port = found
        return port == self.port and self.name_ok(name)

    def origin_ok(self, value: str | None) -> bool:
        """The Origin header is this server's own page (http, an accepted name, the server's port)."""
        if not value or not value.startswith("http://"):
            return False
        return self.host_ok(value[len("http://"):])
