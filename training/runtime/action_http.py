"""One HTTP POST to an action server, the caller's place handed on only while it waits.

A turn holds its process's place (``training.serving``'s gate) while it computes and gives it
to another turn while it waits on the action server. Handing it on and taking it back costs
two thread switches, so a connection that is made or refused at once (a server on this
machine, named by address or as ``localhost``) is made without: only a connection still in
progress after the first try, or to a name that may need a DNS lookup, or over TLS, and the
wait for the answer happen inside ``while_waiting``."""

from __future__ import annotations

import contextlib
import errno
import http.client
import ipaddress
import os
import select
import socket
import urllib.parse
from collections.abc import Callable
from contextlib import AbstractContextManager

Waiting = Callable[[], AbstractContextManager[object]]

# names that resolve without the network (RFC 6761); anything else may wait on DNS
_LOCAL_NAMES = frozenset({"localhost"})


def post_json(
    url: str, body: bytes, *, timeout: float, while_waiting: Waiting = contextlib.nullcontext
) -> tuple[int, bytes]:
    """The answer's status and body. Raises ``ValueError`` for a URL that is not http(s),
    ``TimeoutError`` when a step takes longer than ``timeout``, ``ConnectionError`` when the
    server refuses or drops the connection, other ``OSError`` and ``http.client.HTTPException``
    for the rest."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    connection_class = http.client.HTTPSConnection if secure else http.client.HTTPConnection
    connection = connection_class(parts.hostname, port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        if not secure and _resolves_locally(parts.hostname):
            connection.sock = _connected_at_once(parts.hostname, port, timeout)
        if connection.sock is None:  # connecting may take a while: wait elsewhere from the start
            with while_waiting():
                connection.connect()
                _send(connection, target, body)
                return _answer(connection)
        _send(connection, target, body)
        with while_waiting():
            return _answer(connection)
    finally:
        connection.close()


def _send(connection: http.client.HTTPConnection, target: str, body: bytes) -> None:
    headers = {"Content-Type": "application/json", "Connection": "close"}
    connection.request("POST", target, body, headers)


def _answer(connection: http.client.HTTPConnection) -> tuple[int, bytes]:
    answer = connection.getresponse()
    return answer.status, answer.read()


def _resolves_locally(host: str) -> bool:
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _connected_at_once(host: str, port: int, timeout: float) -> socket.socket | None:
    """A socket connected to ``host`` if the connection is made at once, None if it is still in
    progress (the caller connects again, waiting elsewhere); raises the last address's error
    (``ConnectionRefusedError``, ...) when none could be connected."""
    failed: OSError | None = None
    for family, kind, protocol, _name, address in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    ):
        sock = socket.socket(family, kind, protocol)
        try:
            sock.setblocking(False)
            code = sock.connect_ex(address)
            if code == errno.EINPROGRESS:
                poll = select.poll()
                poll.register(sock, select.POLLOUT)
                if not poll.poll(0):
                    sock.close()
                    return None
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code == 0:
                sock.settimeout(timeout)
                return sock
            failed = OSError(code, os.strerror(code))  # its subclass: ConnectionRefusedError, ...
        except BaseException:
            sock.close()
            raise
        sock.close()
    raise failed or OSError(f"{host} has no address")
