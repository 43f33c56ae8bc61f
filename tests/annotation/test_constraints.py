"""Database rules that hold whatever code writes the rows (check constraints and triggers)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from annotation import models as m
from tests.factories import (
    AssistantFactory,
    EntitySpanFactory,
    ExampleFactory,
    IntentFactory,
    StoryFactory,
    StoryStepFactory,
)

pytestmark = pytest.mark.django_db


def _refused(fn: object) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()  # type: ignore[operator]


def test_given_a_span_starting_at_its_end_when_saved_then_refused() -> None:
    example = ExampleFactory(text="fly to Berlin")
    _refused(lambda: EntitySpanFactory(example=example, start=7, end=7))
    _refused(lambda: EntitySpanFactory(example=example, start=9, end=7))
    assert not m.EntitySpan.objects.exists()


def test_given_a_span_inside_the_text_when_saved_then_kept() -> None:
    example = ExampleFactory(text="fly to Berlin")
    span = EntitySpanFactory.create(example=example, start=7, end=13)
    assert m.EntitySpan.objects.get().pk == span.pk


def test_given_a_span_past_the_end_of_the_text_when_saved_then_the_trigger_refuses_it() -> None:
    example = ExampleFactory(text="fly to Berlin")
    _refused(lambda: EntitySpanFactory(example=example, start=7, end=14))
    assert not m.EntitySpan.objects.exists()


def test_given_a_span_when_moved_past_the_end_then_the_trigger_refuses_it() -> None:
    span = EntitySpanFactory.create(example=ExampleFactory(text="fly to Berlin"), start=7, end=13)
    _refused(lambda: m.EntitySpan.objects.filter(pk=span.pk).update(end=20))
    span.refresh_from_db()
    assert span.end == 13


def test_given_a_span_when_bulk_created_past_the_end_then_refused() -> None:
    example = ExampleFactory.create(text="hi")
    _refused(
        lambda: m.EntitySpan.objects.bulk_create(
            [
                m.EntitySpan(
                    assistant_id=example.assistant_id,
                    example_id=example.pk,
                    start=0,
                    end=3,
                    entity="x",
                )
            ]
        )
    )


def test_given_an_annotated_example_when_text_shortened_under_the_span_then_refused() -> None:
    span = EntitySpanFactory.create(example=ExampleFactory(text="fly to Berlin"), start=7, end=13)
    _refused(lambda: m.Example.objects.filter(pk=span.example_id).update(text="fly to"))
    assert m.Example.objects.get().text == "fly to Berlin"


def test_given_an_annotated_example_when_its_text_keeps_the_span_then_allowed() -> None:
    span = EntitySpanFactory.create(example=ExampleFactory(text="fly to Berlin"), start=7, end=13)
    m.Example.objects.filter(pk=span.example_id).update(text="go to Berlin!")
    assert m.Example.objects.get().text == "go to Berlin!"


def test_given_a_unicode_text_when_a_span_ends_at_its_last_character_then_allowed() -> None:
    # length() counts characters on both databases, as Python offsets do
    example = ExampleFactory(text="nach Köln")
    EntitySpanFactory(example=example, start=5, end=9, value="Köln")
    _refused(lambda: EntitySpanFactory(example=example, start=5, end=10))


def test_given_an_intent_name_when_repeated_in_one_assistant_then_refused() -> None:
    assistant = AssistantFactory()
    IntentFactory(assistant=assistant, name="greet")
    _refused(lambda: IntentFactory(assistant=assistant, name="greet"))


def test_given_an_intent_name_when_used_in_two_assistants_then_allowed() -> None:
    IntentFactory(assistant=AssistantFactory(), name="greet")
    IntentFactory(assistant=AssistantFactory(), name="greet")
    assert m.Intent.objects.filter(name="greet").count() == 2


def test_given_an_empty_intent_name_or_example_text_when_saved_then_refused() -> None:
    _refused(lambda: IntentFactory(name=""))
    _refused(lambda: ExampleFactory(text=""))


def test_given_two_steps_at_one_position_when_saved_then_refused() -> None:
    story = StoryFactory()
    StoryStepFactory(story=story, position=0)
    _refused(lambda: StoryStepFactory(story=story, position=0))
