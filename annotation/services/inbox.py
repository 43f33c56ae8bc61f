"""The NLU inbox: user messages of recorded conversations that are not NLU examples yet.

Messages with the same text (stripped, case-folded) share one :class:`InboxItem` that counts
them. ``inbox_record_user_messages`` keeps the table up to date as events are recorded (one
statement per text of a batch), ``inbox_rebuild`` fills it from events recorded before it existed.
Confirming an item makes it an NLU example; archived and deleted items stay in the table (as
statuses) so that the same text recorded again does not come back as new.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from django.db import connection, transaction
from django.utils import timezone

from annotation.few_trips import Trips
from annotation.models import (
    Assistant,
    Conversation,
    Event,
    Example,
    InboxItem,
    InboxStatus,
    Intent,
    TextKey,
)
from annotation.services.errors import AnnotationError
from annotation.services.items import SpanInput, example_create, intent_create

BulkAction = Literal["confirm", "archive", "delete"]
_BATCH = 1000
# a user message as the inbox counts it: (text, intent, confidence, entities, recorded at)
InboxMessage = tuple[str | None, str | None, float | None, Any, datetime]

# ---------------------------------------------------------------------------------- errors

INTERACTIVE_CHANNEL = "interactive"  # training.interactive records its sessions on it


class UnknownIntentError(AnnotationError):
    code = "unknown_intent"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"This assistant has no intent named {name!r}; pick another or ask to create it"
        )


class InvalidSpanError(AnnotationError):
    code = "invalid_span"

    def __init__(self, message: str) -> None:
        super().__init__(message)


class InboxItemClosedError(AnnotationError):
    code = "inbox_item_closed"
    http_status = 409

    def __init__(self, status: str) -> None:
        super().__init__(f"This message is {status} and cannot be confirmed")


# ------------------------------------------------------------------------------ recording


def inbox_key(text: str) -> str:
    """What merges duplicates: the text stripped and case-folded, hashed (a fixed-size key
    that a unique index can hold however long the message)."""
    return hashlib.sha256(text.strip().casefold().encode("utf-8")).hexdigest()


def is_inbox_text(text: str | None) -> bool:
    """A message worth annotating: not empty, not Rasa's ``/intent{...}`` shortcut."""
    stripped = (text or "").strip()
    return bool(stripped) and not stripped.startswith("/")


def _shifted_entities(entities: Any, lead: int, length: int) -> list[dict[str, Any]]:
    """Rasa's predicted entities, with offsets into the stripped text; others dropped."""
    kept: list[dict[str, Any]] = []
    for entity in entities if isinstance(entities, list) else []:
        if not isinstance(entity, dict) or not entity.get("entity"):
            continue
        start, end = entity.get("start"), entity.get("end")
        if not isinstance(start, int) or not isinstance(end, int):
            continue
        start, end = start - lead, end - lead
        if not 0 <= start < end <= length:
            continue
        item: dict[str, Any] = {
            "start": start,
            "end": end,
            "entity": str(entity["entity"]),
            "value": entity.get("value"),
        }
        for key in ("role", "group"):
            if entity.get(key):
                item[key] = entity[key]
        kept.append(item)
    return kept


@dataclass
class _Seen:
    """Messages of one text within a batch: how many, and the latest one's parse."""

    text: str
    latest_at: datetime
    intent: str | None = None
    confidence: float | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0

    def add(
        self,
        *,
        text: str,
        intent: str | None,
        confidence: float | None,
        entities: list[dict[str, Any]],
        at: datetime,
    ) -> None:
        self.count += 1
        if at >= self.latest_at:
            self.text, self.intent, self.confidence = text, intent, confidence
            self.entities, self.latest_at = entities, at


def _aggregate(messages: Iterable[InboxMessage]) -> dict[str, _Seen]:
    """``(text, intent, confidence, entities, timestamp)`` of user messages, by key."""
    seen: dict[str, _Seen] = {}
    for raw, intent, confidence, entities, at in messages:
        if raw is None or not is_inbox_text(raw):
            continue
        text = raw.strip()
        lead = len(raw) - len(raw.lstrip())
        key = inbox_key(text)
        entry = seen.get(key)
        if entry is None:
            entry = seen[key] = _Seen(text=text, latest_at=at)
        entry.add(
            text=text,
            intent=intent,
            confidence=confidence,
            entities=_shifted_entities(entities, lead, len(text)),
            at=at,
        )
    return seen


# PostgreSQL reads an untyped parameter in a SELECT list as text: each gets its column's type
# (the statement is prepared: ``annotation.prepared``)
_PG_CASTS = {
    "assistant_id": "bigint",
    "key": "varchar",
    "text": "text",
    "count": "integer",
    "intent": "varchar",
    "confidence": "double precision",
    "entities": "jsonb",
    "latest_at": "timestamptz",
    "status": "varchar",
    "created_at": "timestamptz",
    "updated_at": "timestamptz",
}
_COLUMNS = (
    "assistant_id",
    "key",
    "text",
    "count",
    "intent",
    "confidence",
    "entities",
    "latest_at",
    "status",
    "created_at",
    "updated_at",
)


@functools.cache  # built once per database vendor: every recorded user message runs it
def _upsert_sql(vendor: str) -> str:
    """Insert an item, or add to the count of the existing one, unless the text already is an
    example; one statement.

    Raw SQL because the ORM's ``bulk_create(update_conflicts=True)`` can neither increment a
    count nor skip a row on a condition; ``INSERT ... SELECT ... WHERE NOT EXISTS ... ON
    CONFLICT DO UPDATE`` reads the same on PostgreSQL and SQLite, is atomic under concurrent
    recordings of the same text, and finds examples through their ``example_text_key`` index
    (the same expression, ``TextKey``, on both sides).
    """
    quote = connection.ops.quote_name
    table = quote(InboxItem._meta.db_table)
    examples = quote(Example._meta.db_table)
    casts = _PG_CASTS if vendor == "postgresql" else {}
    values = ", ".join(f"CAST(%s AS {casts[c]})" if c in casts else "%s" for c in _COLUMNS)
    example_key = TextKey.template % {"expressions": quote("text")}
    text_key = TextKey.template % {"expressions": "%s"}
    return (
        f"INSERT INTO {table} ({', '.join(quote(c) for c in _COLUMNS)}) SELECT {values}"
        f" WHERE NOT EXISTS (SELECT 1 FROM {examples} WHERE {quote('assistant_id')} = %s"
        f" AND {example_key} = {text_key})"
        f" ON CONFLICT ({quote('assistant_id')}, {quote('key')}) DO UPDATE SET"
        f" {quote('count')} = {table}.{quote('count')} + excluded.{quote('count')},"
        + ", ".join(
            f" {quote(c)} = excluded.{quote(c)}"
            for c in ("text", "intent", "confidence", "entities", "latest_at", "updated_at")
        )
    )


def inbox_record_user_messages(
    *, trips: Trips, conversation: Conversation, messages: Iterable[InboxMessage]
) -> None:
    """Count freshly recorded user messages ``(text, intent, confidence, entities, time)`` into
    the inbox, in the transaction of ``trips`` (whose statements it sends ``later``).

    Costs nothing without user messages, else one statement per distinct text (see
    ``_upsert_sql``). Messages that are examples, and ``/intent`` shortcuts, are left out.
    Texts go in sorted order so that two transactions lock the items they share in the same
    order (no deadlock). Interactive-learning sessions are teaching, not users: left out.
    """
    if conversation.channel == INTERACTIVE_CHANNEL:
        return
    seen = _aggregate(messages)
    if not seen:
        return
    sql = _upsert_sql(connection.vendor)
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    assistant_id = conversation.assistant_id
    for key in sorted(seen):
        entry = seen[key]
        trips.later(
            sql,
            [
                assistant_id,
                key,
                entry.text,
                entry.count,
                entry.intent,
                entry.confidence,
                json.dumps(entry.entities),
                ops.adapt_datetimefield_value(entry.latest_at),
                InboxStatus.OPEN.value,
                now,
                now,
                assistant_id,
                entry.text,
            ],
        )


@transaction.atomic
def inbox_rebuild(*, assistant: Assistant) -> int:
    """Recount the inbox from every user message recorded for the assistant (for conversations
    recorded before the inbox existed). Items keep their status; counts, latest texts and
    parses are replaced. Returns the number of items written."""
    messages = (
        Event.objects.filter(assistant=assistant, kind="user")
        .values_list("text", "intent", "intent_confidence", "entities", "timestamp")
        .iterator(chunk_size=5000)
    )
    seen = _aggregate(messages)
    examples = Example.objects.filter(assistant=assistant).values_list("text", flat=True)
    for text in examples.iterator(chunk_size=5000):
        seen.pop(inbox_key(text), None)
    existing = dict(InboxItem.objects.filter(assistant=assistant).values_list("key", "pk"))
    now = timezone.now()
    rows = [
        InboxItem(
            pk=existing.get(key),
            assistant=assistant,
            key=key,
            text=entry.text,
            count=entry.count,
            intent=entry.intent,
            confidence=entry.confidence,
            entities=entry.entities,
            latest_at=entry.latest_at,
            updated_at=now,
        )
        for key, entry in seen.items()
    ]
    InboxItem.objects.bulk_update(
        [row for row in rows if row.pk is not None],
        ["text", "count", "intent", "confidence", "entities", "latest_at", "updated_at"],
        batch_size=_BATCH,
    )
    InboxItem.objects.bulk_create([row for row in rows if row.pk is None], batch_size=_BATCH)
    return len(rows)


# ------------------------------------------------------------------------------- actions


def _spans(text: str, entities: Sequence[Mapping[str, Any]]) -> list[SpanInput]:
    spans = []
    for index, entity in enumerate(entities):
        start, end = int(entity["start"]), int(entity["end"])
        if not 0 <= start < end <= len(text):
            raise InvalidSpanError(
                f"Entity {index + 1} ({start}-{end}) does not lie inside the text "
                f"(length {len(text)})"
            )
        if not text[start:end].strip():
            raise InvalidSpanError(f"Entity {index + 1} covers only spaces")
        value = entity.get("value")
        spans.append(
            SpanInput(
                start=start,
                end=end,
                entity=str(entity["entity"]),
                value=str(value) if value not in (None, "") else text[start:end],
                role=entity.get("role") or None,
                group=entity.get("group") or None,
            )
        )
    return spans


@transaction.atomic
def inbox_item_confirm(
    *,
    item: InboxItem,
    intent: str,
    entities: Sequence[Mapping[str, Any]] | None = None,
    create_intent: bool = False,
) -> Example:
    """Make the message an NLU example of ``intent`` (created when ``create_intent``), with
    ``entities`` as its spans (the predicted ones when left out); the item leaves the inbox."""
    locked = InboxItem.objects.select_for_update().get(pk=item.pk)
    if locked.status in (InboxStatus.CONFIRMED, InboxStatus.DELETED):
        raise InboxItemClosedError(locked.status)
    assistant = locked.assistant
    intent_row = Intent.objects.filter(assistant=assistant, name=intent).first()
    if intent_row is None:
        if not create_intent:
            raise UnknownIntentError(intent)
        intent_row = intent_create(assistant=assistant, data={"name": intent})
    spans = _spans(locked.text, locked.entities if entities is None else entities)
    example = example_create(assistant=assistant, intent=intent_row, text=locked.text, spans=spans)
    locked.status = InboxStatus.CONFIRMED
    locked.example = example
    locked.save(update_fields=["status", "example", "updated_at"])
    return example


def inbox_item_archive(*, item: InboxItem) -> None:
    """Put the message aside (listed under ``status=archived``)."""
    _set_status(InboxItem.objects.filter(pk=item.pk), InboxStatus.ARCHIVED)


def inbox_item_delete(*, item: InboxItem) -> None:
    """Drop the message from the inbox; the row stays so that it does not come back."""
    _set_status(InboxItem.objects.filter(pk=item.pk), InboxStatus.DELETED)


def _set_status(items: Any, status: InboxStatus) -> int:
    return int(
        items.exclude(status=InboxStatus.CONFIRMED).update(status=status, updated_at=timezone.now())
    )


@transaction.atomic
def inbox_items_bulk(*, assistant: Assistant, ids: Sequence[int], action: BulkAction) -> int:
    """Archive, delete or confirm (each with its predicted intent and entities) the
    assistant's items ``ids``; returns how many were done. Items that cannot be confirmed
    (no predicted intent, an intent the assistant does not have, already closed) are skipped."""
    items = InboxItem.objects.filter(assistant=assistant, pk__in=list(ids))
    if action == "archive":
        return _set_status(items, InboxStatus.ARCHIVED)
    if action == "delete":
        return _set_status(items, InboxStatus.DELETED)
    candidates = list(
        items.filter(status__in=[InboxStatus.OPEN, InboxStatus.ARCHIVED], intent__isnull=False)
        .select_for_update()
        .order_by("pk")
    )
    intents = {
        row.name: row
        for row in Intent.objects.filter(
            assistant=assistant, name__in={item.intent for item in candidates}
        )
    }
    done = []
    for item in candidates:
        intent = intents.get(item.intent or "")
        if intent is None:
            continue
        spans = _spans(item.text, item.entities)
        item.example = example_create(
            assistant=assistant, intent=intent, text=item.text, spans=spans
        )
        item.status = InboxStatus.CONFIRMED
        done.append(item)
    InboxItem.objects.bulk_update(done, ["status", "example"])
    return len(done)
