"""One server process of ``project.serve``: uvicorn on an inherited listening socket, with the
HTTP protocol of ``project.one_write``. (uvicorn's command line takes only its own protocols.)"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import uvicorn

from project.one_write import OneWriteHttpProtocol


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m project.server_process", description=__doc__)
    parser.add_argument("--fd", type=int, required=True, help="the listening socket's descriptor")
    parser.add_argument("--graceful-shutdown", type=int, required=True, help="seconds")
    parser.add_argument("--no-access-log", action="store_true")
    parser.add_argument("application", help="module:attribute of the ASGI application")
    args = parser.parse_args(argv)
    uvicorn.run(
        args.application,
        fd=args.fd,
        http=OneWriteHttpProtocol,
        lifespan="off",  # Channels' router knows no lifespan scope
        # open websockets (the browser chat, training progress) would hold a shutdown up
        timeout_graceful_shutdown=args.graceful_shutdown,
        access_log=not args.no_access_log,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
