"""``project.accept_with_room``: a server process accepting connections only while fewer than
its room are busy, and the HTTP protocol telling it when a connection is busy or idle. A real
uvicorn server (``project.server_process.RoomServer``) runs on a thread of the test."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import uvicorn
from websockets.sync.client import connect

from project.accept_with_room import RoomAcceptor
from project.serve import listening_socket
from project.server_process import RoomServer, RoomTellingHttpProtocol
from tests.serve_app import application

WAIT_S = 30.0


class Served:
    def __init__(self, server: RoomServer, port: int) -> None:
        self.server = server
        self.port = port

    @property
    def acceptor(self) -> RoomAcceptor:
        acceptor = self.server.servers[0]
        assert isinstance(acceptor, RoomAcceptor)
        return acceptor

    def busy_becomes(self, count: int) -> bool:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            if self.acceptor.busy_count == count:
                return True
            time.sleep(0.01)
        return False


def _serve(room: int, patience: float) -> Iterator[Served]:
    listener = listening_socket("127.0.0.1", 0)
    port = int(listener.getsockname()[1])
    config = uvicorn.Config(
        application, http=RoomTellingHttpProtocol, lifespan="off", log_level="warning"
    )
    server = RoomServer(config, listener, room, patience)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_S
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started
    try:
        yield Served(server, port)
    finally:
        server.should_exit = True
        thread.join(WAIT_S)
        listener.close()


@pytest.fixture
def room_for_one() -> Iterator[Served]:
    yield from _serve(room=1, patience=60.0)


@pytest.fixture
def impatient() -> Iterator[Served]:
    yield from _serve(room=1, patience=0.2)


def _get(
    port: int, seconds: float = 0, connection: http.client.HTTPConnection | None = None
) -> tuple[float, bytes]:
    """The time the answer came (monotonic) and its body."""
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT_S)
    try:
        connection.request("GET", f"/?seconds={seconds}")
        body = connection.getresponse().read()
        return time.monotonic(), body
    finally:
        if own:
            connection.close()


@pytest.fixture
def kept_alive(room_for_one: Served) -> Iterator[http.client.HTTPConnection]:
    """A connection to ``room_for_one`` kept alive after a first request."""
    connection = http.client.HTTPConnection("127.0.0.1", room_for_one.port, timeout=WAIT_S)
    try:
        _get(room_for_one.port, connection=connection)
        yield connection
    finally:
        connection.close()


def test_given_a_kept_alive_connection_when_its_response_is_complete_then_it_is_not_busy(
    room_for_one: Served, kept_alive: http.client.HTTPConnection
) -> None:
    idle = room_for_one.busy_becomes(0)
    _, body = _get(room_for_one.port)  # another connection: there is room for it

    assert idle
    assert b"pid" in body


def test_given_a_kept_alive_connection_when_a_request_comes_on_it_then_it_is_busy_again(
    room_for_one: Served, kept_alive: http.client.HTTPConnection
) -> None:
    assert room_for_one.busy_becomes(0)
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(_get, room_for_one.port, 1.0, kept_alive)

        busy = room_for_one.busy_becomes(1)
        slow.result()

    assert busy
    assert room_for_one.busy_becomes(0)


@pytest.mark.parametrize(("served_by", "waits"), [("room_for_one", True), ("impatient", False)])
def test_given_a_full_process_when_a_connection_comes_then_it_waits_until_room_or_patience(
    served_by: str, waits: bool, request: pytest.FixtureRequest
) -> None:
    served: Served = request.getfixturevalue(served_by)
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(_get, served.port, 3.0)
        assert served.busy_becomes(1)
        started = time.monotonic()

        quick_done, _ = _get(served.port)
        slow.result()

    waited = quick_done - started
    if waits:  # room for one: accepted once the slow one (3 s) was done
        assert waited >= 2.0
    else:  # patience of 0.2 s: one more taken all the same
        assert waited < 2.0


def test_given_a_stuck_process_when_connections_wait_then_it_takes_one_per_patience(
    impatient: Served,
) -> None:
    with ThreadPoolExecutor(4) as pool:
        slow = pool.submit(_get, impatient.port, 4.0)
        assert impatient.busy_becomes(1)
        started = time.monotonic()
        waiting = [pool.submit(_get, impatient.port, 4.0) for _ in range(3)]

        taken = impatient.busy_becomes(4)  # one more per 0.2 s of patience
        took = time.monotonic() - started
        room_when_stuck = impatient.acceptor.room
        for future in [slow, *waiting]:
            future.result()

    assert taken
    assert took >= 0.3  # one per patience (0.2 s), not all at once
    assert room_when_stuck >= 4  # (5 if its patience ran out again with nobody waiting)
    assert impatient.busy_becomes(0)
    assert impatient.acceptor.room == 1  # each connection done gave one back


def test_given_a_websocket_when_upgraded_then_it_leaves_the_room_to_others(
    room_for_one: Served,
) -> None:
    with connect(f"ws://127.0.0.1:{room_for_one.port}/ws/echo/", open_timeout=10) as websocket:
        websocket.send("hello")
        echoed = websocket.recv(timeout=10)

        idle = room_for_one.busy_becomes(0)
        _, body = _get(room_for_one.port)

    assert echoed == "echo: hello"
    assert idle
    assert b"pid" in body


def test_given_a_connection_closed_before_its_request_when_lost_then_it_is_not_busy(
    room_for_one: Served,
) -> None:
    with socket.create_connection(("127.0.0.1", room_for_one.port), timeout=WAIT_S):
        assert room_for_one.busy_becomes(1)

    assert room_for_one.busy_becomes(0)
