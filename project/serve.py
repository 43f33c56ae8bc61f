"""Serve Parley with several server processes: ``python -m project.serve --workers N``.

Each process is a uvicorn server (HTTP and websockets; httptools and uvloop): it spent about a
fifth less CPU per webhook message than daphne, whose Twisted HTTP parsing and logging cost more
than a third of a turn (``bench.webhook_bench``, interleaved runs on 2 cores: 430-540 against
400-450 messages per second); each response goes out in one write (``project.one_write``, run
by ``project.server_process``). ``manage.py runserver`` stays daphne's development server.

A process computes one conversation turn at a time (the GIL; ``training.serving``'s gate), so a
machine's cores need a process each. The processes share one listening socket, and each
accepts connections only while fewer than ``--room`` of its own are busy
(``project.accept_with_room``): a new connection goes to a process with room, not to one busy
with another turn. ``--room 0`` gives each process a listening socket of its own instead, all
bound to the same address with ``SO_REUSEPORT``, and the kernel spreads new connections over
them by a hash of their addresses, busy or not (at 300 messages/s the p99 was about twice as
long). (One socket shared by processes that accepted whenever they could was worse still:
each connection woke them all and the process that won the race was often the one already busy.)

The processes live and die together: when one exits, or the launcher gets SIGINT/SIGTERM, the
others are stopped. ``--workers`` defaults to ``$PARLEY_WEB_WORKERS``, else 1; ``--room`` to
``$PARLEY_WEB_ROOM``, else 2 (one process alone accepts whenever it can).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType
from typing import Any

APPLICATION = "project.asgi:application"
GRACE_SECONDS = 10.0
# bench.ab_serve on PostgreSQL against 2: 3 or 4 served 7-8% more messages/s back to back, but
# at 300 messages/s the median latency was 11-14% longer (the p99 target is judged there)
DEFAULT_ROOM = 2


def listening_socket(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A socket listening on ``host:port`` (port 0: a free one), inheritable by the server
    processes; ``reuse_port``: others may bind the same address (``SO_REUSEPORT``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind((host, port))
        listener.listen(1024)
    except OSError:
        listener.close()
        raise
    listener.set_inheritable(True)
    return listener


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` sockets listening on ``host:port`` with ``SO_REUSEPORT`` (port 0: the first
    one picks a free port and the others join it)."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sockets.append(listening_socket(host, port, reuse_port=True))
            port = int(sockets[0].getsockname()[1])
    except OSError:
        for listener in sockets:
            listener.close()
        raise
    return sockets


def accept_room(workers: int, room: int) -> int:
    """The room each of ``workers`` processes accepts with; 0 (whenever it can) for a process
    alone, which has nobody to leave connections to."""
    return max(0, room) if workers > 1 else 0


def sockets_for(host: str, port: int, workers: int, room: int) -> list[socket.socket]:
    """The listening socket of each of ``workers`` processes: one shared by all when they
    accept with room (``accept_room``), else one each (``SO_REUSEPORT``)."""
    if accept_room(workers, room):
        return [listening_socket(host, port)] * workers
    return listening_sockets(host, port, workers)


def server_argv(
    fd: int,
    application: str = APPLICATION,
    access_log: bool = True,
    room: int = 0,
    patience: float | None = None,
) -> list[str]:
    """The command line of a server process on the inherited listening socket ``fd``
    (``room`` > 0: shared with other processes, accepting with that room and ``patience``)."""
    argv = [
        sys.executable, "-m", "project.server_process", "--fd", str(fd),
        "--graceful-shutdown", str(int(GRACE_SECONDS / 2)),
    ]  # fmt: skip
    if not access_log:
        argv.append("--no-access-log")
    if room > 0:
        argv += ["--room", str(room)]
        if patience is not None:
            argv += ["--patience", str(patience)]
    return [*argv, application]


def start_servers(
    sockets: Sequence[socket.socket],
    application: str = APPLICATION,
    access_log: bool = True,
    room: int = 0,
    patience: float | None = None,
    **popen: Any,
) -> list[subprocess.Popen[bytes]]:
    """A server process on each socket of ``sockets_for``, accepting with ``room``
    (``accept_room``) and ``patience`` (the sockets can be closed once they run); ``popen``:
    more arguments for ``subprocess.Popen`` (env, cwd, stdout, ...)."""
    return [
        subprocess.Popen(
            server_argv(listener.fileno(), application, access_log, room, patience),
            pass_fds=(listener.fileno(),),
            **popen,
        )
        for listener in sockets
    ]


def stop_servers(procs: Sequence[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + GRACE_SECONDS
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m project.serve", description=__doc__)
    parser.add_argument("--bind", default="127.0.0.1", help="address (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (8000; 0: any free one)")
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("PARLEY_WEB_WORKERS") or 1),
        help="server processes ($PARLEY_WEB_WORKERS, else 1): one per core",
    )
    parser.add_argument(
        "--room",
        type=int,
        default=int(os.environ.get("PARLEY_WEB_ROOM") or DEFAULT_ROOM),
        help=(
            f"busy connections a process takes before it leaves new ones to the others"
            f" ($PARLEY_WEB_ROOM, else {DEFAULT_ROOM}; 0: a SO_REUSEPORT socket per process)"
        ),
    )
    parser.add_argument(
        "--patience",
        type=float,
        default=None,
        help="seconds a full process waits, none of its connections done, to take one more (0.5)",
    )
    parser.add_argument("--no-access-log", action="store_true", help="leave out the access log")
    parser.add_argument("--application", default=APPLICATION, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.room < 0:
        parser.error("--room must be 0 or more")
    room = accept_room(args.workers, args.room)
    sockets = sockets_for(args.bind, args.port, args.workers, room)
    port = sockets[0].getsockname()[1]
    procs = start_servers(sockets, args.application, not args.no_access_log, room, args.patience)
    for listener in sockets:
        listener.close()
    print(f"parley: {args.workers} server process(es) on {args.bind}:{port}", flush=True)
    stopping: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.append(signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    try:
        while not stopping:
            ended = [proc for proc in procs if proc.poll() is not None]
            if ended:
                return ended[0].returncode or 1
            time.sleep(0.2)
        return 0
    finally:
        stop_servers(procs)


if __name__ == "__main__":
    sys.exit(main())
