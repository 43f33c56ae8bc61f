"""Responses from the domain: a variation for the channel and the slots, placeholders filled."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

_PLACEHOLDER = re.compile(r"\{([^{}\s]+)\}")


def _condition_holds(variation: Mapping[str, Any], slots: Mapping[str, Any]) -> bool:
    for condition in variation.get("condition") or ():
        if not isinstance(condition, Mapping):
            continue
        if condition.get("type", "slot") == "slot" and slots.get(
            str(condition.get("name"))
        ) != condition.get("value"):
            return False
    return True


def pick_variation(
    variations: Sequence[Mapping[str, Any]],
    *,
    slots: Mapping[str, Any],
    channel: str | None,
    rng: random.Random,
) -> Mapping[str, Any] | None:
    """Variations for this channel (else those for no channel); among them, those whose
    conditions hold win over those without conditions; one is chosen with ``rng``."""
    for_channel = [v for v in variations if channel and v.get("channel") == channel]
    candidates = for_channel or [v for v in variations if not v.get("channel")]
    conditional = [v for v in candidates if v.get("condition") and _condition_holds(v, slots)]
    pool = conditional or [v for v in candidates if not v.get("condition")]
    return rng.choice(pool) if pool else None


def fill(value: Any, values: Mapping[str, Any]) -> Any:
    """``{name}`` placeholders in strings (nested in lists and dicts too) replaced by values."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: str(values[m[1]]) if m[1] in values else m[0], value)
    if isinstance(value, list | tuple):
        return [fill(v, values) for v in value]
    if isinstance(value, Mapping):
        return {k: fill(v, values) for k, v in value.items()}
    return value


def bot_event(
    *,
    text: str | None = None,
    buttons: Any = None,
    image: Any = None,
    custom: Any = None,
    attachment: Any = None,
    elements: Any = None,
    quick_replies: Any = None,
    utter_action: str | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event": "bot",
        "text": text,
        "data": {
            "elements": elements,
            "quick_replies": quick_replies,
            "buttons": buttons,
            "attachment": attachment,
            "image": image,
            "custom": custom,
        },
        "metadata": {"utter_action": utter_action} if utter_action else {},
    }
    return event


def render_response(
    name: str,
    variations: Sequence[Mapping[str, Any]],
    *,
    slots: Mapping[str, Any],
    channel: str | None,
    rng: random.Random,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The bot event for the response ``name``, or None when no variation fits."""
    variation = pick_variation(variations, slots=slots, channel=channel, rng=rng)
    if variation is None:
        return None
    values = {**slots, **(extra or {})}
    return bot_event(
        text=fill(variation.get("text"), values),
        buttons=fill(variation.get("buttons"), values),
        image=fill(variation.get("image"), values),
        custom=fill(variation.get("custom"), values),
        attachment=variation.get("attachment"),
        utter_action=name,
    )


def channel_message(recipient_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
    """A bot event as the REST channel answers it: ``{recipient_id, text, buttons, ...}``."""
    message: dict[str, Any] = {"recipient_id": recipient_id}
    if event.get("text") is not None:
        message["text"] = event["text"]
    data = event.get("data") or {}
    for key in ("buttons", "image", "custom", "attachment", "elements", "quick_replies"):
        if data.get(key):
            message[key] = data[key]
    return message
