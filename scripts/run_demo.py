"""Run Parley's web server (``project.serve``: uvicorn), a Celery worker and the demo's action
server together.

The action server (rasa-sdk, installed with the test extras) serves the demo concertbot's custom
actions on port 5055, where its ``endpoints.yml`` points; ``--no-actions`` leaves it out.

A tiny Procfile runner: each process gets its own process group, its output is prefixed with
its name, and when one of them exits (or the runner gets SIGINT/SIGTERM) the others are sent
SIGTERM, then SIGKILL after a grace period. Used by `make demo` / `make serve`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO

GRACE_SECONDS = 10.0
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    argv: list[str]


DEMO_ACTIONS = "annotation.demo.concertbot.actions"
DEMO_ACTIONS_PORT = 5055


def process_specs(
    *, host: str, port: int, concurrency: int, actions: bool = False
) -> list[ProcessSpec]:
    # -B: the worker also runs Celery beat (the scheduled full trainings); one process only
    schedule = Path(os.environ.get("PARLEY_DATA_DIR") or "var") / "celerybeat-schedule"
    worker = [
        str(BIN / "celery"),
        "-A",
        "project",
        "worker",
        "--loglevel=INFO",
        "-B",
        f"--schedule={schedule}",
    ]
    if concurrency <= 1:
        worker.append("--pool=solo")
    else:
        worker += ["--pool=threads", f"--concurrency={concurrency}"]
    specs = [
        # uvicorn, $PARLEY_WEB_WORKERS processes (default 1) on their own SO_REUSEPORT sockets
        ProcessSpec(
            "web",
            [sys.executable, "-m", "project.serve", "--bind", host, "--port", str(port)],
        ),
        ProcessSpec("worker", worker),
    ]
    if actions:
        specs.append(
            ProcessSpec(
                "actions",
                [
                    sys.executable,
                    "-m",
                    "rasa_sdk",
                    "--actions",
                    DEMO_ACTIONS,
                    "--port",
                    str(DEMO_ACTIONS_PORT),
                ],
            )
        )
    return specs


def _pump(name: str, width: int, stream: IO[bytes], lock: threading.Lock) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", errors="replace").rstrip("\n")
        with lock:
            sys.stdout.write(f"{name:<{width}} | {line}\n")
            sys.stdout.flush()


def _terminate(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run(specs: list[ProcessSpec]) -> int:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {
        signum: signal.signal(signum, on_signal)
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    try:
        return _supervise(specs, stop)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _supervise(specs: list[ProcessSpec], stop: threading.Event) -> int:

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    width = max(len(spec.name) for spec in specs)
    lock = threading.Lock()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    pumps: list[threading.Thread] = []
    for spec in specs:
        proc = subprocess.Popen(
            spec.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # Ctrl-C reaches the runner only; it stops the children
        )
        procs[spec.name] = proc
        pump = threading.Thread(
            target=_pump, args=(spec.name, width, proc.stdout, lock), daemon=True
        )
        pump.start()
        pumps.append(pump)
        print(f"{'runner':<{width}} | started {spec.name} (pid {proc.pid})", flush=True)

    exit_code = 0
    while not stop.is_set():
        finished = [(name, p.returncode) for name, p in procs.items() if p.poll() is not None]
        if finished:
            name, code = finished[0]
            print(f"{'runner':<{width}} | {name} exited with {code}; stopping", flush=True)
            exit_code = code or 1
            break
        stop.wait(0.5)
    _terminate(procs)
    for pump in pumps:
        pump.join(timeout=2)
    print(f"{'runner':<{width}} | stopped", flush=True)
    return exit_code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="worker threads (1: Celery's solo pool)",
    )
    parser.add_argument(
        "--no-actions", action="store_true", help="don't start the demo's action server"
    )
    args = parser.parse_args(argv)
    actions = not args.no_actions and importlib.util.find_spec("rasa_sdk") is not None
    return run(
        process_specs(host=args.host, port=args.port, concurrency=args.concurrency, actions=actions)
    )


if __name__ == "__main__":
    sys.exit(main())
