"""Hot statements prepared once per PostgreSQL connection, then executed; run as they are on
other databases."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from annotation import prepared
from tests.factories import AssistantFactory

pytestmark = pytest.mark.django_db

NAME_OF = "SELECT name FROM annotation_assistant WHERE id = %s"


def run(sql: str, params: list[object]) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)
        return cursor.fetchall() if cursor.description else []


def test_given_placeholders_when_numbered_then_they_count_from_one() -> None:
    assert prepared.numbered("a = %s AND b IN (%s, %s)") == "a = $1 AND b IN ($2, $3)"
    assert prepared.numbered("no parameters") == "no parameters"


def test_given_a_statement_run_twice_then_the_answers_are_those_of_a_plain_one() -> None:
    first, second = AssistantFactory(name="first"), AssistantFactory(name="second")

    with CaptureQueriesContext(connection) as captured:
        answers = [run(NAME_OF, [first.pk]), run(NAME_OF, [second.pk]), run(NAME_OF, [0])]

    assert answers == [[("first",)], [("second",)], []]
    sent = [q["sql"].split()[0] for q in captured.captured_queries]
    if connection.vendor == "postgresql":
        assert sent == ["PREPARE", "EXECUTE", "EXECUTE"]  # the PREPARE in the first round trip
        assert {prepared.executed_sql(connection, q["sql"]) for q in captured} == {NAME_OF}
    else:
        assert sent == ["SELECT"] * 3


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_given_a_new_connection_when_run_then_it_prepares_again() -> None:
    assistant = AssistantFactory(name="again")
    run(NAME_OF, [assistant.pk])
    connection.close()

    with CaptureQueriesContext(connection) as captured:
        assert run(NAME_OF, [assistant.pk]) == [("again",)]

    assert captured.captured_queries[-1]["sql"].startswith("PREPARE")


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_given_a_first_use_that_fails_when_run_again_then_it_prepares_under_a_new_name() -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE parley_names (name text PRIMARY KEY)")
        cursor.execute("INSERT INTO parley_names (name) VALUES ('taken')")
    insert = "INSERT INTO parley_names (name) VALUES (%s)"

    with pytest.raises(IntegrityError), transaction.atomic():
        run(insert, ["taken"])  # prepared, then the EXECUTE fails
    run(insert, ["free"])

    assert run("SELECT name FROM parley_names ORDER BY name", []) == [("free",), ("taken",)]


def test_given_a_literal_percent_when_run_then_it_is_not_prepared() -> None:
    AssistantFactory(name="50% off")

    with CaptureQueriesContext(connection) as captured:
        rows = run("SELECT name FROM annotation_assistant WHERE name LIKE '%%off'", [])

    assert rows == [("50% off",)]
    assert captured.captured_queries[0]["sql"].startswith("SELECT")
