"""Server processes sharing one listening socket, each accepting connections only while it has
room for them.

With a listening socket per process (``SO_REUSEPORT``) the kernel hands each new connection to a
process by a hash of its addresses, busy or not: a message could wait behind another turn in one
process while the other process idled, each process a queue of its own. Here every process
watches the one shared socket, but only while fewer than ``room`` of its connections are busy (a
connection is busy from its accept, or from the first byte of a request on a kept-alive one,
until its response is complete); a full process leaves new connections in the kernel's queue,
one queue for all of them, to the first process with room. ``bench.ab_serve`` (servers of both
kinds up at once, loaded in turn, medians of the pairs' ratios), paced at 300 messages/s: p99
x0.59 on PostgreSQL and x0.47 on SQLite, p50 x0.79 and x0.85, CPU per message unchanged; back
to back on PostgreSQL 7% fewer messages/s (a process holding at most two requests hands each
over between its threads more often; room for 3 or 4 served 7-8% more than room for 2, with a
p50 11-14% longer at 300 messages/s).

A process that stays full for ``patience`` seconds with none of its connections done (slow
requests: a big export, a model loading, turns waiting on a slow action server) takes one more
connection, and one more after each further ``patience``; each connection done gives one of
these back. New connections do not wait on slow work forever when every process is full of it,
and a process that was once stuck does not keep a larger share afterwards. (Taking every
connection once impatient, the first version, was a trap: a process that lost patience while
loading its model took 30 of the bench's 32 connections and, never below its room again, kept
taking them, one queue in one process while the other idled.)
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

DEFAULT_PATIENCE_S = 0.5


class RoomAcceptor:
    """Accepts connections on the listening socket ``sock`` into protocols made by
    ``protocol_factory`` while fewer than ``room`` are busy. A connection counts as busy from
    its accept; its protocol says when it is ``idle`` and ``busy`` again (``RoomTelling``).
    Offers what uvicorn's shutdown uses of an ``asyncio.Server``: ``close``, ``wait_closed``."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sock: socket.socket,
        protocol_factory: Callable[[], asyncio.Protocol],
        room: int,
        patience: float = DEFAULT_PATIENCE_S,
    ) -> None:
        self._loop = loop
        self._sock = sock
        self._factory = protocol_factory
        self._room = max(1, room)
        self._patience = patience
        self.busy_count = 0
        self._watching = False
        self._extra = 0
        self._closed = False
        self._patience_timer: asyncio.TimerHandle | None = None
        self._connecting: set[asyncio.Task[object]] = set()
        sock.setblocking(False)

    @property
    def room(self) -> int:
        """The busy connections it takes now: its room, and one more for each time it lost
        patience that no connection has been done since."""
        return self._room + self._extra

    def start(self) -> None:
        self._update()

    def busy(self) -> None:
        """A kept-alive connection has a request again."""
        self.busy_count += 1
        self._update()

    def idle(self) -> None:
        """A connection's response is complete, or the connection is gone."""
        self.busy_count -= 1
        # one extra given back, and none kept beyond the connections held over the room
        self._extra = max(0, min(self._extra - 1, self.busy_count - self._room))
        self._cancel_patience()  # something got done: patience starts again
        self._update()

    def _update(self) -> None:
        if self.busy_count < self.room:
            self._cancel_patience()
            self._watch()
            return
        self._unwatch()
        if self._patience_timer is None and not self._closed:
            self._patience_timer = self._loop.call_later(self._patience, self._lose_patience)

    def _lose_patience(self) -> None:
        self._patience_timer = None
        self._extra += 1
        self._update()

    def _cancel_patience(self) -> None:
        if self._patience_timer is not None:
            self._patience_timer.cancel()
            self._patience_timer = None

    def _watch(self) -> None:
        if not self._watching and not self._closed:
            self._loop.add_reader(self._sock.fileno(), self._accept)
            self._watching = True

    def _unwatch(self) -> None:
        if self._watching:
            self._loop.remove_reader(self._sock.fileno())
            self._watching = False

    def _accept(self) -> None:
        while self._watching and self.busy_count < self.room:
            try:
                conn, _ = self._sock.accept()
            except (BlockingIOError, InterruptedError):  # another process took it
                return
            except OSError:  # out of descriptors, say: the connection stays queued
                return
            conn.setblocking(False)
            self.busy_count += 1
            connecting = self._loop.create_task(
                self._loop.connect_accepted_socket(self._factory, conn)
            )
            self._connecting.add(connecting)
            connecting.add_done_callback(self._connected)
            self._update()

    def _connected(self, task: asyncio.Task[object]) -> None:
        self._connecting.discard(task)
        if task.cancelled() or task.exception() is not None:
            self.idle()  # no protocol will say so

    def close(self) -> None:
        self._closed = True
        self._cancel_patience()
        self._unwatch()

    async def wait_closed(self) -> None:
        if self._connecting:
            await asyncio.wait(list(self._connecting))


class RoomTelling(HttpToolsProtocol):
    """An HTTP protocol that tells its acceptor (``room_acceptor``, set by the acceptor's
    protocol factory) when its connection is idle (its response complete, or the connection
    gone) and busy again (a new request on it). A connection upgraded to a websocket is idle: it
    lives long and computes little."""

    room_acceptor: RoomAcceptor | None = None
    _busy = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._busy = self.room_acceptor is not None  # counted busy by the acceptor at its accept

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self._busy and self.room_acceptor is not None:
            self._busy = True
            self.room_acceptor.busy()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._tell_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._tell_idle()

    def handle_websocket_upgrade(self) -> None:
        self._tell_idle()
        super().handle_websocket_upgrade()

    def _tell_idle(self) -> None:
        if self._busy and self.room_acceptor is not None:
            self._busy = False
            self.room_acceptor.idle()
