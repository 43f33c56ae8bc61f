"""``python -m project.serve``: server processes sharing a listening socket and accepting while
they have room (or on SO_REUSEPORT sockets of their own), speaking HTTP and websockets, living
and dying together."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

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


def _get(port: int, seconds: float = 0) -> dict[str, Any]:
    """What the test application answers (``seconds`` later): its pid and the client's
    address."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", f"/?seconds={seconds}", headers={"Connection": "close"})
        answer: dict[str, Any] = json.loads(connection.getresponse().read())
        return answer
    finally:
        connection.close()


def _pids(port: int, requests: int = 60) -> set[int]:
    return {int(_get(port)["pid"]) for _ in range(requests)}  # a new connection each


def _pids_at_once(port: int) -> set[int]:
    """The pids of both processes: four slow requests at once fill either's room (2 at most)."""
    with ThreadPoolExecutor(4) as pool:
        return {int(a["pid"]) for a in pool.map(lambda _: _get(port, seconds=0.3), range(4))}


@pytest.fixture
def launcher(request: pytest.FixtureRequest) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """Two server processes of the launcher; ``--room`` and ``--patience`` by indirect
    parametrization (a number, or both in a tuple), by default the launcher's."""
    param = getattr(request, "param", None)
    room, patience = param if isinstance(param, tuple) else (param, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "project.serve", "--port", "0", "--workers", "2",
         "--no-access-log", "--application", "tests.serve_app:application",
         *([] if room is None else ["--room", str(room)]),
         *([] if patience is None else ["--patience", str(patience)])],
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
        proc.terminate()  # the launcher stops its server processes
        try:
            proc.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with contextlib.suppress(ProcessLookupError):  # whatever is left of its process group
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.parametrize("launcher", [0], indirect=True)
def test_given_a_socket_each_when_requests_come_then_the_kernel_spreads_them_over_both(
    launcher: tuple[subprocess.Popen[str], int],
) -> None:
    _, port = launcher

    pids = _pids(port)  # by a hash of each connection's addresses

    assert len(pids) == 2


def test_given_requests_at_once_when_one_process_is_full_then_the_other_takes_the_rest(
    launcher: tuple[subprocess.Popen[str], int],
) -> None:
    _, port = launcher

    pids = _pids_at_once(port)

    assert len(pids) == 2


@pytest.mark.parametrize("launcher", [(1, 60.0)], indirect=True)
def test_given_room_for_one_when_a_process_is_busy_then_new_connections_go_to_the_other(
    launcher: tuple[subprocess.Popen[str], int],
) -> None:
    _, port = launcher
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(_get, port, 3.0)
        time.sleep(0.5)  # the slow request is in: its process is full

        quick = _pids(port, requests=20)
        busy_pid = int(slow.result()["pid"])

    assert busy_pid not in quick
    assert len(quick) == 1


@pytest.mark.parametrize("launcher", [1], indirect=True)
def test_given_every_process_full_when_a_connection_comes_then_one_takes_it_after_patience(
    launcher: tuple[subprocess.Popen[str], int],
) -> None:
    _, port = launcher
    with ThreadPoolExecutor(2) as pool:
        slow = [pool.submit(_get, port, 8.0) for _ in range(2)]  # one in each process
        time.sleep(0.3)
        started = time.monotonic()

        answer = _get(port)
        waited = time.monotonic() - started
        slow_pids = {int(future.result()["pid"]) for future in slow}

    assert len(slow_pids) == 2
    assert answer["pid"] in slow_pids
    assert waited < 5.0  # half a second's patience, not the slow requests' 8 s


def test_given_a_request_when_served_then_the_application_sees_the_clients_tcp_address(
    launcher: tuple[subprocess.Popen[str], int],
) -> None:
    _, port = launcher

    client = _get(port)["client"]

    assert client[0] == "127.0.0.1"
    assert isinstance(client[1], int) and client[1] > 0


def test_given_a_websocket_when_connecting_then_the_server_upgrades_it_and_relays_messages(
    launcher: tuple[subprocess.Popen[str], int],
) -> None:
    _, port = launcher

    with connect(f"ws://127.0.0.1:{port}/ws/echo/", open_timeout=10) as websocket:
        websocket.send("hello")
        answer = websocket.recv(timeout=10)

    assert answer == "echo: hello"


def test_given_a_kept_connection_when_requests_follow_then_each_answer_is_whole(
    launcher: tuple[subprocess.Popen[str], int],
) -> None:
    _, port = launcher
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        answers = []
        for method in ("HEAD", "GET", "HEAD", "GET"):  # a HEAD answer has no body to carry it
            connection.request(method, "/")
            response = connection.getresponse()
            answers.append((method, response.status, response.read()))
    finally:
        connection.close()

    assert [(m, s) for m, s, _ in answers] == [("HEAD", 200), ("GET", 200)] * 2
    assert [b for m, _, b in answers if m == "HEAD"] == [b"", b""]
    assert all(json.loads(b)["pid"] > 0 for m, _, b in answers if m == "GET")


def test_given_sigterm_when_serving_then_every_process_stops(
    launcher: tuple[subprocess.Popen[str], int],
) -> None:
    proc, port = launcher
    pids = _pids_at_once(port)

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
    first, *others = _pids_at_once(port)

    os.kill(first, signal.SIGKILL)
    code = proc.wait(timeout=WAIT_S)

    assert code != 0
    for pid in others:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
