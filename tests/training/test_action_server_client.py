"""``call_action_server`` against a server that goes away: reported, never raised."""

from __future__ import annotations

import socket
import struct
import threading

from training.runtime.action_server import call_action_server


def _resetting_server() -> tuple[socket.socket, threading.Thread]:
    """Accepts one connection, reads the whole request, then resets it instead of answering
    (a server dying mid-action)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        connection, _ = listener.accept()
        request = b""
        while not request.endswith(b"}"):  # the whole request, its JSON body last
            request += connection.recv(65536)
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()  # RST instead of an answer

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


def test_given_a_server_that_resets_the_connection_when_calling_then_it_cannot_be_reached() -> None:
    listener, thread = _resetting_server()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/webhook"

    result = call_action_server(
        url=url, action="action_x", sender_id="a", tracker={}, domain={}, timeout=10
    )
    thread.join(timeout=10)
    listener.close()

    assert not result.rejected
    assert result.error is not None
    assert f"the action server at {url} cannot be reached" in result.error
