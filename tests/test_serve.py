"""``python -m project.serve``: daphne processes on SO_REUSEPORT sockets, living and dying
together."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from project.serve import listening_sockets

ROOT = Path(__file__).resolve().parent.parent
WAIT_S = 60.0


def test_given_a_count_when_binding_then_every_socket_listens_on_one_port() -> None:
    sockets = listening_sockets("127.0.0.1", 0, 3)
    try:
        ports = {listener.getsockname()[1] for listener in sockets}
        assert len(sockets) == 3
        assert len(ports) == 1
    finally:
        for listener in sockets:
            listener.close()


def _get(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/", headers={"Connection": "close"})
        return connection.getresponse().read().decode()
    finally:
        connection.close()


@pytest.fixture
def launcher() -> Iterator[tuple[subprocess.Popen[str], int]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "project.serve", "--port", "0", "--workers", "2",
         "--no-access-log", "--application", "tests.serve_app:application"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    assert proc.stdout is not None
    banner = proc.stdout.readline()
    found = re.search(r":(\d+)$", banner.strip())
    assert found, banner
    port = int(found.group(1))
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        try:
            _get(port)
            break
        except OSError:
            time.sleep(0.1)
    yield proc, port
    if proc.poll() is None:
        proc.terminate()  # the launcher stops its daphne processes
        try:
            proc.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with contextlib.suppress(ProcessLookupError):  # whatever is left of its process group
        os.killpg(proc.pid, signal.SIGKILL)


def test_given_two_workers_when_requests_come_then_both_processes_answer(
    launcher: tuple[subprocess.Popen[str], int],
) -> None:
    _, port = launcher

    pids = {_get(port) for _ in range(60)}  # a new connection each: spread by the kernel

    assert len(pids) == 2


def test_given_sigterm_when_serving_then_every_process_stops(
    launcher: tuple[subprocess.Popen[str], int],
) -> None:
    proc, port = launcher
    pids = {int(_get(port)) for _ in range(60)}

    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=WAIT_S)

    assert code == 0
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_given_a_worker_that_dies_when_serving_then_the_launcher_stops_the_others(
    launcher: tuple[subprocess.Popen[str], int],
) -> None:
    proc, port = launcher
    first, *others = {int(_get(port)) for _ in range(60)}

    os.kill(first, signal.SIGKILL)
    code = proc.wait(timeout=WAIT_S)

    assert code != 0
    for pid in others:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
