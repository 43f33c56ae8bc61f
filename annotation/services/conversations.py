"""Recording conversations: one row per conversation, one row per Rasa event, appended in bulk."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from annotation.few_trips import Trips, transaction_in_few_trips
from annotation.models import Assistant, Conversation, Event, EventEntity
from annotation.plain_rows import fetch_instances, model_columns
from annotation.selectors.conversations import conversation_events
from annotation.services.inbox import inbox_record_user_messages
from annotation.services.known_histories import MAX_KNOWN_EVENTS, KnownHistory
from annotation.sized_lru import SizedLru
from annotation.tracker import RESETTING, REVERTING, TrackerState, event_kind, tracker_fold


def conversation_get_or_create(
    *, assistant: Assistant, sender_id: str, channel: str = "", model_id: str = ""
) -> Conversation:
    """The assistant's conversation with ``sender_id``, created (empty) when there is none."""
    conversation = _conversation_of(assistant.pk, sender_id) or _created(
        assistant, sender_id, channel, model_id
    )
    _note_channel(conversation, channel)
    return conversation


def conversation_open(
    *, assistant: Assistant, sender_id: str, channel: str = "", model_id: str = ""
) -> tuple[Conversation, list[dict[str, Any]]]:
    """``conversation_get_or_create`` and the conversation's events since its latest session
    start (``conversation_events``), read with one statement when it exists: every message
    opens its conversation, and on PostgreSQL each statement is a round trip to the server."""
    found = _conversation_with_events(assistant.pk, sender_id)
    if found is None:
        conversation = _created(assistant, sender_id, channel, model_id)
        events = conversation_events(conversation=conversation) if conversation.event_count else []
    else:
        conversation, events = found
    _note_channel(conversation, channel)
    return conversation, events


def _created(assistant: Assistant, sender_id: str, channel: str, model_id: str) -> Conversation:
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
    return conversation


def _note_channel(conversation: Conversation, channel: str) -> None:
    if channel and not conversation.channel:  # first seen through the HTTP API
        Conversation.objects.filter(pk=conversation.pk, channel="").update(channel=channel)
        conversation.channel = channel


def _conversation_of(assistant_id: int, sender_id: str) -> Conversation | None:
    """The conversation, read with one plain statement (the ORM's query building cost more than
    the query)."""
    quote = connection.ops.quote_name
    found = fetch_instances(
        Conversation,
        f"SELECT {model_columns(Conversation, 'c')} FROM {quote(Conversation._meta.db_table)} c"
        f" WHERE c.{quote('assistant_id')} = %s AND c.{quote('sender_id')} = %s",
        [assistant_id, sender_id],
    )
    return found[0][0] if found else None


# what this process read last of each conversation's session (not inside transactions, which may
# roll back what they read)
_known_histories: SizedLru[KnownHistory] = SizedLru(MAX_KNOWN_EVENTS)  # sized by events


def known_histories_clear() -> None:
    """Forget every conversation's known events (tests: a flushed database reuses ids)."""
    _known_histories.clear()


def _conversation_with_events(
    assistant_id: int, sender_id: str
) -> tuple[Conversation, list[dict[str, Any]]] | None:
    """The conversation and its session's events, the part this process knows not read again."""
    settings = connection.settings_dict
    key = (connection.alias, settings["NAME"], settings.get("HOST"), assistant_id, sender_id)
    shared = not connection.in_atomic_block
    known = _known_histories.get(key) if shared else None
    since = known.end if known is not None else 0
    found = _read_session(assistant_id, sender_id, since)
    if found is None:
        return None
    conversation, events, id_at_since, last_id = found
    session = conversation.session_position
    if (
        known is not None
        and known.conversation_id == conversation.pk
        and known.last_event_id == id_at_since
        and session >= known.session_position
    ):  # what this process knows still stands
        listed = [*known.events[session - known.session_position :], *events]
    elif session >= since:  # a new session since: the events read are all of it
        listed = events
    else:  # replaced, or another conversation under that sender: read it all
        found = _read_session(assistant_id, sender_id, 0)
        if found is None:
            return None
        conversation, listed, _, last_id = found
    if shared:
        session = conversation.session_position
        kept = KnownHistory(conversation.pk, session, tuple(listed), last_id)
        _known_histories.put(key, kept, len(kept.events))
    return conversation, listed


def _read_session(
    assistant_id: int, sender_id: str, since: int
) -> tuple[Conversation, list[dict[str, Any]], int | None, int | None] | None:
    """The conversation, its session's events from position ``since`` on, the id of the event
    at ``since - 1`` and the id of its last event."""
    found = fetch_instances(
        Conversation, _session_sql(connection.vendor), [since, since - 1, assistant_id, sender_id]
    )
    if not found:
        return None
    conversation, (events, id_before, last_id) = found[0]
    listed = _from_json(events) or []
    if connection.vendor != "postgresql":
        listed = [data for _position, data in sorted(listed, key=itemgetter(0))]
    return conversation, listed, id_before, last_id


@functools.cache  # built once per database vendor: every message runs it
def _session_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    if vendor == "postgresql":
        events = f"json_agg(e.{quote('data')} ORDER BY e.{quote('position')})"
    else:  # SQLite's json_group_array has no ORDER BY before 3.44: the positions come along
        # (json() cannot fail: the column's CHECK holds JSON_VALID)
        events = f"json_group_array(json_array(e.{quote('position')}, json(e.{quote('data')})))"
    table = quote(Event._meta.db_table)
    of_conversation = f"e.{quote('conversation_id')} = c.{quote('id')}"
    position = f"e.{quote('position')}"
    return (
        f"SELECT {model_columns(Conversation, 'c')}, (SELECT {events} FROM {table} e"
        f" WHERE {of_conversation}"
        f" AND {position} >= c.{quote('session_position')} AND {position} >= %s) AS parley_events,"
        f" (SELECT e.{quote('id')} FROM {table} e WHERE {of_conversation} AND {position} = %s)"
        " AS parley_id_before,"
        f" (SELECT e.{quote('id')} FROM {table} e WHERE {of_conversation}"
        f" AND {position} = c.{quote('event_count')} - 1) AS parley_last_id"
        f" FROM {quote(Conversation._meta.db_table)} c"
        f" WHERE c.{quote('assistant_id')} = %s AND c.{quote('sender_id')} = %s"
    )


def _datetime(timestamp: Any) -> datetime:
    if isinstance(timestamp, int | float):
        return datetime.fromtimestamp(float(timestamp), tz=UTC)
    return timezone.now()


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


# Recording is every message's write, so it runs as a few prepared statements rather than
# through the ORM (whose query building cost more than the queries: bench.webhook_bench).
_EVENT_COLUMNS = (
    "assistant_id",
    "conversation_id",
    "position",
    "timestamp",
    "kind",
    "intent",
    "intent_confidence",
    "action",
    "policy",
    "confidence",
    "entities",
    "slot_name",
    "slot_value",
    "text",
    "data",
    "flagged",
)
_ENTITY_COLUMNS = ("assistant_id", "event_id", "entity", "value", "role", "group")
_SNAPSHOT_COLUMNS = (
    "event_count",
    "session_position",
    "slots",
    "active_loop",
    "latest_action_name",
    "paused",
    "followup_action",
)
_SNAPSHOT_UPDATED = (*_SNAPSHOT_COLUMNS, "updated_at")


@dataclass
class _Row:
    """An event about to be stored, with its filter columns."""

    position: int
    timestamp: datetime
    kind: str
    data: dict[str, Any]
    intent: str | None = None
    intent_confidence: float | None = None
    action: str | None = None
    policy: str | None = None
    confidence: float | None = None
    entities: list[Any] = field(default_factory=list)
    slot_name: str | None = None
    slot_value: Any = None
    text: str | None = None


def _event_row(position: int, data: dict[str, Any]) -> _Row:
    kind = event_kind(data)
    row = _Row(position=position, timestamp=_datetime(data.get("timestamp")), kind=kind, data=data)
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


def _quoted(columns: Sequence[str]) -> str:
    return ", ".join(connection.ops.quote_name(c) for c in columns)


def _json(value: Any) -> str:
    """A JSON column's value as its text, which both databases take for JSON (on PostgreSQL the
    column gives the parameter its type): Django's adapter wraps the value in an object that
    psycopg2 quotes through Python code, and was looked up through the thread's connection proxy
    for every value (3 per event)."""
    return json.dumps(value)


def _from_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _insert_rows(trips: Trips, conversation: Conversation, rows: Sequence[_Row]) -> None:
    """INSERT the events in one statement and their entities in another; the events' statement
    waits to go with the next one unless their ids are needed for the entities."""
    ops = connection.ops
    params: list[Any] = []
    for row in rows:
        params += [
            conversation.assistant_id,
            conversation.pk,
            row.position,
            ops.adapt_datetimefield_value(row.timestamp),
            row.kind,
            row.intent,
            row.intent_confidence,
            row.action,
            row.policy,
            row.confidence,
            _json(row.entities),
            row.slot_name,
            None if row.slot_value is None else _json(row.slot_value),  # SQL NULL, as the ORM
            row.text,
            _json(row.data),
            False,
        ]
    sql = _insert_sql(connection.vendor, Event, len(rows))
    of_rows = [_entities(row) for row in rows]
    if not any(of_rows):
        trips.later(sql, params)
        return
    ids = [int(found[0]) for found in trips.run(sql, params).fetchall()]
    entities = [
        (conversation.assistant_id, event_id, *entity)
        for found, event_id in zip(of_rows, ids, strict=True)
        for entity in found
    ]
    trips.later(  # one statement for them all (executemany sends one each)
        _insert_sql(connection.vendor, EventEntity, len(entities)),
        [value for entity in entities for value in entity],
    )


def _entities(row: _Row) -> list[tuple[str, str, Any, Any]]:
    """A user event's entity rows: (entity, value, role, group)."""
    if row.kind != "user":
        return []
    return [
        (str(entity.get("entity", "")), str(entity.get("value", "")), entity.get("role"),
         entity.get("group"))
        for entity in row.entities
        if isinstance(entity, dict) and entity.get("entity")
    ]  # fmt: skip


@functools.lru_cache(maxsize=256)  # by vendor: every message runs these with a few row counts
def _insert_sql(vendor: str, model: type[Event] | type[EventEntity], rows: int) -> str:
    """``rows`` rows of ``model``'s recorded columns in one INSERT; events return their ids."""
    columns = _EVENT_COLUMNS if model is Event else _ENTITY_COLUMNS
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    quote = connection.ops.quote_name
    returning = f" RETURNING {quote('id')}" if model is Event else ""
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({_quoted(columns)})"
        f" VALUES {', '.join([row] * rows)}{returning}"
    )


@dataclass
class _Snapshot:
    """The conversation's row: as the caller read it, or as the transaction found it (locked on
    PostgreSQL; SQLite's transactions take the write lock at BEGIN: settings
    ``transaction_mode``)."""

    event_count: int
    session_position: int
    slots: dict[str, Any]
    active_loop: str | None
    latest_action_name: str | None
    paused: bool
    followup_action: str | None

    @classmethod
    def of(cls, conversation: Conversation) -> _Snapshot:
        return cls(
            conversation.event_count,
            conversation.session_position,
            dict(conversation.slots or {}),
            conversation.active_loop,
            conversation.latest_action_name,
            conversation.paused,
            conversation.followup_action,
        )

    def state(self, slot_defaults: Mapping[str, Any]) -> TrackerState:
        state = TrackerState.empty(slot_defaults)
        state.slots = dict(self.slots)
        state.active_loop = self.active_loop
        state.latest_action_name = self.latest_action_name
        state.paused = self.paused
        state.followup_action = self.followup_action
        return state


def _snapshot_locked(conversation: Conversation) -> _Snapshot:
    ops = connection.ops
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_quoted(_SNAPSHOT_COLUMNS)} FROM"
            f" {ops.quote_name(Conversation._meta.db_table)} WHERE {ops.quote_name('id')} = %s"
            + lock,
            [conversation.pk],
        )
        found = cursor.fetchone()
    if found is None:
        raise Conversation.DoesNotExist(f"Conversation {conversation.pk} is gone.")
    count, session, slots, loop, action, paused, followup = found
    return _Snapshot(
        int(count), int(session), _from_json(slots) or {}, loop, action, bool(paused), followup
    )


def _update_conversation(
    trips: Trips,
    conversation: Conversation,
    columns: Sequence[str],
    *,
    unchanged_since: tuple[int, datetime] | None = None,
) -> bool:
    """UPDATE ``columns`` of the conversation's row to the values ``conversation`` has; with
    ``unchanged_since`` = (event_count, updated_at), only if the row still has those. Whether
    the row was updated."""
    ops = connection.ops
    values: list[Any] = []
    for name in columns:
        value = getattr(conversation, name)
        if name == "slots":
            value = _json(value)
        elif isinstance(value, datetime):
            value = ops.adapt_datetimefield_value(value)
        values.append(value)
    assignments = ", ".join(f"{ops.quote_name(name)} = %s" for name in columns)
    where = f"{ops.quote_name('id')} = %s"
    params: list[Any] = [conversation.pk]
    if unchanged_since is not None:
        count, updated = ops.quote_name("event_count"), ops.quote_name("updated_at")
        where += f" AND {count} = %s AND {updated} = %s"
        params += [unchanged_since[0], ops.adapt_datetimefield_value(unchanged_since[1])]
    sql = f"UPDATE {ops.quote_name(Conversation._meta.db_table)} SET {assignments} WHERE {where}"
    return bool(trips.run(sql, [*values, *params]).rowcount)


def conversation_append_events(
    *,
    conversation: Conversation,
    events: Sequence[Mapping[str, Any]],
    slot_defaults: Mapping[str, Any] | None = None,
    model_id: str | None = None,
) -> None:
    """Store ``events`` (Rasa event dicts) after the conversation's last one, in one transaction,
    and bring the conversation's snapshot (slots, active loop, ...) up to date, in the database
    and on ``conversation``.

    Events without a ``timestamp`` get the current time. ``slot_defaults``: the domain's initial
    slot values, which a restart or ``reset_slots`` goes back to.
    """
    defaults = dict(slot_defaults or {})
    now = time.time()
    datas = [{**dict(event), "timestamp": event.get("timestamp") or now} for event in events]
    # Optimistically from the row as ``conversation`` was read: one UPDATE that holds only if
    # nobody wrote the row since (a SELECT ... FOR UPDATE first cost a round trip per message);
    # otherwise again from the row as it is now, locked. On PostgreSQL the transaction takes
    # two or three round trips in all (``annotation.few_trips``).
    seen = (conversation.event_count, conversation.updated_at)
    rows, columns = _advance(conversation, _Snapshot.of(conversation), datas, defaults, model_id)
    with transaction_in_few_trips() as trips:
        if not _update_conversation(trips, conversation, columns, unchanged_since=seen):
            snapshot = _snapshot_locked(conversation)
            conversation.refresh_from_db(fields=["started_at", "latest_event_at"])
            rows, columns = _advance(conversation, snapshot, datas, defaults, model_id)
            _update_conversation(trips, conversation, columns)
        if rows:
            _insert_rows(trips, conversation, rows)
            inbox_record_user_messages(
                trips=trips,
                conversation=conversation,
                messages=(
                    (row.text, row.intent, row.intent_confidence, row.entities, row.timestamp)
                    for row in rows
                    if row.kind == "user"
                ),
            )


def _advance(
    conversation: Conversation,
    snapshot: _Snapshot,
    datas: Sequence[dict[str, Any]],
    defaults: Mapping[str, Any],
    model_id: str | None,
) -> tuple[list[_Row], list[str]]:
    """Set ``conversation``'s snapshot columns to what ``datas`` make of ``snapshot``: the rows
    to insert and the columns to update."""
    if any(d.get("event") in REVERTING for d in datas):
        history = list(
            Event.objects.filter(
                conversation=conversation, position__gte=snapshot.session_position
            ).values_list("data", flat=True)
        )
        state = tracker_fold([*history, *datas], slot_defaults=defaults)
    else:
        state = tracker_fold(datas, state=snapshot.state(defaults))
    position = snapshot.event_count
    rows = [_event_row(position + offset, data) for offset, data in enumerate(datas)]
    conversation.session_position = snapshot.session_position
    columns = list(_SNAPSHOT_UPDATED)
    if rows:
        for row in rows:
            if row.data.get("event") in RESETTING:
                conversation.session_position = row.position
        conversation.latest_event_at = max(row.timestamp for row in rows)
        columns.append("latest_event_at")
        if position == 0:
            conversation.started_at = min(row.timestamp for row in rows)
            columns.append("started_at")
    conversation.event_count = position + len(rows)
    conversation.slots = state.slots
    conversation.active_loop = state.active_loop
    conversation.latest_action_name = state.latest_action_name
    conversation.paused = state.paused
    conversation.followup_action = state.followup_action
    if model_id is not None:
        conversation.model_id = model_id
        columns.append("model_id")
    conversation.updated_at = timezone.now()
    return rows, columns


@transaction.atomic
def conversation_replace_events(
    *,
    conversation: Conversation,
    events: Sequence[Mapping[str, Any]],
    slot_defaults: Mapping[str, Any] | None = None,
) -> None:
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
    conversation_append_events(
        conversation=conversation, events=events, slot_defaults=slot_defaults
    )
