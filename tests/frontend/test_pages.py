"""The studio's pages: sign-in required, members only, and edit controls by role."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from annotation.models import Assistant
from tests.factories import AssistantFactory, StoryFactory, StoryStepFactory
from tests.frontend.conversation_data import greeting_conversation

pytestmark = pytest.mark.django_db

PAGES = [
    "conversations/",
    "inbox/",
    "intents/",
    "nlu/synonyms/",
    "nlu/regexes/",
    "nlu/lookups/",
    "stories/",
    "domain/",
    "domain/slots/",
    "domain/entities/",
]


def page_url(assistant: Assistant, path: str = "") -> str:
    return f"/assistants/{assistant.pk}/{path}"


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("path", [*PAGES, "stories/new/", "members/", ""])
def test_given_nobody_signed_in_when_opening_a_page_then_they_are_sent_to_sign_in(
    client: Client, assistant: Assistant, path: str
) -> None:
    response = client.get(page_url(assistant, path))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("path", [*PAGES, "stories/new/", "members/", ""])
def test_given_an_outsider_when_opening_a_page_then_the_assistant_does_not_exist(
    assistant: Assistant, people: dict[str, Any], path: str
) -> None:
    response = signed_in(people["outsider"]).get(page_url(assistant, path))

    assert response.status_code == 404


@pytest.mark.parametrize("path", PAGES)
def test_given_a_viewer_when_opening_a_page_then_it_shows_without_edit_controls(
    assistant: Assistant, people: dict[str, Any], path: str
) -> None:
    response = signed_in(people["viewer"]).get(page_url(assistant, path))

    assert response.status_code == 200
    html = response.content.decode()
    assert "pizzabot" in html
    assert '"canAnnotate": false' in html
    for control in ('id="example-add"', 'id="intent-add"', 'id="list-add"', 'id="domain-add"'):
        assert control not in html
    assert "stories/new/" not in html
    assert f'href="/assistants/{assistant.pk}/members/"' not in html


def test_given_an_annotator_when_opening_the_intents_page_then_they_can_add_examples(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    html = signed_in(people["annotator"]).get(page_url(assistant, "intents/")).content.decode()

    assert 'id="example-add"' in html
    assert 'id="intent-add"' in html
    assert '"canAnnotate": true' in html


def test_given_an_annotator_when_opening_the_domain_then_it_is_read_only(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    html = signed_in(people["annotator"]).get(page_url(assistant, "domain/")).content.decode()

    assert 'id="domain-add"' not in html
    assert 'data-can-edit="false"' in html
    assert "Only the assistant's admins change the domain" in html


def test_given_an_admin_when_opening_the_domain_then_they_can_edit_it(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    html = signed_in(people["admin"]).get(page_url(assistant, "domain/responses/")).content.decode()

    assert 'id="domain-add"' in html
    assert "Add response" in html
    assert 'data-can-edit="true"' in html


def test_given_an_unknown_domain_tab_when_opening_it_then_404(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    assert signed_in(people["admin"]).get(page_url(assistant, "domain/nope/")).status_code == 404
    assert signed_in(people["admin"]).get(page_url(assistant, "nlu/nope/")).status_code == 404


def test_given_a_member_when_opening_the_assistant_then_they_land_on_its_conversations(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    response = signed_in(people["viewer"]).get(page_url(assistant))

    assert response.status_code == 302
    assert response["Location"] == page_url(assistant, "conversations/")


def test_given_a_member_when_listing_assistants_then_each_links_to_its_pages_with_the_role(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    AssistantFactory(name="secret-bot")

    html = signed_in(people["annotator"]).get("/").content.decode()

    assert f'href="/assistants/{assistant.pk}/"' in html
    assert "annotator" in html
    assert "secret-bot" not in html


# ------------------------------------------------------------------------------ conversations


def test_given_a_conversation_when_a_member_opens_it_then_the_page_names_its_sender(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    conversation = greeting_conversation(assistant)

    response = signed_in(people["viewer"]).get(
        page_url(assistant, f"conversations/{conversation.pk}/")
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "alice" in html
    assert 'id="save-story-form"' not in html


def test_given_an_annotator_when_opening_a_conversation_then_they_can_save_it_as_a_story(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    conversation = greeting_conversation(assistant)

    html = (
        signed_in(people["annotator"])
        .get(page_url(assistant, f"conversations/{conversation.pk}/"))
        .content.decode()
    )

    assert 'id="save-story-form"' in html


def test_given_another_assistants_conversation_when_opened_here_then_404(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    other = AssistantFactory(name="other")
    conversation = greeting_conversation(other)

    response = signed_in(people["admin"]).get(
        page_url(assistant, f"conversations/{conversation.pk}/")
    )

    assert response.status_code == 404


def test_given_an_annotator_when_opening_the_inbox_then_the_bulk_actions_are_there(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    annotator = signed_in(people["annotator"]).get(page_url(assistant, "inbox/")).content.decode()
    viewer = signed_in(people["viewer"]).get(page_url(assistant, "inbox/")).content.decode()

    assert 'id="inbox-bulk"' in annotator
    assert 'id="inbox-bulk"' not in viewer


# ------------------------------------------------------------------------------------ stories


def test_given_a_story_when_opening_it_then_its_yaml_is_in_the_editor(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    story = StoryFactory(assistant=assistant, name="happy path")
    StoryStepFactory(story=story, position=0, kind="intent", name="greet")
    StoryStepFactory(story=story, position=1, kind="action", name="utter_greet")

    response = signed_in(people["viewer"]).get(page_url(assistant, f"stories/{story.pk}/"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "- story: happy path" in html
    assert "- intent: greet" in html
    assert "- action: utter_greet" in html
    assert "readonly" in html


def test_given_a_viewer_when_opening_a_new_story_then_403(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    assert signed_in(people["viewer"]).get(page_url(assistant, "stories/new/")).status_code == 403


def test_given_an_annotator_when_opening_a_new_rule_then_the_editor_holds_a_rule_template(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    response = signed_in(people["annotator"]).get(page_url(assistant, "stories/new/?kind=rule"))

    assert response.status_code == 200
    assert "- rule: new rule" in response.content.decode()


def test_given_another_assistants_story_when_opened_here_then_404(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    story = StoryFactory(assistant=AssistantFactory(name="other"))

    response = signed_in(people["admin"]).get(page_url(assistant, f"stories/{story.pk}/"))

    assert response.status_code == 404
