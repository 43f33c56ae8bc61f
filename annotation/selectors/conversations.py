"""Reads of recorded conversations: lists with reviewer filters, Rasa tracker JSON, YAML story."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from django.db.models import Exists, OuterRef, QuerySet

from annotation.models import Assistant, Conversation, Event, EventEntity
from annotation.rasa_io.types import Project, SlotEvent, Story, StoryStep
from annotation.rasa_io.writer import render_project
from annotation.tracker import RESETTING, TrackerState, tracker_fold

IncludeEvents = Literal["ALL", "AFTER_RESTART", "APPLIED", "NONE"]


def conversation_get(*, assistant: Assistant, sender_id: str) -> Conversation | None:
    return Conversation.objects.filter(assistant=assistant, sender_id=sender_id).first()


def conversation_list(
    *,
    assistant: Assistant,
    intent: str | None = None,
    action: str | None = None,
    entity: str | None = None,
    slot: str | None = None,
    policy: str | None = None,
    max_confidence: float | None = None,
    channel: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Conversation]:
    """The assistant's conversations, newest first, filtered on their events (each filter an
    indexed ``EXISTS``): ``max_confidence`` keeps those with a user message or an action below it.
    """
    conversations = Conversation.objects.filter(assistant=assistant)
    events = Event.objects.filter(assistant=assistant, conversation=OuterRef("pk"))
    if intent:
        conversations = conversations.filter(Exists(events.filter(intent=intent)))
    if action:
        conversations = conversations.filter(Exists(events.filter(action=action)))
    if policy:
        conversations = conversations.filter(Exists(events.filter(policy=policy)))
    if slot:
        conversations = conversations.filter(Exists(events.filter(slot_name=slot)))
    if max_confidence is not None:
        low = events.filter(intent_confidence__lt=max_confidence) | events.filter(
            confidence__lt=max_confidence
        )
        conversations = conversations.filter(Exists(low))
    if entity:
        rows = EventEntity.objects.filter(
            assistant=assistant, entity=entity, event__conversation=OuterRef("pk")
        )
        conversations = conversations.filter(Exists(rows))
    if channel:
        conversations = conversations.filter(channel=channel)
    if since is not None:
        conversations = conversations.filter(latest_event_at__gte=since)
    if until is not None:
        conversations = conversations.filter(started_at__lt=until)
    return conversations.order_by("-latest_event_at", "-id")


def conversation_events(
    *, conversation: Conversation, since_session: bool = True
) -> list[dict[str, Any]]:
    """The conversation's Rasa event dicts, in order: from the latest restart / session start,
    or all of them."""
    events = Event.objects.filter(conversation=conversation)
    if since_session:
        events = events.filter(position__gte=conversation.session_position)
    return list(events.order_by("position").values_list("data", flat=True))


def tracker_json(
    *,
    sender_id: str,
    state: TrackerState,
    events: Sequence[Mapping[str, Any]] | None,
) -> dict[str, Any]:
    """A tracker in the shape of Rasa's ``GET /conversations/<id>/tracker``."""
    latest = state.latest_message or {}
    latest_message = {
        "intent": latest.get("intent") or {},
        "entities": latest.get("entities") or [],
        "text": latest.get("text"),
        "message_id": latest.get("message_id"),
        "metadata": latest.get("metadata") or {},
    }
    for key in ("intent_ranking", "response_selector"):
        if key in latest:
            latest_message[key] = latest[key]
    channel = None
    for event in reversed(state.applied):
        if event.get("event") == "user":
            channel = event.get("input_channel")
            latest_message["message_id"] = event.get("message_id")
            latest_message["metadata"] = event.get("metadata") or {}
            break
    return {
        "sender_id": sender_id,
        "slots": dict(state.slots),
        "latest_message": latest_message,
        "latest_event_time": state.latest_event_time,
        "followup_action": state.followup_action,
        "paused": state.paused,
        "events": [dict(e) for e in events] if events is not None else None,
        "latest_input_channel": channel,
        "active_loop": {"name": state.active_loop} if state.active_loop else {},
        "latest_action": (
            {"action_name": state.latest_action_name} if state.latest_action_name else {}
        ),
        "latest_action_name": state.latest_action_name,
    }


def conversation_tracker(
    *,
    conversation: Conversation,
    slot_defaults: Mapping[str, Any] | None = None,
    include_events: IncludeEvents = "AFTER_RESTART",
) -> dict[str, Any]:
    """The conversation as Rasa tracker JSON (``include_events`` as Rasa's query parameter):
    ``ALL`` events, those ``AFTER_RESTART`` (the latest ``restart``; earlier sessions included,
    as Rasa's full tracker), ``APPLIED`` (the latest session with reverts applied), ``NONE``."""
    events_query = Event.objects.filter(conversation=conversation)
    if include_events == "AFTER_RESTART":
        restart = (
            events_query.filter(kind="restart")
            .order_by("-position")
            .values_list("position", flat=True)
            .first()
        )
        events_query = events_query.filter(position__gte=restart or 0)
    elif include_events != "ALL":
        events_query = events_query.filter(position__gte=conversation.session_position)
    history = list(events_query.order_by("position").values_list("data", flat=True))
    state = tracker_fold(history, slot_defaults=slot_defaults)
    events: list[dict[str, Any]] | None
    if include_events == "NONE":
        events = None
    elif include_events == "APPLIED":
        events = state.applied
    else:
        events = history
    return tracker_json(sender_id=conversation.sender_id, state=state, events=events)


def _entity_item(entity: Mapping[str, Any]) -> Any:
    if entity.get("role") or entity.get("group"):
        return {k: entity[k] for k in ("entity", "value", "role", "group") if entity.get(k)}
    return {str(entity.get("entity")): entity.get("value")}


def story_steps(events: Sequence[Mapping[str, Any]]) -> list[StoryStep]:
    """Story steps for events already folded (reverts applied)."""
    steps: list[StoryStep] = []
    for event in events:
        name = event.get("event")
        if name == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            entities = (event.get("parse_data") or {}).get("entities") or []
            steps.append(
                StoryStep(
                    kind="intent",
                    name=intent or "nlu_fallback",
                    entities=tuple(_entity_item(e) for e in entities if isinstance(e, dict)),
                )
            )
        elif name == "action" and event.get("name") not in (
            "action_listen",
            "action_session_start",
        ):
            steps.append(StoryStep(kind="action", name=event.get("name")))
        elif name == "slot":
            slot = SlotEvent(name=str(event.get("name")), value=event.get("value"))
            if steps and steps[-1].kind == "slot_was_set":
                last = steps.pop()
                steps.append(StoryStep(kind="slot_was_set", slots=(*last.slots, slot)))
            else:
                steps.append(StoryStep(kind="slot_was_set", slots=(slot,)))
        elif name in ("active_loop", "form"):
            steps.append(StoryStep(kind="active_loop", name=event.get("name") or None))
    return steps


def conversation_story_yaml(*, conversation: Conversation, all_sessions: bool = False) -> str:
    """The conversation as a Rasa 3.1 YAML story: the latest session, or one story per session."""
    history = conversation_events(conversation=conversation, since_session=not all_sessions)
    sessions: list[list[dict[str, Any]]] = [[]]
    for event in history:
        if event.get("event") in RESETTING and sessions[-1]:
            sessions.append([])
        sessions[-1].append(event)
    stories = []
    for number, session in enumerate(sessions, start=1):
        steps = story_steps(tracker_fold(session).applied)
        if not steps:
            continue
        name = (
            conversation.sender_id if len(sessions) == 1 else f"{conversation.sender_id}, {number}"
        )
        stories.append(Story(kind="story", name=name, steps=tuple(steps)))
    if not stories:
        return 'version: "3.1"\nstories: []\n'
    files = render_project(Project(stories=tuple(stories)))
    return files["data/stories.yml"].decode("utf-8")
