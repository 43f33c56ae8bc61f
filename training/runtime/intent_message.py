"""Messages that name their intent, as Rasa reads them before NLU: ``/intent``,
``/intent{"entity": "value"}``, ``/intent@0.8{...}`` (buttons send such payloads)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection
from typing import Any

logger = logging.getLogger(__name__)

_MESSAGE = re.compile(
    r"^/(?P<intent>[^{@]+)(?P<confidence>@[0-9.]+)?(?P<entities>\{.+\})?(?P<rest>.*)$", re.DOTALL
)


def parse_intent_message(text: str, *, intents: Collection[str]) -> dict[str, Any] | None:
    """Rasa's parse result for ``text`` when it names an intent of the domain; None otherwise
    (the message then goes through NLU, as in Rasa). Bad entity JSON keeps the intent."""
    match = _MESSAGE.match(text.strip())
    if match is None:
        return None
    intent = match["intent"].strip()
    if intent not in intents:
        return None
    confidence = _confidence(match["confidence"])
    entities: list[dict[str, Any]] = []
    if match["entities"]:
        start, end = match.span("entities")  # in the stripped text, as Rasa counts
        for name, values in _entity_values(match["entities"], text).items():
            for value in values if isinstance(values, list) else [values]:
                entities.append({"entity": name, "value": value, "start": start, "end": end})
    if match["rest"].strip():
        logger.warning("ignored the text after the intent and entities of %r", text)
    return {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities,
        "intent_ranking": [{"name": intent, "confidence": confidence}],
    }


def _confidence(group: str | None) -> float:
    try:
        return min(max(float(group[1:]), 0.0), 1.0) if group else 1.0
    except ValueError:
        return 1.0


def _entity_values(raw: str, text: str) -> dict[str, Any]:
    try:
        values = json.loads(raw)
    except ValueError:
        logger.warning("the entities of %r are not JSON: the intent is kept without them", text)
        return {}
    return values if isinstance(values, dict) else {}
