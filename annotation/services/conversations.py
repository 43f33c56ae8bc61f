"""Recording conversations: one row per conversation, one row per Rasa event, appended in bulk."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from annotation.models import Assistant, Conversation, Event, EventEntity
from annotation.services.inbox import inbox_record_user_events
from annotation.tracker import RESETTING, REVERTING, TrackerState, event_kind, tracker_fold


def conversation_get_or_create(
    *, assistant: Assistant, sender_id: str, channel: str = "", model_id: str = ""
) -> Conversation:
    """The assistant's conversation with ``sender_id``, created (empty) when there is none."""
    now = timezone.now()
    defaults = {
        "channel": channel,
        "model_id": model_id,
        "started_at": now,
        "latest_event_at": now,
    }
    try:
        conversation, _ = Conversation.objects.get_or_create(
            assistant=assistant, sender_id=sender_id, defaults=defaults
        )
    except IntegrityError:  # created by a concurrent request in between
        conversation = Conversation.objects.get(assistant=assistant, sender_id=sender_id)
    if channel and not conversation.channel:  # first seen through the HTTP API
        Conversation.objects.filter(pk=conversation.pk, channel="").update(channel=channel)
        conversation.channel = channel
    return conversation


def _datetime(timestamp: Any) -> datetime:
    if isinstance(timestamp, int | float):
        return datetime.fromtimestamp(float(timestamp), tz=UTC)
    return timezone.now()


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _event_row(conversation: Conversation, position: int, data: dict[str, Any]) -> Event:
    kind = event_kind(data)
    row = Event(
        assistant_id=conversation.assistant_id,
        conversation=conversation,
        position=position,
        timestamp=_datetime(data.get("timestamp")),
        kind=kind,
        data=data,
    )
    if kind == "user":
        parse = data.get("parse_data") or {}
        intent = parse.get("intent") or {}
        row.intent = intent.get("name") or None
        row.intent_confidence = _float(intent.get("confidence"))
        row.entities = list(parse.get("entities") or [])
        row.text = data.get("text")
    elif kind in ("action", "action_execution_rejected", "followup"):
        row.action = data.get("name")
        row.policy = data.get("policy")
        row.confidence = _float(data.get("confidence"))
    elif kind == "bot":
        row.text = data.get("text")
    elif kind == "slot":
        row.slot_name = data.get("name")
        row.slot_value = data.get("value")
    elif kind == "active_loop":
        row.action = data.get("name")
    return row


def _state_of(conversation: Conversation, slot_defaults: Mapping[str, Any]) -> TrackerState:
    state = TrackerState.empty(slot_defaults)
    state.slots = dict(conversation.slots)
    state.active_loop = conversation.active_loop
    state.latest_action_name = conversation.latest_action_name
    state.paused = conversation.paused
    state.followup_action = conversation.followup_action
    return state


@transaction.atomic
def conversation_append_events(
    *,
    conversation: Conversation,
    events: Sequence[Mapping[str, Any]],
    slot_defaults: Mapping[str, Any] | None = None,
    model_id: str | None = None,
) -> list[Event]:
    """Store ``events`` (Rasa event dicts) after the conversation's last one, in one transaction,
    and bring the conversation's snapshot (slots, active loop, ...) up to date.

    Events without a ``timestamp`` get the current time. ``slot_defaults``: the domain's initial
    slot values, which a restart or ``reset_slots`` goes back to.
    """
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    defaults = dict(slot_defaults or {})
    now = time.time()
    datas = [{**dict(event), "timestamp": event.get("timestamp") or now} for event in events]
    if any(d.get("event") in REVERTING for d in datas):
        history = list(
            Event.objects.filter(
                conversation=locked, position__gte=locked.session_position
            ).values_list("data", flat=True)
        )
        state = tracker_fold([*history, *datas], slot_defaults=defaults)
    else:
        state = tracker_fold(datas, state=_state_of(locked, defaults))
    position = locked.event_count
    rows = [_event_row(locked, position + offset, data) for offset, data in enumerate(datas)]
    created = Event.objects.bulk_create(rows)
    entity_rows = [
        EventEntity(
            assistant_id=locked.assistant_id,
            event=row,
            entity=str(entity.get("entity", "")),
            value=str(entity.get("value", "")),
            role=entity.get("role"),
            group=entity.get("group"),
        )
        for row in created
        if row.kind == "user"
        for entity in row.entities
        if isinstance(entity, dict) and entity.get("entity")
    ]
    if entity_rows:
        EventEntity.objects.bulk_create(entity_rows)
    inbox_record_user_events(conversation=locked, events=created)
    for row in created:
        if row.data.get("event") in RESETTING:
            locked.session_position = row.position
    if created:
        locked.latest_event_at = max(row.timestamp for row in created)
        if locked.event_count == 0:
            locked.started_at = min(row.timestamp for row in created)
    locked.event_count = position + len(created)
    locked.slots = state.slots
    locked.active_loop = state.active_loop
    locked.latest_action_name = state.latest_action_name
    locked.paused = state.paused
    locked.followup_action = state.followup_action
    if model_id is not None:
        locked.model_id = model_id
    locked.save()
    for name in (
        "slots",
        "active_loop",
        "latest_action_name",
        "paused",
        "followup_action",
        "event_count",
        "session_position",
        "latest_event_at",
        "started_at",
        "model_id",
        "updated_at",
    ):
        setattr(conversation, name, getattr(locked, name))
    return created


@transaction.atomic
def conversation_replace_events(
    *,
    conversation: Conversation,
    events: Sequence[Mapping[str, Any]],
    slot_defaults: Mapping[str, Any] | None = None,
) -> list[Event]:
    """Replace every event of the conversation with ``events`` (Rasa's ``PUT .../events``)."""
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    locked.events.all().delete()
    locked.event_count = 0
    locked.session_position = 0
    locked.slots = dict(slot_defaults or {})
    locked.active_loop = None
    locked.latest_action_name = None
    locked.paused = False
    locked.followup_action = None
    locked.save()
    return conversation_append_events(
        conversation=conversation, events=events, slot_defaults=slot_defaults
    )
