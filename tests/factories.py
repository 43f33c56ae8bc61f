"""factory_boy factories: users, assistants with members and roles, and their items."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model

from annotation import models as m


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("secret-pass")


class AssistantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Assistant

    name = factory.Sequence(lambda n: f"assistant-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Membership

    assistant = factory.SubFactory(AssistantFactory)
    user = factory.SubFactory(UserFactory)
    role = m.Role.VIEWER


class ProjectFileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ProjectFile

    assistant = factory.SubFactory(AssistantFactory)
    path = factory.Sequence(lambda n: f"data/nlu_{n}.yml")
    kind = m.FileKind.DATA
    version = "3.1"
    sections = factory.LazyFunction(lambda: ["nlu"])


class IntentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Intent

    assistant = factory.SubFactory(AssistantFactory)
    name = factory.Sequence(lambda n: f"intent_{n}")
    position = factory.Sequence(lambda n: n)


class EntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Entity

    assistant = factory.SubFactory(AssistantFactory)
    name = factory.Sequence(lambda n: f"entity_{n}")


class IntentBlockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.IntentBlock

    intent = factory.SubFactory(IntentFactory)
    assistant = factory.SelfAttribute("intent.assistant")


class ExampleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Example

    block = factory.SubFactory(IntentBlockFactory)
    intent = factory.SelfAttribute("block.intent")
    assistant = factory.SelfAttribute("block.assistant")
    text = factory.Sequence(lambda n: f"book a table for {n} people")
    position = factory.Sequence(lambda n: n)


class EntitySpanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.EntitySpan

    example = factory.SubFactory(ExampleFactory)
    assistant = factory.SelfAttribute("example.assistant")
    start = 0
    end = 4
    entity = "thing"
    value = factory.LazyAttribute(lambda o: o.example.text[o.start : o.end])


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Response

    assistant = factory.SubFactory(AssistantFactory)
    name = factory.Sequence(lambda n: f"utter_{n}")


class ResponseVariationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ResponseVariation

    response = factory.SubFactory(ResponseFactory)
    text = factory.Sequence(lambda n: f"Hello {n}")
    position = factory.Sequence(lambda n: n)


class StoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Story

    assistant = factory.SubFactory(AssistantFactory)
    name = factory.Sequence(lambda n: f"story {n}")
    kind = m.StoryKind.STORY


class StoryStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.StoryStep

    story = factory.SubFactory(StoryFactory)
    position = factory.Sequence(lambda n: n)
    kind = m.StepKind.INTENT
    name = "greet"


def member(assistant: m.Assistant, role: str, **user: Any) -> Any:
    """A user with ``role`` on ``assistant``."""
    return MembershipFactory(assistant=assistant, role=role, user=UserFactory(**user)).user
