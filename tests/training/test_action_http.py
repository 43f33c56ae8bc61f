"""``post_json``: the caller's place is handed on (``while_waiting``) only while it waits on the
action server, not for a connection made or refused at once."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from training.runtime import action_http
from training.runtime.action_http import post_json
from training.runtime.action_server import call_action_server


class Waits:
    """A ``while_waiting`` that counts how often it was entered and knows when it is inside."""

    def __init__(self) -> None:
        self.entered = 0
        self.inside = False

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        self.entered += 1
        self.inside = True
        try:
            yield
        finally:
            self.inside = False


class Echo(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        data = json.dumps({"path": self.path, "got": json.loads(body)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def echo_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens there once it is closed


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_given_a_server_on_this_machine_when_posting_then_only_the_answer_is_waited_for(
    echo_port: int, host: str
) -> None:
    waits = Waits()

    status, data = post_json(
        f"http://{host}:{echo_port}/webhook?x=1", b'{"a": 1}', timeout=10, while_waiting=waits
    )

    assert (status, json.loads(data)) == (200, {"path": "/webhook?x=1", "got": {"a": 1}})
    assert waits.entered == 1


def test_given_a_refusing_server_on_this_machine_when_posting_then_the_place_is_kept() -> None:
    waits = Waits()

    with pytest.raises(ConnectionRefusedError):
        post_json(
            f"http://127.0.0.1:{_free_port()}/webhook", b"{}", timeout=10, while_waiting=waits
        )

    assert waits.entered == 0


def test_given_a_name_that_may_need_dns_when_posting_then_the_lookup_is_waited_for(
    echo_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits = Waits()
    looked_up_inside: list[bool] = []
    real_lookup = socket.getaddrinfo

    def lookup(host: str, *args: Any, **kwargs: Any) -> Any:
        looked_up_inside.append(waits.inside)
        return real_lookup("127.0.0.1" if host == "actions.test" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)

    status, _data = post_json(
        f"http://actions.test:{echo_port}/webhook", b"{}", timeout=10, while_waiting=waits
    )

    assert status == 200
    assert looked_up_inside == [True]
    assert waits.entered == 1


def test_given_a_server_that_never_answers_when_posting_then_it_times_out_while_waiting() -> None:
    waits = Waits()
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts connections (the kernel's backlog) and never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/webhook"

        with pytest.raises(TimeoutError):
            post_json(url, b"{}", timeout=0.3, while_waiting=waits)

    assert waits.entered == 1


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST", "127.0.0.1", "::1"])
def test_given_a_local_host_then_it_resolves_without_the_network(host: str) -> None:
    assert action_http._resolves_locally(host)


@pytest.mark.parametrize("host", ["actions", "action-server.internal", "localhost.example"])
def test_given_another_name_then_it_may_need_the_network(host: str) -> None:
    assert not action_http._resolves_locally(host)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/webhook", "http:///webhook", "webhook"])
def test_given_a_url_that_is_not_http_when_calling_then_the_error_says_so(url: str) -> None:
    result = call_action_server(
        url=url, action="action_x", sender_id="a", tracker={}, domain_json="{}", timeout=1
    )

    assert result.error == f"the action server at {url} failed: not an http(s) URL: {url!r}"


def test_given_a_name_that_does_not_resolve_when_calling_then_it_cannot_be_reached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def lookup(host: str, *args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    url = "http://actions.test:5055/webhook"

    result = call_action_server(
        url=url, action="action_x", sender_id="a", tracker={}, domain_json="{}", timeout=1
    )

    assert result.error == (
        f"the action server at {url} cannot be reached: [Errno -2] Name or service not known"
    )
