"""Reads of recorded conversations: lists with reviewer filters, Rasa tracker JSON, YAML story."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from django.db import connection
from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from annotation.models import (
    Assistant,
    Conversation,
    ConversationTag,
    Event,
    EventEntity,
    EventKind,
)
from annotation.rasa_io.types import Project, SlotEvent, Story, StoryStep
from annotation.rasa_io.writer import DEFAULT_STORIES, DEFAULT_TEST_STORIES, render_project
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
    confidence_below: float | None = None,
    confidence_above: float | None = None,
    channel: str | None = None,
    tag: str | None = None,
    reviewed: bool | None = None,
    flagged: bool | None = None,
    q: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Conversation]:
    """The assistant's conversations, newest first, filtered on their events: a conversation
    matches when at least one of its events does.

    Each event filter is ``id IN (SELECT conversation_id FROM event WHERE ...)`` on an indexed
    column: the subquery runs once (a hash semi-join on PostgreSQL, a temporary index on
    SQLite), where a correlated ``EXISTS`` made SQLite probe the events once per conversation.
    ``max_confidence`` keeps those with a user message or an action below it;
    ``confidence_below`` / ``confidence_above`` look at user messages' intent confidence only;
    ``q`` searches the user messages' text (case-insensitive); ``since`` / ``until`` bound the
    latest event's time; ``flagged`` keeps those with (or without) a flagged event.
    """
    conversations = Conversation.objects.filter(assistant=assistant)
    events = Event.objects.filter(assistant=assistant)
    having: list[QuerySet[Any]] = []
    if intent:
        having.append(events.filter(intent=intent))
    if action:
        having.append(events.filter(action=action))
    if policy:
        having.append(events.filter(policy=policy))
    if slot:
        having.append(events.filter(slot_name=slot))
    if max_confidence is not None:
        having.append(
            events.filter(intent_confidence__lt=max_confidence)
            | events.filter(confidence__lt=max_confidence)
        )
    if confidence_below is not None:
        having.append(events.filter(intent_confidence__lt=confidence_below))
    if confidence_above is not None:
        having.append(events.filter(intent_confidence__gt=confidence_above))
    if q:
        having.append(events.filter(kind=EventKind.USER, text__icontains=q))
    for matching in having:
        conversations = conversations.filter(pk__in=matching.values("conversation_id"))
    if entity:
        rows = EventEntity.objects.filter(assistant=assistant, entity=entity)
        conversations = conversations.filter(pk__in=rows.values("event__conversation_id"))
    if flagged is not None:
        # every assistant's flagged events: few, and read from the partial index
        marked = Event.objects.filter(flagged=True).values("conversation_id")
        conversations = (
            conversations.filter(pk__in=marked) if flagged else conversations.exclude(pk__in=marked)
        )
    if tag:
        tagged = ConversationTag.objects.filter(assistant=assistant, name=tag)
        conversations = conversations.filter(pk__in=tagged.values("conversation_id"))
    if reviewed is not None:
        conversations = conversations.filter(reviewed=reviewed)
    if channel:
        conversations = conversations.filter(channel=channel)
    if since is not None:
        conversations = conversations.filter(latest_event_at__gte=since)
    if until is not None:
        conversations = conversations.filter(latest_event_at__lte=until)
    return conversations.order_by("-latest_event_at", "-id")


def conversation_review_list(**filters: Any) -> QuerySet[Conversation]:
    """:func:`conversation_list` with what a reviewer sees of each conversation, in the same
    query (a subquery per column, each on an index of the conversation's events) and its tags
    prefetched: ``preview`` (the latest user text), ``min_intent_confidence``,
    ``flagged_count``."""
    user_events = Event.objects.filter(conversation=OuterRef("pk"), kind=EventKind.USER)
    lowest = (
        user_events.filter(intent_confidence__isnull=False)
        .order_by("intent_confidence")
        .values("intent_confidence")[:1]
    )
    flagged = (
        Event.objects.filter(conversation=OuterRef("pk"), flagged=True)
        .order_by()
        .values("conversation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        conversation_list(**filters)
        .annotate(
            preview=Subquery(user_events.order_by("-position").values("text")[:1]),
            min_intent_confidence=Subquery(lowest),
            flagged_count=Coalesce(Subquery(flagged), 0),
        )
        .prefetch_related(
            Prefetch(
                "tags",
                queryset=ConversationTag.objects.order_by("name").only("name", "conversation_id"),
            )
        )
    )


def conversation_event_window(
    *, conversation: Conversation, after: int | None = None, limit: int = 200
) -> tuple[list[Event], int | None]:
    """Up to ``limit`` events after position ``after`` (from the start when ``None``), in
    order, and the position to ask after for the next window (``None`` at the end)."""
    events = Event.objects.filter(conversation=conversation)
    if after is not None:
        events = events.filter(position__gt=after)
    rows = list(events.order_by("position")[: limit + 1])
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1].position
    return rows, None


def conversation_tag_counts(*, assistant: Assistant, q: str | None = None) -> list[dict[str, Any]]:
    """The tags in use on the assistant's conversations, with how many conversations have each
    (``q``: names that start with it, case aside)."""
    tags = ConversationTag.objects.filter(assistant=assistant)
    if q:
        tags = tags.filter(name__istartswith=q)
    counted = tags.values("name").annotate(count=Count("pk")).order_by("name")
    return [{"name": row["name"], "count": row["count"]} for row in counted]


def conversation_events(
    *, conversation: Conversation, since_session: bool = True
) -> list[dict[str, Any]]:
    """The conversation's Rasa event dicts, in order: from the latest restart / session start,
    or all of them."""
    # one plain statement: every message reads its conversation's events
    quote = connection.ops.quote_name
    since = conversation.session_position if since_session else 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote('data')} FROM {quote(Event._meta.db_table)}"
            f" WHERE {quote('conversation_id')} = %s AND {quote('position')} >= %s"
            f" ORDER BY {quote('position')}",
            [conversation.pk, since],
        )
        rows = cursor.fetchall()
    return [json.loads(data) if isinstance(data, str | bytes) else data for (data,) in rows]


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


def conversation_story(
    *, conversation: Conversation, name: str | None = None, test: bool = False
) -> Story:
    """The conversation's latest session as one story (reverts applied). A test story keeps
    each user message's text beside its intent (Rasa's ``user:`` + ``intent:`` steps)."""
    events = tracker_fold(conversation_events(conversation=conversation)).applied
    steps = story_steps(events)
    if test:
        texts = iter([event.get("text") for event in events if event.get("event") == "user"])
        steps = [
            dataclasses.replace(step, text=next(texts, None)) if step.kind == "intent" else step
            for step in steps
        ]
    return Story(
        kind="story", name=name or conversation.sender_id, steps=tuple(steps), is_test=test
    )


def story_yaml(story: Story) -> str:
    """One story as the Rasa 3.1 YAML file it would be exported to."""
    files = render_project(Project(stories=(story,)))
    return files[DEFAULT_TEST_STORIES if story.is_test else DEFAULT_STORIES].decode("utf-8")
