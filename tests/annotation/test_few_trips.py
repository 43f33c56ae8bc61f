"""A transaction's statements sent to PostgreSQL together (``annotation.few_trips``): BEGIN with
the first, COMMIT with the last, results read only where asked for; rolled back whole on an
error; Django's ``atomic`` elsewhere."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from annotation.few_trips import transaction_in_few_trips
from annotation.models import Conversation
from annotation.services.conversations import (
    conversation_append_events,
    conversation_get_or_create,
)
from tests.factories import AssistantFactory

INSERT = "INSERT INTO parley_trips (name) VALUES (%s)"
NAMES = "SELECT name FROM parley_trips ORDER BY name"
on_postgresql = pytest.mark.skipif("connection.vendor != 'postgresql'")


@pytest.fixture
def names_table() -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE parley_trips (name varchar(20) PRIMARY KEY)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE parley_trips")


def names() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(NAMES)
        return [row[0] for row in cursor.fetchall()]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_given_statements_when_committed_then_they_go_in_two_round_trips(names_table: None) -> None:
    with CaptureQueriesContext(connection) as captured, transaction_in_few_trips() as trips:
        trips.later(INSERT, ["a"])
        counted = trips.run("SELECT count(*) FROM parley_trips WHERE name <> %s", ["z"])
        assert counted.fetchone() == (1,)  # the statement waiting went first
        trips.later(INSERT, ["b"])
        trips.later(INSERT, ["c"])

    sent = [query["sql"] for query in captured.captured_queries]
    assert len(sent) == 2
    assert sent[0].startswith("BEGIN; PREPARE")
    assert sent[1].endswith("; COMMIT")
    assert sent[1].count("EXECUTE") == 2  # b and c, through the statement prepared for a
    assert names() == ["a", "b", "c"]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_given_a_failing_statement_when_sent_then_the_whole_transaction_is_rolled_back(
    names_table: None,
) -> None:
    with pytest.raises(IntegrityError), transaction_in_few_trips() as trips:
        trips.run(INSERT, ["a"])
        trips.later(INSERT, ["b"])
        trips.later(INSERT, ["a"])  # taken: fails with the COMMIT

    assert names() == []
    with transaction_in_few_trips() as trips:  # the connection goes on; the statement too
        trips.later(INSERT, ["c"])
    assert names() == ["c"]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_given_an_error_between_statements_when_raised_then_nothing_is_kept(
    names_table: None,
) -> None:
    with pytest.raises(RuntimeError), transaction_in_few_trips() as trips:
        trips.run(INSERT, ["a"])
        raise RuntimeError("the caller failed")

    assert names() == []
    assert connection.get_autocommit()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_given_a_statement_first_used_in_a_failed_transaction_then_it_is_prepared_again(
    names_table: None,
) -> None:
    other = "INSERT INTO parley_trips (name) SELECT %s WHERE %s"
    with pytest.raises(DatabaseError), transaction_in_few_trips() as trips:
        trips.later(other, ["a", True])
        trips.run("SELECT 1 / 0 WHERE %s", [True])

    with transaction_in_few_trips() as trips:
        trips.later(other, ["b", True])

    assert names() == ["b"]


@pytest.mark.django_db(transaction=True)
def test_given_an_outer_transaction_when_it_rolls_back_then_so_does_the_inner_one(
    names_table: None,
) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        with transaction_in_few_trips() as trips:
            trips.later(INSERT, ["a"])
        assert names() == ["a"]  # sent at once, inside the outer transaction
        raise RuntimeError("the outer transaction fails")

    assert names() == []


@pytest.mark.django_db(transaction=True)
def test_given_any_database_when_a_statement_fails_then_nothing_is_kept(names_table: None) -> None:
    with pytest.raises(IntegrityError), transaction_in_few_trips() as trips:
        trips.later(INSERT, ["a"])
        trips.later(INSERT, ["a"])

    assert names() == []


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_given_a_recorded_turn_when_stored_then_its_round_trips_are_few() -> None:
    assistant = AssistantFactory()
    conversation = conversation_get_or_create(assistant=assistant, sender_id="alice")
    user = {
        "event": "user",
        "text": "concerts in Berlin",
        "parse_data": {
            "intent": {"name": "search", "confidence": 0.9},
            "entities": [{"entity": "city", "value": "Berlin", "start": 12, "end": 18}],
        },
    }
    turn = [{"event": "action", "name": "utter_ok"}, {"event": "bot", "text": "OK"}]

    with CaptureQueriesContext(connection) as without_entities:
        conversation_append_events(conversation=conversation, events=turn)
    with CaptureQueriesContext(connection) as with_entities:
        conversation_append_events(conversation=conversation, events=[user, *turn])

    # BEGIN + UPDATE; the events, the inbox item (if any), COMMIT; entities need the events' ids
    assert len(without_entities.captured_queries) == 2
    assert len(with_entities.captured_queries) == 3
    stored = Conversation.objects.get(pk=conversation.pk)
    assert stored.event_count == 5
    assert list(stored.events.order_by("position").values_list("kind", flat=True)) == [
        "action", "bot", "user", "action", "bot",
    ]  # fmt: skip
    assert [e.value for e in stored.events.get(kind="user").entity_rows.all()] == ["Berlin"]
    assert assistant.inbox.get().count == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_given_a_connection_lost_mid_transaction_when_it_fails_then_that_error_is_raised(
    names_table: None,
) -> None:
    with pytest.raises(OperationalError), transaction_in_few_trips() as trips:
        trips.run(INSERT, ["a"])
        with connection.cursor() as cursor:  # the server ends this connection's backend
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    assert names() == []  # a new connection: the transaction never committed
