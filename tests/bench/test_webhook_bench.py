"""The webhook bench's helpers: percentiles, the summary, the messages, the recording check."""

from __future__ import annotations

import http.server
import json
import math
import threading
from collections.abc import Iterator

import pytest

from annotation.services.conversations import (
    conversation_append_events,
    conversation_get_or_create,
)
from bench.webhook_bench import (
    ASSISTANT,
    WEBHOOK,
    ClientLog,
    Script,
    demo_messages,
    parse_answer,
    percentile,
    post_on_new_connection,
    python_loop_ms,
    recorded_user_messages,
    recording_problems,
    run_load,
    summarize,
    summary_line,
)
from tests.factories import AssistantFactory


def test_given_values_when_taking_percentiles_then_they_interpolate_between_ranks() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # 100 .. 1, unsorted on purpose

    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))


def test_given_client_logs_when_summarized_then_rates_errors_and_latencies_add_up() -> None:
    first = ClientLog("a", latencies_ms=[10.0, 20.0], started_s=[0.0, 0.5], answered=2)
    second = ClientLog(
        "b", latencies_ms=[30.0], started_s=[1.5], answered=1, errors=["HTTP 500", "HTTP 500"]
    )

    summary = summarize([first, second], seconds=2.0)

    assert summary["messages"] == 3
    assert summary["messages_per_s"] == 1.5
    assert summary["errors"] == 2
    assert summary["error_samples"] == ["HTTP 500"]
    assert summary["p50_ms"] == 20.0
    assert summary["max_ms"] == 30.0
    assert summary["slowest"][0] == (1.5, 30.0)
    assert summary["p99_ms_by_second"] == [pytest.approx(19.9), 30.0]


def test_given_the_demo_when_scripting_a_client_then_each_conversation_opens_with_a_greeting() -> (
    None
):
    texts = demo_messages()
    script = Script(texts, seed=3)

    first = [script.next() for _ in range(5)]
    script.restart()
    again = script.next()

    assert first[0] in texts["greet"]
    assert again in texts["greet"]
    assert all(any(text in values for values in texts.values()) for text in first)
    replay = Script(texts, seed=3)
    assert [replay.next() for _ in range(5)] == first


def test_given_every_message_recorded_when_checked_then_no_problems() -> None:
    assert recording_problems({"a": 3, "b": 1}, {"a": 3, "b": 1}) == []


def test_given_lost_messages_or_strangers_when_checked_then_each_is_named() -> None:
    problems = recording_problems({"a": 3, "b": 1}, {"a": 2, "c": 1})

    assert any("1 senders have no conversation" in p and "'b'" in p for p in problems)
    assert any("conversations from unknown senders" in p and "c" in p for p in problems)
    assert any("'a': 3 messages answered, 2 recorded" in p for p in problems)


@pytest.mark.django_db
def test_given_recorded_conversations_when_counted_then_user_events_per_sender() -> None:
    assistant = AssistantFactory(name=ASSISTANT)
    other = AssistantFactory(name="other-bot")
    user = {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}}}
    bot = {"event": "bot", "text": "hello"}
    first = conversation_get_or_create(assistant=assistant, sender_id="one")
    conversation_append_events(conversation=first, events=[user, bot, user])
    second = conversation_get_or_create(assistant=assistant, sender_id="two")
    conversation_append_events(conversation=second, events=[bot])
    elsewhere = conversation_get_or_create(assistant=other, sender_id="one")
    conversation_append_events(conversation=elsewhere, events=[user])

    assert recorded_user_messages() == {"one": 2, "two": 0}


class _Answering(http.server.BaseHTTPRequestHandler):
    """Answers every webhook POST at once with an empty list of bot messages."""

    senders: list[str] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).senders.append(json.loads(body)["sender"])
        status = 200 if self.path == WEBHOOK else 404
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"[]")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def answering_port() -> Iterator[int]:
    _Answering.senders = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answering)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_given_a_rate_when_loading_then_the_clients_send_no_faster_than_their_schedule(
    answering_port: int,
) -> None:
    rate, clients = 20.0, 4

    summary, sent, _warmup = run_load(
        answering_port,
        texts={"greet": ["hi"], "inform": ["in Berlin"]},
        clients=clients,
        seconds=1.0,
        min_warmup=0.3,
        keep_alive=False,
        run_id="paced",
        per_conversation=3,
        rate=rate,
    )

    # a server answering at once would get hundreds back to back: the schedule holds them
    assert summary["errors"] == 0
    assert 0 < summary["messages"] <= rate * summary["seconds"] + clients
    assert summary["p50_ms"] >= 0
    assert sum(sent.values()) == len(_Answering.senders)
    assert all(count <= 3 for count in sent.values())  # a new conversation every 3 messages


def test_given_an_answering_server_when_posting_on_a_new_connection_then_status_and_body(
    answering_port: int,
) -> None:
    body = json.dumps({"sender": "alice", "message": "hi"}).encode()

    assert post_on_new_connection(answering_port, body) == (200, b"[]")
    assert _Answering.senders == ["alice"]


def test_given_answers_in_pieces_when_parsed_then_whole_ones_only() -> None:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nContent-Length: 4\r\n\r\n"

    assert parse_answer(head[:20], closed=False) is None
    assert parse_answer(head + b"[]", closed=False) is None
    assert parse_answer(head + b'["a"]', closed=False) == (200, b'["a"')
    assert parse_answer(b"HTTP/1.0 404 Not Found\r\n\r\nnope", closed=False) is None
    assert parse_answer(b"HTTP/1.0 404 Not Found\r\n\r\nnope", closed=True) == (404, b"nope")


def test_given_broken_answers_when_parsed_then_errors_say_what_is_wrong() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"

    with pytest.raises(ValueError, match="cut short: 2 of 10"):
        parse_answer(head + b"[]", closed=True)
    with pytest.raises(ValueError, match="before the answer's head"):
        parse_answer(b"HTTP/1.1 200", closed=True)
    with pytest.raises(ValueError, match="not an HTTP answer"):
        parse_answer(b"SSH-2.0\r\n\r\n", closed=False)


def test_given_a_result_when_summarized_in_a_line_then_targets_and_machine_speed_show() -> None:
    result = {
        "database": "sqlite 3.40.1",
        "clients": 32,
        "workers": 2,
        "messages_per_s": 450.0,
        "p50_ms": 60.0,
        "p99_ms": 120.0,
        "errors": 0,
        "recording_problems": [],
        "server_cpu_ms_per_message": 3.1,
        "paced": {
            "rate": 300.0,
            "messages_per_s": 299.0,
            "p50_ms": 4.0,
            "p99_ms": 150.0,
            "errors": 0,
        },
        "machine": {"python_loop_ms_before": python_loop_ms(1000), "python_loop_ms_after": 80.5},
    }

    line = summary_line(result, None)

    assert "450.0 messages/s (met: >= 300)" in line
    assert "p99 150.0 ms (MISSED: < 100)" in line
    assert "every message recorded" in line
    assert "a Python loop took" in line and "80.5 ms after" in line
    assert "server CPU 3.1 ms per message" in line
