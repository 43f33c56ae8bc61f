"""uvicorn's HTTP protocol with each response written in one piece.

uvicorn writes a response's head (status line and headers) as soon as the application starts the
response, and its body when it comes: two writes, each a system call that on a loopback or LAN
connection also runs the receiving side's TCP work and sends a segment of its own. The webhook
answers with its whole body at once, so the head is held until the body's first write (or the
response's end, or the connection's close) and goes out with it. Interim responses (1xx: 100
Continue, a websocket's 101) are never held: what follows them is not theirs.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_HEAD_START = b"HTTP/1.1 "
_HEAD_END = b"\r\n\r\n"


def _is_final_head(data: bytes) -> bool:
    """A whole response head with a final (not 1xx) status, as uvicorn writes it."""
    return (
        data.startswith(_HEAD_START)
        and data.endswith(_HEAD_END)
        and data[len(_HEAD_START) : len(_HEAD_START) + 1] != b"1"
    )


class HeadHoldingTransport(asyncio.Transport):
    """A transport that holds a response head until the next write, and passes everything else
    through to the connection's own transport."""

    def __init__(self, transport: asyncio.Transport) -> None:
        super().__init__()
        self._transport = transport
        self._head = b""

    def flush(self) -> None:
        head, self._head = self._head, b""
        # a connection lost while a head waited (a streamed body's first chunk to come) is
        # closing: nothing more goes to it (asyncio's own loop warns about such writes)
        if head and not self._transport.is_closing():
            self._transport.write(head)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._head and isinstance(data, bytes) and _is_final_head(data):
            self._head = data
            return
        if self._head:
            head, self._head = self._head, b""
            data = head + bytes(data)
        self._transport.write(data)

    def writelines(self, list_of_data: Any) -> None:
        self.write(b"".join(list_of_data))

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._head = b""
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + len(self._head)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.flush()
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()


class OneWriteHttpProtocol(HttpToolsProtocol):
    """httptools' protocol writing through a ``HeadHoldingTransport``."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(HeadHoldingTransport(transport))

    def on_response_complete(self) -> None:
        # a response with no body write (HEAD, an empty body) ends here; keep-alive waits on it
        holding = self.transport
        if isinstance(holding, HeadHoldingTransport):
            holding.flush()
        super().on_response_complete()
