"""rasa-sdk's own action server (``python -m rasa_sdk``) run as a subprocess for a test."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO_ROOT

START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningActionServer:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        """The webhook URL, as ``action_endpoint.url`` in ``endpoints.yml`` names it."""
        return f"http://127.0.0.1:{self.port}/webhook"

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/health"

    def actions(self) -> list[str]:
        """The names of the actions the server registered (its ``GET /actions``)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/actions", timeout=5) as answer:
            return sorted(item["name"] for item in json.loads(answer.read()))

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        """Kill the server's process group at once: Sanic serves from a worker process that
        outlives its parent, and on uvloop it does not end on SIGTERM. It keeps nothing to save."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # its own group (start_new_session)
        self.process.wait(timeout=10)

    def wait_until_healthy(self, timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the action server exited with code {self.process.returncode}:\n"
                    + self.output()
                )
            with (
                contextlib.suppress(OSError, ValueError),
                urllib.request.urlopen(self.health_url, timeout=1) as answer,
            ):
                if json.loads(answer.read()).get("status") == "ok":
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"the action server did not answer within {timeout:g} s:\n{self.output()}"
        )


@contextlib.contextmanager
def rasa_sdk_action_server(actions_module: str, log_dir: Path) -> Iterator[RunningActionServer]:
    """Start ``python -m rasa_sdk --actions ACTIONS_MODULE`` on a free port of 127.0.0.1 (from
    the repository root, so the module imports), wait for ``/health``, stop it afterwards."""
    port = free_port()
    log = log_dir / f"rasa-sdk-{port}.log"
    environment = {**os.environ, "SANIC_HOST": "127.0.0.1", "PYTHONPATH": str(REPO_ROOT)}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", actions_module, "--port", str(port)],
            cwd=REPO_ROOT,
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = RunningActionServer(process, port, log)
    try:
        server.wait_until_healthy()
        yield server
    finally:
        server.stop()
