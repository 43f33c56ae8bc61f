"""Serve Parley with several daphne processes: ``python -m project.serve --workers N``.

A process computes one conversation turn at a time (the GIL; ``training.serving``'s gate), so a
machine's cores need a process each. Each process gets a listening socket of its own, all bound
to the same address with ``SO_REUSEPORT``: the kernel spreads new connections evenly over them.
(One socket shared by every process made each connection wake them all, and the process that
won the race was often the one already busy: ``bench.webhook_bench`` measured 15% more
messages per second and a shorter tail with a socket per process.)

The processes live and die together: when one exits, or the launcher gets SIGINT/SIGTERM, the
others are stopped. ``--workers`` defaults to ``$PARLEY_WEB_WORKERS``, else 1.
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
from pathlib import Path
from types import FrameType
from typing import Any

APPLICATION = "project.asgi:application"
GRACE_SECONDS = 10.0


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` sockets listening on ``host:port`` with ``SO_REUSEPORT`` (port 0: the first
    one picks a free port and the others join it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            listener = socket.socket(family, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            listener.bind((host, port))
            listener.listen(1024)
            listener.set_inheritable(True)
            port = int(listener.getsockname()[1])
            sockets.append(listener)
    except OSError:
        for listener in sockets:
            listener.close()
        raise
    return sockets


def daphne_argv(fd: int, application: str = APPLICATION, verbosity: int = 1) -> list[str]:
    """daphne on the socket ``fd``; verbosity 0 leaves out the access log."""
    daphne = str(Path(sys.executable).parent / "daphne")
    return [daphne, "--fd", str(fd), "-v", str(verbosity), application]


def start_servers(
    sockets: Sequence[socket.socket],
    application: str = APPLICATION,
    verbosity: int = 1,
    **popen: Any,
) -> list[subprocess.Popen[bytes]]:
    """A daphne process on each socket (the sockets can be closed once they run); ``popen``:
    more arguments for ``subprocess.Popen`` (env, cwd, stdout, ...)."""
    return [
        subprocess.Popen(
            daphne_argv(listener.fileno(), application, verbosity),
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
        help="daphne processes ($PARLEY_WEB_WORKERS, else 1): one per core",
    )
    parser.add_argument(
        "--no-access-log", action="store_true", help="leave out daphne's access log"
    )
    parser.add_argument("--application", default=APPLICATION, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    sockets = listening_sockets(args.bind, args.port, args.workers)
    port = sockets[0].getsockname()[1]
    procs = start_servers(sockets, args.application, 0 if args.no_access_log else 1)
    for listener in sockets:
        listener.close()
    print(f"parley: {args.workers} daphne process(es) on {args.bind}:{port}", flush=True)
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
