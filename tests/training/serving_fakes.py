"""A fake model for serving tests: parses ``/intent{"entity": "value"}`` and predicts with rules."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from training.engine.data import DomainSpec, FormSpec, IntentSpec, SlotSpec, StoryEvent
from training.engine.dialogue import PolicyDecision

FORM_CONDITION = {"active_loop": "restaurant_form", "requested_slot": "people"}

DOMAIN = DomainSpec(
    intents=tuple(
        IntentSpec(name)
        for name in ("greet", "inform", "request_restaurant", "ask_weather", "affirm", "chitchat")
    ),
    slots=(
        SlotSpec("name", "text", mappings=({"type": "from_entity", "entity": "name"},)),
        SlotSpec("city", "text", mappings=({"type": "from_entity", "entity": "city"},)),
        SlotSpec("cuisine", "text", mappings=({"type": "from_entity", "entity": "cuisine"},)),
        SlotSpec(
            "people",
            "text",
            mappings=(
                {
                    "type": "from_text",
                    "not_intent": ["chitchat"],
                    "conditions": [FORM_CONDITION],
                },
            ),
        ),
        SlotSpec(
            "outdoor",
            "bool",
            mappings=(
                {"type": "from_intent", "intent": "affirm", "value": True},
                {
                    "type": "from_trigger_intent",
                    "intent": "request_restaurant",
                    "value": False,
                    "conditions": [{"active_loop": "restaurant_form"}],
                },
            ),
        ),
        SlotSpec("weather", "text", mappings=({"type": "custom"},)),
    ),
    actions=("action_weather", "action_slow", "action_broken", "action_reject"),
    responses=(
        (
            "utter_greet",
            (
                {
                    "text": "Hello {name}!",
                    "condition": [{"type": "slot", "name": "name", "value": "Ada"}],
                },
                {"text": "Hi there!"},
                {"text": "Hey, web user!", "channel": "socketio"},
            ),
        ),
        (
            "utter_ask_cuisine",
            ({"text": "Which cuisine?", "buttons": [{"title": "Thai", "payload": "/inform"}]},),
        ),
        ("utter_ask_people", ({"text": "For how many people?"},)),
        ("utter_submit", ({"text": "Booking {cuisine} for {people} in {city}."},)),
        ("utter_weather", ({"text": "It is {weather} in {place}."},)),
        ("utter_default", ({"text": "Sorry, say again?"},)),
    ),
    forms=(FormSpec("restaurant_form", ("cuisine", "people")),),
    session_expiration_time=60,
    carry_over_slots_to_new_session=True,
)

INTENT_ACTIONS = {
    "greet": "utter_greet",
    "request_restaurant": "restaurant_form",
    "ask_weather": "action_weather",
    "chitchat": "action_default_fallback",
}


def rule_policy(events: Sequence[StoryEvent]) -> str:
    active = None
    for event in events:
        if event.kind == "active_loop":
            active = event.name
        elif event.kind in ("restart", "session_started"):
            active = None
    last = next(e for e in reversed(events) if e.kind != "slot")
    if last.kind == "intent":
        if active:
            return active
        return INTENT_ACTIONS.get(last.name or "", "action_listen")
    if last.kind == "active_loop" and last.name is None:
        return "utter_submit"
    return "action_listen"


def fake_parse(text: str) -> dict[str, Any]:
    if text.startswith("/"):
        name, _, rest = text[1:].partition("{")
        values = json.loads("{" + rest) if rest else {}
        entities = [{"entity": k, "value": v} for k, v in values.items()]
        return {"text": text, "intent": {"name": name, "confidence": 1.0}, "entities": entities}
    return {"text": text, "intent": {"name": "chitchat", "confidence": 0.3}, "entities": []}


class FakeModel:
    def __init__(
        self,
        model_id: str,
        *,
        domain: DomainSpec = DOMAIN,
        policy: Callable[[Sequence[StoryEvent]], str] = rule_policy,
    ) -> None:
        self.metadata: dict[str, Any] = {"id": model_id, "domain": asdict(domain)}
        self.policy = policy
        self.seen: list[tuple[StoryEvent, ...]] = []

    def parse(self, text: str) -> dict[str, Any]:
        return fake_parse(text)

    def predict_next_action(self, events: Sequence[StoryEvent]) -> PolicyDecision:
        self.seen.append(tuple(events))
        action = self.policy(events)
        return PolicyDecision(
            action, 0.9, "FakeRulePolicy", ((action, 0.9), ("action_listen", 0.1))
        )


class NluOnlyModel:
    """A model without dialogue policies (no ``predict_next_action``)."""

    def __init__(self, model_id: str) -> None:
        self.metadata: dict[str, Any] = {"id": model_id, "domain": asdict(DOMAIN)}

    def parse(self, text: str) -> dict[str, Any]:
        return fake_parse(text)


def write_fake_archive(models_dir: Path, stamp: str, model_id: str) -> Path:
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / f"{stamp}-{model_id}.tar.gz"
    path.write_bytes(b"fake")
    return path
