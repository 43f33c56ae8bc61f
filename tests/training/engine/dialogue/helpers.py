"""Tiny story builders for the dialogue tests."""

from __future__ import annotations

from training.engine.data import StoryEvent


def intent(name: str, **entities: str) -> StoryEvent:
    return StoryEvent(
        "intent",
        name,
        entities=tuple(
            {"entity": key, "value": value, "role": None, "group": None}
            for key, value in entities.items()
        ),
    )


def action(name: str) -> StoryEvent:
    return StoryEvent("action", name)


def slot(name: str, value: object) -> StoryEvent:
    return StoryEvent("slot", name, value=value)


def loop(name: str | None) -> StoryEvent:
    return StoryEvent("active_loop", name)


def bot(text: str) -> StoryEvent:
    return StoryEvent("bot", text=text)
