"""``training.bots.assistants.bot_assistant``: the assistant a ``/bots/<assistant>/`` URL names,
read with its ``endpoints.yml`` in one statement, which the action server's URL then comes from."""

from __future__ import annotations

from typing import Any

import pytest

from annotation.models import Asset, Assistant
from tests.factories import AssistantFactory
from training.bots.assistants import bot_assistant
from training.serving import assistant_action_endpoint

pytestmark = pytest.mark.django_db


def test_given_names_and_ids_when_looked_up_then_the_name_comes_first() -> None:
    named = AssistantFactory(name="bot")
    numbered = AssistantFactory(name=str(named.pk + 100))
    other = AssistantFactory(name="other")

    assert bot_assistant("bot") == named
    assert bot_assistant(str(other.pk)) == other
    assert bot_assistant(numbered.name) == numbered
    assert bot_assistant("nobody") is None


def with_asset(path: str, content: bytes) -> Assistant:
    assistant = AssistantFactory(name="bot")
    Asset.objects.create(assistant=assistant, path=path, content=content)
    return assistant


@pytest.mark.parametrize(
    ("path", "content", "url"),
    [
        ("endpoints.yml", b"action_endpoint:\n  url: http://127.0.0.1:5055/webhook\n",
         "http://127.0.0.1:5055/webhook"),
        ("actions/actions.py", b"# actions", None),  # no endpoints.yml
    ],
)  # fmt: skip
def test_given_the_assistants_files_when_it_is_looked_up_then_its_endpoint_needs_no_query(
    django_assert_num_queries: Any, path: str, content: bytes, url: str | None
) -> None:
    with_asset(path, content)

    with django_assert_num_queries(1):
        found = bot_assistant("bot")
        assert found is not None
        assert assistant_action_endpoint(assistant=found) == url


def test_given_an_assistant_read_elsewhere_when_its_endpoint_is_asked_then_it_is_read(
    django_assert_num_queries: Any,
) -> None:
    assistant = with_asset(
        "endpoints.yml", b"action_endpoint:\n  url: http://actions:5055/webhook\n"
    )

    with django_assert_num_queries(1):
        assert assistant_action_endpoint(assistant=assistant) == "http://actions:5055/webhook"
