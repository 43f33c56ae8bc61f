"""DucklingEntityExtractor: numbers, dates, amounts ... from a Duckling server's HTTP API.

Each message is POSTed (form-encoded ``text``, ``locale``, ``tz``, ``reftime``) to
``{url}/parse``; every match of a configured dimension becomes an entity named after the
dimension. ``RASA_DUCKLING_HTTP_URL`` overrides ``url``, as in Rasa. Nothing is learned. A
server that is down, slow or answers nonsense costs the message its Duckling entities, never
the parse: the failure is logged.
"""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any, ClassVar

from training.engine.component import Component, ComponentKind, TrainContext, TrainInputs, register
from training.engine.messages import Message

logger = logging.getLogger(__name__)

URL_ENVIRONMENT_VARIABLE = "RASA_DUCKLING_HTTP_URL"


@register
class DucklingEntityExtractor(Component):
    name: ClassVar[str] = "DucklingEntityExtractor"
    kind: ClassVar[ComponentKind] = "extractor"

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {
            "url": None,
            "dimensions": None,  # None: every dimension Duckling finds
            "locale": None,
            "timezone": None,
            "timeout": 3,  # seconds
            "reference_time": None,  # Rasa's key; Parley always sends the current time
        }

    def train(self, inputs: TrainInputs, context: TrainContext) -> None:
        return None

    @property
    def url(self) -> str | None:
        url = os.environ.get(URL_ENVIRONMENT_VARIABLE) or self.config["url"]
        return str(url).rstrip("/") if url else None

    def process(self, message: Message) -> None:
        if not self.url:
            logger.warning("%s has no url: no Duckling entities", self.name)
            return
        matches = self._parse(message.text)
        dimensions = self.config["dimensions"]
        for match in matches:
            if dimensions and match.get("dim") not in dimensions:
                continue
            entity = duckling_entity(match)
            if entity is not None:
                message.entities.append({**entity, "extractor": self.name})

    def _parse(self, text: str) -> list[Mapping[str, Any]]:
        form: dict[str, str] = {"text": text, "reftime": str(int(time.time() * 1000))}
        if self.config["locale"]:
            form["locale"] = str(self.config["locale"])
        if self.config["timezone"]:
            form["tz"] = str(self.config["timezone"])
        request = urllib.request.Request(
            f"{self.url}/parse",
            data=urllib.parse.urlencode(form).encode("utf-8"),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=float(self.config["timeout"])) as answer:
                body = json.loads(answer.read().decode("utf-8"))
        except (OSError, ValueError) as error:  # URLError, HTTPError and timeouts are OSErrors
            logger.error("Duckling at %s failed: %s; no Duckling entities", self.url, error)
            return []
        if not isinstance(body, list):
            logger.error("Duckling at %s answered no list; no Duckling entities", self.url)
            return []
        return [match for match in body if isinstance(match, Mapping)]


def duckling_entity(match: Mapping[str, Any]) -> dict[str, Any] | None:
    """One Duckling match as a Rasa entity (an interval's value is ``{"from", "to"}``)."""
    value = match.get("value")
    if not isinstance(value, Mapping) or not isinstance(match.get("dim"), str):
        return None
    if value.get("type") == "interval":
        entity_value: Any = {
            "from": _bound(value.get("from")),
            "to": _bound(value.get("to")),
        }
    else:
        entity_value = value.get("value")
    return {
        "entity": match["dim"],
        "start": match.get("start"),
        "end": match.get("end"),
        "text": match.get("body"),
        "value": entity_value,
        "confidence": 1.0,
        "additional_info": dict(value),
    }


def _bound(bound: Any) -> Any:
    return bound.get("value") if isinstance(bound, Mapping) else None
