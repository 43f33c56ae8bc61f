"""Every main page of the studio renders its content without script errors; a screenshot of
each lands in tests/screenshots/ for a person to look at."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from annotation.models import Role, Story
from tests.browser.studio import concertbot_with_conversations, make_member, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (screenshot name, path under the assistant, text the loaded page shows)
PAGES = [
    ("conversations", "conversations/", "alice"),
    ("intents", "intents/?intent=search_concerts", "find me a concert"),
    ("synonyms", "nlu/synonyms/", "synonym"),
    ("lookups", "nlu/lookups/", "lookup"),
    ("stories", "stories/", "greet at the start of a conversation"),
    ("domain_responses", "domain/responses/", "utter_greet"),
    ("domain_slots", "domain/slots/", "mappings"),
    ("domain_entities", "domain/entities/", "role from"),
    ("domain_forms", "domain/forms/", "asks for"),
    ("members", "members/", "Add a person"),
]


def test_given_an_admin_when_visiting_every_page_then_each_shows_its_content(
    page: Page, live_server: Any, django_user_model: Any, screenshot_dir: Path
) -> None:
    assistant = concertbot_with_conversations()
    make_member(django_user_model, assistant, "ada", Role.ADMIN)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server.url, "ada")
    page.screenshot(path=str(screenshot_dir / "studio_assistants.png"))
    base = f"{live_server.url}/assistants/{assistant.pk}/"

    for name, path, text in PAGES:
        page.goto(base + path)
        expect(page.locator("main")).to_contain_text(text)
        expect(page.locator(".loading")).to_have_count(0)
        page.screenshot(path=str(screenshot_dir / f"studio_{name}.png"))

    page.get_by_role("button", name="Check the data").click()
    expect(page.locator("#validate-report")).to_contain_text("ready to train")

    story = Story.objects.get(assistant=assistant, name="concerts, no reviews wanted")
    page.goto(f"{base}stories/{story.pk}/")
    expect(page.locator("#story-steps li")).to_have_count(12)
    page.screenshot(path=str(screenshot_dir / "studio_story.png"))

    page.goto(f"{live_server.url}/account/token/")
    page.get_by_role("button", name="Create a token").click()
    expect(page.get_by_label("Your API token")).to_have_value(re.compile(r"^[0-9a-f]{40}$"))
    page.screenshot(path=str(screenshot_dir / "studio_token.png"))
    assert errors == []


def test_given_a_story_with_a_typo_when_saving_then_the_problem_shows_on_its_line(
    page: Page, live_server: Any, django_user_model: Any, screenshot_dir: Path
) -> None:
    assistant = concertbot_with_conversations()
    make_member(django_user_model, assistant, "ann", Role.ANNOTATOR)
    sign_in(page, live_server.url, "ann")
    story = Story.objects.get(assistant=assistant, name="concerts, no reviews wanted")
    page.goto(f"{live_server.url}/assistants/{assistant.pk}/stories/{story.pk}/")
    editor = page.get_by_label("Story YAML")
    typo = editor.input_value().replace("- action: utter_goodbye", "- acton: utter_goodbye")

    editor.fill(typo)
    page.get_by_role("button", name="Save").click()

    expect(page.locator("#story-problems li")).to_contain_text("Line 17")
    expect(editor).to_have_value(typo)
    page.screenshot(path=str(screenshot_dir / "studio_story_error.png"))
    assert [s.name for s in story.steps.all()][-1] == "utter_goodbye"

    editor.fill(
        typo.replace("- acton: utter_goodbye", "- action: utter_goodbye\n  - intent: thankyou")
    )
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#story-status")).to_have_text("Saved.")
    assert [s.name for s in story.steps.all()][-1] == "thankyou"


def test_given_an_annotator_when_writing_a_new_rule_then_it_is_created(
    page: Page, live_server: Any, django_user_model: Any
) -> None:
    assistant = concertbot_with_conversations()
    make_member(django_user_model, assistant, "ann", Role.ANNOTATOR)
    sign_in(page, live_server.url, "ann")
    page.goto(f"{live_server.url}/assistants/{assistant.pk}/stories/?kind=rule")
    page.get_by_role("link", name="New rule").click()

    page.get_by_label("Story YAML").fill(
        'version: "3.1"\nrules:\n- rule: thank on goodbye\n  steps:\n'
        "  - intent: goodbye\n  - action: utter_goodbye\n"
    )
    expect(page.locator("#story-steps li")).to_have_count(2)
    page.get_by_role("button", name="Create").click()

    expect(page.locator("#story-title")).to_have_text("thank on goodbye")
    story = Story.objects.get(assistant=assistant, name="thank on goodbye")
    assert story.kind == "rule"
    # the title is set before the page goes to the new story's address: wait for it
    expect(page).to_have_url(re.compile(rf"/stories/{story.pk}/$"))
    assert [(s.kind, s.name) for s in story.steps.all()] == [
        ("intent", "goodbye"),
        ("action", "utter_goodbye"),
    ]
