"""factory_boy factories for the annotation models."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from annotation import models as m


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("password")


class AssistantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Assistant

    name = factory.Sequence(lambda n: f"assistant-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Membership

    assistant = factory.SubFactory(AssistantFactory)
    user = factory.SubFactory(UserFactory)
    role = m.Role.ANNOTATOR


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


class EntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Entity

    assistant = factory.SubFactory(AssistantFactory)
    name = factory.Sequence(lambda n: f"entity_{n}")


class IntentBlockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.IntentBlock

    assistant = factory.SubFactory(AssistantFactory)
    intent = factory.SubFactory(IntentFactory, assistant=factory.SelfAttribute("..assistant"))


class ExampleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Example

    assistant = factory.SubFactory(AssistantFactory)
    block = factory.SubFactory(IntentBlockFactory, assistant=factory.SelfAttribute("..assistant"))
    intent = factory.LazyAttribute(lambda e: e.block.intent)
    text = factory.Sequence(lambda n: f"fly to Berlin number {n}")


class EntitySpanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.EntitySpan

    example = factory.SubFactory(ExampleFactory)
    assistant = factory.LazyAttribute(lambda s: s.example.assistant)
    start = 7
    end = 13
    entity = "city"
    value = "Berlin"


class StoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Story

    assistant = factory.SubFactory(AssistantFactory)
    name = factory.Sequence(lambda n: f"story {n}")


class StoryStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.StoryStep

    story = factory.SubFactory(StoryFactory)
    position = factory.Sequence(lambda n: n)
    kind = m.StepKind.INTENT
    name = "greet"
