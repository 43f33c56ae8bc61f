"""``project.one_write``: uvicorn's protocol writing each response in one piece, with interim
responses, bodiless and streamed responses still complete and in order."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from project.one_write import HeadHoldingTransport, OneWriteHttpProtocol

HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


class RecordingTransport(asyncio.Transport):
    """The connection's own transport: records what is written to it, and when it closes."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(
            name, default
        )

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def test_given_a_head_then_a_body_when_written_then_they_go_out_in_one_write() -> None:
    own = RecordingTransport()
    holding = HeadHoldingTransport(own)

    holding.write(HEAD)
    assert own.writes == []
    holding.write(memoryview(b"ok"))

    assert own.writes == [HEAD + b"ok"]


@pytest.mark.parametrize(
    "interim",
    [
        b"HTTP/1.1 100 Continue\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n",
    ],
)
def test_given_an_interim_response_when_written_then_it_goes_out_at_once(interim: bytes) -> None:
    own = RecordingTransport()

    HeadHoldingTransport(own).write(interim)

    assert own.writes == [interim]


def test_given_a_held_head_when_the_connection_closes_then_it_is_written_first() -> None:
    own = RecordingTransport()
    holding = HeadHoldingTransport(own)

    holding.write(HEAD)
    holding.close()

    assert own.writes == [HEAD]
    assert own.closed


def test_given_a_held_head_when_the_connection_is_lost_then_closing_writes_nothing() -> None:
    own = RecordingTransport()
    holding = HeadHoldingTransport(own)
    holding.write(HEAD)
    own.closed = True  # the peer went away: the loop closed the connection's own transport

    holding.close()

    assert own.writes == []


def test_given_a_held_head_when_the_connection_is_aborted_then_nothing_more_is_written() -> None:
    own = RecordingTransport()
    holding = HeadHoldingTransport(own)

    holding.write(HEAD)
    holding.abort()
    holding.flush()

    assert own.writes == []
    assert own.aborted


def test_given_a_body_like_a_head_when_written_after_a_head_then_it_is_not_held() -> None:
    own = RecordingTransport()
    holding = HeadHoldingTransport(own)

    holding.write(HEAD)
    holding.write(HEAD)  # a body that happens to look like a head goes out with the real one

    assert own.writes == [HEAD + HEAD]


def _run(coroutine: Coroutine[Any, Any, RecordingTransport]) -> RecordingTransport:
    """``asyncio.run`` in a thread of its own: the suite's browser tests keep an event loop
    running in the main thread."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result(timeout=60)


async def _served(app: Any, request: bytes) -> RecordingTransport:
    """``request`` through ``OneWriteHttpProtocol`` and uvicorn's own request cycle."""
    config = Config(app=app, http=OneWriteHttpProtocol, lifespan="off", access_log=False)
    config.load()
    own = RecordingTransport()
    protocol = OneWriteHttpProtocol(config=config, server_state=ServerState(), app_state={})
    protocol.connection_made(own)
    protocol.data_received(request)
    for _ in range(100):  # the application runs as a task of the loop
        if protocol.cycle is not None and protocol.cycle.response_complete:
            break
        await asyncio.sleep(0.01)
    protocol.connection_lost(None)
    return own


async def _json_app(scope: Any, receive: Any, send: Any) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"[]"})


async def _streaming_app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"one", "more_body": True})
    await send({"type": "http.response.body", "body": b"two"})


def test_given_a_response_with_its_length_when_served_then_it_is_written_once() -> None:
    request = b"POST /webhook HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}"

    own = _run(_served(_json_app, request))

    [written] = own.writes
    assert written.startswith(b"HTTP/1.1 200 OK\r\n")
    assert written.endswith(b"\r\n\r\n[]")


def test_given_a_head_request_on_a_kept_connection_when_served_then_the_head_is_written() -> None:
    own = _run(_served(_json_app, b"HEAD / HTTP/1.1\r\nhost: x\r\n\r\n"))

    [written] = own.writes  # no body write follows: the response's end writes the head
    assert written.startswith(b"HTTP/1.1 200 OK\r\n")
    assert written.endswith(b"\r\n\r\n")


def test_given_a_streamed_response_when_served_then_every_chunk_follows_the_head() -> None:
    own = _run(_served(_streaming_app, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n"))

    assert len(own.writes) == 2  # the head with the first chunk, then the last one
    assert own.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert own.writes[0].endswith(b"\r\n\r\n3\r\none\r\n")
    assert own.writes[1] == b"3\r\ntwo\r\n0\r\n\r\n"
