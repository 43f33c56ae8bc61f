"""A page costs the same number of queries whatever its size (no query per row)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from annotation.models import Assistant, Intent
from tests.annotation.api.conftest import api_url
from tests.factories import (
    EntitySpanFactory,
    ExampleFactory,
    IntentBlockFactory,
    ResponseVariationFactory,
    StoryFactory,
    StoryStepFactory,
)


def _examples(assistant: Assistant, count: int) -> None:
    block = IntentBlockFactory(intent=Intent.objects.get(assistant=assistant, name="greet"))
    for _ in range(count):
        EntitySpanFactory(example=ExampleFactory(block=block), entity="thing")


def _responses_distinct(assistant: Assistant, count: int) -> None:
    for _ in range(count):
        variation = ResponseVariationFactory(response__assistant=assistant)
        ResponseVariationFactory(response=variation.response)


def _stories(assistant: Assistant, count: int) -> None:
    for _ in range(count):
        story = StoryFactory(assistant=assistant)
        StoryStepFactory.create_batch(3, story=story)


MAKERS: dict[str, Callable[[Assistant, int], None]] = {
    "examples": _examples,
    "responses": _responses_distinct,
    "stories": _stories,
}


def _queries(client: APIClient, url: str, page_size: int) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    return len(captured.captured_queries)


@pytest.mark.parametrize("resource", sorted(MAKERS))
def test_given_5_or_50_rows_when_listing_then_the_query_count_is_the_same(
    resource: str, assistant: Assistant, people: dict[str, Any], client_for: Any
) -> None:
    MAKERS[resource](assistant, 50)
    client = client_for(people["viewer"])
    url = api_url(assistant, resource)

    small = _queries(client, url, 5)
    large = _queries(client, url, 50)

    assert small == large
    assert large <= 5  # role lookup, count, page, one per prefetched relation


def test_given_a_list_when_counting_queries_exactly_then_examples_take_four(
    assistant: Assistant, people: dict[str, Any], client_for: Any, django_assert_num_queries: Any
) -> None:
    _examples(assistant, 12)
    client = client_for(people["viewer"])

    # the assistant with my role, the count, the page with intents, the spans
    with django_assert_num_queries(4):
        client.get(api_url(assistant, "examples"), {"page_size": 10})
