"""Instances read by a plain statement equal those the ORM reads: every field converted."""

from __future__ import annotations

import pytest
from django.db import connection

from annotation.models import Conversation
from annotation.plain_rows import fetch_instances, model_columns
from annotation.services.conversations import conversation_append_events, conversation_get_or_create
from tests.annotation.test_conversations import CONVERSATION
from tests.factories import AssistantFactory

pytestmark = pytest.mark.django_db


def test_given_a_row_when_fetched_plainly_then_every_field_is_as_the_orm_reads_it() -> None:
    assistant = AssistantFactory(name="tiny")
    stored = conversation_get_or_create(assistant=assistant, sender_id="zoë", channel="rest")
    conversation_append_events(conversation=stored, events=CONVERSATION)
    Conversation.objects.filter(pk=stored.pk).update(paused=True)
    table = connection.ops.quote_name(Conversation._meta.db_table)

    rows = fetch_instances(
        Conversation,
        f"SELECT {model_columns(Conversation, 'c')}, 41 + 1 FROM {table} c WHERE c.id = %s",
        [stored.pk],
    )

    [(fetched, extras)] = rows
    expected = Conversation.objects.get(pk=stored.pk)
    for field in Conversation._meta.concrete_fields:
        assert getattr(fetched, field.attname) == getattr(expected, field.attname), field.name
    assert fetched.slots == {"city": "Berlin"} and fetched.paused is True
    assert fetched.latest_event_at.tzinfo is not None
    assert extras == (42,)
    assert not fetched._state.adding and fetched._state.db == "default"
