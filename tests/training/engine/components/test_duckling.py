"""DucklingEntityExtractor against a local HTTP server answering as Duckling's ``/parse`` does
(Duckling is a Haskell server, not installable from the package registries)."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.training.engine.components.featurizer_helpers import nlu_data
from training.engine.component import TrainContext, TrainInputs, component_class
from training.engine.components.duckling import DucklingEntityExtractor
from training.engine.messages import Message

MATCHES: list[dict[str, Any]] = [
    {
        "body": "four",
        "start": 9,
        "end": 13,
        "dim": "number",
        "latent": False,
        "value": {"value": 4, "type": "value"},
    },
    {
        "body": "from 7 to 9pm",
        "start": 20,
        "end": 33,
        "dim": "time",
        "latent": False,
        "value": {
            "type": "interval",
            "from": {"value": "2026-11-21T19:00:00.000+00:00", "grain": "hour"},
            "to": {"value": "2026-11-21T22:00:00.000+00:00", "grain": "hour"},
        },
    },
]
RECEIVED: list[dict[str, list[str]]] = []


class FakeDuckling(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        RECEIVED.append(urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8")))
        if self.path != "/parse":
            self.send_error(404)
            return
        body = json.dumps(MATCHES).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def duckling_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeDuckling)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    RECEIVED.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def extract(extractor: DucklingEntityExtractor, text: str) -> list[dict[str, Any]]:
    extractor.train(TrainInputs(nlu_data([])), TrainContext("3_DucklingEntityExtractor"))
    message = Message(text)
    extractor.process(message)
    return message.entities


def test_given_the_registry_then_duckling_is_an_extractor() -> None:
    assert component_class("DucklingEntityExtractor") is DucklingEntityExtractor


def test_given_a_duckling_server_when_processed_then_its_matches_are_entities(
    duckling_url: str,
) -> None:
    extractor = DucklingEntityExtractor({"url": duckling_url, "locale": "en_GB", "timezone": "UTC"})

    entities = extract(extractor, "table for four people from 7 to 9pm")

    assert entities[0] == {
        "entity": "number",
        "start": 9,
        "end": 13,
        "text": "four",
        "value": 4,
        "confidence": 1.0,
        "additional_info": {"value": 4, "type": "value"},
        "extractor": "DucklingEntityExtractor",
    }
    assert entities[1]["value"] == {
        "from": "2026-11-21T19:00:00.000+00:00",
        "to": "2026-11-21T22:00:00.000+00:00",
    }
    (form,) = RECEIVED
    assert form["text"] == ["table for four people from 7 to 9pm"]
    assert (form["locale"], form["tz"]) == (["en_GB"], ["UTC"])
    assert int(form["reftime"][0]) > 0


def test_given_dimensions_then_only_those_are_kept(duckling_url: str) -> None:
    extractor = DucklingEntityExtractor({"url": duckling_url, "dimensions": ["number"]})

    assert [e["entity"] for e in extract(extractor, "four from 7 to 9pm")] == ["number"]


def test_given_the_environment_variable_then_it_overrides_the_url(
    duckling_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RASA_DUCKLING_HTTP_URL", duckling_url)
    extractor = DucklingEntityExtractor({"url": "http://127.0.0.1:9"})

    assert len(extract(extractor, "four")) == 2


def test_given_no_server_when_processed_then_no_entities_and_no_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeDuckling)
    closed_port = server.server_address[1]
    server.server_close()
    extractor = DucklingEntityExtractor({"url": f"http://127.0.0.1:{closed_port}", "timeout": 1})

    assert extract(extractor, "four") == []
    assert "Duckling at" in caplog.text
