"""One server process of ``project.serve``: uvicorn on an inherited listening socket, with the
HTTP protocol of ``project.one_write``. (uvicorn's command line takes only its own protocols.)
With ``--room N`` the socket is shared with the other processes and this one accepts
connections only while fewer than N of its own are busy (``project.accept_with_room``)."""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from collections.abc import Sequence

import uvicorn

from project.accept_with_room import DEFAULT_PATIENCE_S, RoomAcceptor, RoomTelling
from project.one_write import OneWriteHttpProtocol


class RoomTellingHttpProtocol(RoomTelling, OneWriteHttpProtocol):
    pass


class RoomServer(uvicorn.Server):
    """uvicorn taking its connections through a ``RoomAcceptor`` on ``sock``."""

    def __init__(
        self, config: uvicorn.Config, sock: socket.socket, room: int, patience: float
    ) -> None:
        super().__init__(config)
        self._sock = sock
        self._room = room
        self._patience = patience

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await self.lifespan.startup()
        config = self.config

        def make_protocol() -> asyncio.Protocol:
            protocol: asyncio.Protocol = config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state
            )
            if isinstance(protocol, RoomTelling):
                protocol.room_acceptor = acceptor
            return protocol

        acceptor = RoomAcceptor(
            asyncio.get_running_loop(), self._sock, make_protocol, self._room, self._patience
        )
        acceptor.start()
        self.servers = [acceptor]  # type: ignore[list-item]  # what shutdown uses of a Server
        self.started = True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m project.server_process", description=__doc__)
    parser.add_argument("--fd", type=int, required=True, help="the listening socket's descriptor")
    parser.add_argument("--graceful-shutdown", type=int, required=True, help="seconds")
    parser.add_argument("--no-access-log", action="store_true")
    parser.add_argument(
        "--room", type=int, default=0, help="busy connections before leaving new ones to others"
    )
    parser.add_argument(
        "--patience",
        type=float,
        default=DEFAULT_PATIENCE_S,
        help="seconds full, none of its connections done, before taking one more",
    )
    parser.add_argument("application", help="module:attribute of the ASGI application")
    args = parser.parse_args(argv)
    config = uvicorn.Config(
        args.application,
        fd=args.fd,
        http=RoomTellingHttpProtocol if args.room else OneWriteHttpProtocol,
        lifespan="off",  # Channels' router knows no lifespan scope
        # open websockets (the browser chat, training progress) would hold a shutdown up
        timeout_graceful_shutdown=args.graceful_shutdown,
        access_log=not args.no_access_log,
    )
    server = (
        RoomServer(config, socket.socket(fileno=args.fd), args.room, args.patience)
        if args.room
        else uvicorn.Server(config)
    )
    server.run()
    return 0 if server.started else 3  # uvicorn's code for a server that could not start


if __name__ == "__main__":
    sys.exit(main())
