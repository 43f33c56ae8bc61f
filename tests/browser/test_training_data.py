"""Editing training data in a real browser: an example (text, entity, intent), a response, and
a viewer who gets no edit controls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from annotation.models import Example, Intent, RegexPattern, Response, Role, Synonym
from tests.browser.studio import concertbot_with_conversations, make_member, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_given_an_annotator_when_editing_an_example_then_text_entity_and_intent_are_stored(
    page: Page, live_server: Any, django_user_model: Any, screenshot_dir: Path
) -> None:
    assistant = concertbot_with_conversations()
    make_member(django_user_model, assistant, "ann", Role.ANNOTATOR)
    sign_in(page, live_server.url, "ann")
    example = Example.objects.get(assistant=assistant, text="find me a concert")

    page.goto(f"{live_server.url}/assistants/{assistant.pk}/intents/?intent=search_concerts")
    item = page.locator(f'#example-items > li[data-id="{example.pk}"]')
    item.get_by_role("button", name="Edit").click()
    text = item.get_by_label("Example text")
    text.fill("find me a rock concert")
    text.evaluate("node => node.setSelectionRange(10, 14)")
    item.get_by_role("button", name="Mark selected words as entity").click()
    item.get_by_label("Entity", exact=True).fill("genre")
    item.get_by_label("Intent").fill("search_venues")
    page.screenshot(path=str(screenshot_dir / "example_edit.png"))
    item.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Example saved.")).to_be_visible()
    example.refresh_from_db()
    assert example.text == "find me a rock concert"
    assert example.intent.name == "search_venues"
    spans = [(s.start, s.end, s.entity, s.value) for s in example.spans.all()]
    assert spans == [(10, 14, "genre", "rock")]
    # moved to another intent, it leaves this intent's list
    expect(page.locator("#example-items > li", has_text="find me a rock concert")).to_have_count(0)


def test_given_an_invalid_example_when_saving_then_the_error_shows_and_the_input_is_kept(
    page: Page, live_server: Any, django_user_model: Any
) -> None:
    assistant = concertbot_with_conversations()
    make_member(django_user_model, assistant, "ann", Role.ANNOTATOR)
    sign_in(page, live_server.url, "ann")
    example = Example.objects.get(assistant=assistant, text="find me a concert")

    page.goto(f"{live_server.url}/assistants/{assistant.pk}/intents/?intent=search_concerts")
    item = page.locator(f'#example-items > li[data-id="{example.pk}"]')
    item.get_by_role("button", name="Move").click()
    item.get_by_label("Intent").fill("no_such_intent")
    item.get_by_role("button", name="Save").click()

    expect(item.locator(".field-error")).to_contain_text("no_such_intent")
    expect(item.get_by_label("Intent")).to_have_value("no_such_intent")
    example.refresh_from_db()
    assert example.intent.name == "search_concerts"


def test_given_an_admin_when_editing_a_response_then_the_variation_is_stored_and_others_kept(
    page: Page, live_server: Any, django_user_model: Any, screenshot_dir: Path
) -> None:
    assistant = concertbot_with_conversations()
    make_member(django_user_model, assistant, "ada", Role.ADMIN)
    sign_in(page, live_server.url, "ada")

    response = Response.objects.get(assistant=assistant, name="utter_greet")

    page.goto(f"{live_server.url}/assistants/{assistant.pk}/domain/responses/")
    item = page.locator(f'#domain-list > li[data-id="{response.pk}"]')
    item.get_by_role("button", name="Edit").click()
    item.get_by_label("Variation text").first.fill("Hello! Which concert are you after?")
    page.screenshot(path=str(screenshot_dir / "response_edit.png"))
    item.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Hello! Which concert are you after?")).to_be_visible()
    variations = list(response.variations.all())
    assert variations[0].text == "Hello! Which concert are you after?"
    assert len(variations) == 3
    assert variations[1].buttons  # the other variations keep what the form does not show


def test_given_a_viewer_when_opening_the_editors_then_there_is_nothing_to_edit(
    page: Page, live_server: Any, django_user_model: Any, screenshot_dir: Path
) -> None:
    assistant = concertbot_with_conversations()
    make_member(django_user_model, assistant, "vic", Role.VIEWER)
    sign_in(page, live_server.url, "vic")
    base = f"{live_server.url}/assistants/{assistant.pk}"

    page.goto(f"{base}/intents/?intent=search_concerts")
    expect(page.locator("#example-items > li", has_text="find me a concert")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "intents_viewer.png"))
    expect(page.get_by_role("button", name="Edit")).to_have_count(0)
    expect(page.get_by_role("button", name="Add example")).to_have_count(0)

    page.goto(f"{base}/domain/responses/")
    expect(page.locator("#domain-list > li", has_text="utter_greet")).to_be_visible()
    expect(page.get_by_role("button", name="Edit")).to_have_count(0)

    page.goto(f"{base}/inbox/")
    expect(page.locator(".inbox-item").first).to_be_visible()
    expect(page.get_by_role("button", name="Confirm")).to_have_count(0)
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert not Example.objects.filter(
        assistant=assistant, text="any gigs in Lisbon tonight"
    ).exists()

    page.goto(f"{base}/stories/")
    expect(page.get_by_role("link", name="New story")).to_have_count(0)


def test_given_an_annotator_when_renaming_an_intent_and_deleting_an_example_then_both_are_stored(
    page: Page, live_server: Any, django_user_model: Any
) -> None:
    assistant = concertbot_with_conversations()
    make_member(django_user_model, assistant, "ann", Role.ANNOTATOR)
    sign_in(page, live_server.url, "ann")
    example = Example.objects.get(assistant=assistant, text="find me a concert")
    page.goto(f"{live_server.url}/assistants/{assistant.pk}/intents/?intent=search_concerts")

    page.once("dialog", lambda dialog: dialog.accept("find_concerts"))
    page.get_by_role("button", name="Rename intent").click()
    expect(page.get_by_role("heading", name="find_concerts")).to_be_visible()
    assert Intent.objects.filter(assistant=assistant, name="find_concerts").exists()

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f'#example-items > li[data-id="{example.pk}"]').get_by_role(
        "button", name="Delete"
    ).click()
    expect(page.get_by_text("Example deleted.")).to_be_visible()
    assert not Example.objects.filter(pk=example.pk).exists()


def test_given_an_annotator_when_adding_a_synonym_and_a_bad_regex_then_one_is_stored_one_refused(
    page: Page, live_server: Any, django_user_model: Any
) -> None:
    assistant = concertbot_with_conversations()
    make_member(django_user_model, assistant, "ann", Role.ANNOTATOR)
    sign_in(page, live_server.url, "ann")
    base = f"{live_server.url}/assistants/{assistant.pk}"

    page.goto(f"{base}/nlu/synonyms/")
    form = page.locator("#list-add")
    form.get_by_label("Value").fill("Los Angeles")
    form.get_by_label("Synonyms, one per line").fill("LA\nL.A.\n")
    form.get_by_role("button", name="Add").click()
    expect(page.locator("#list-items")).to_contain_text("Los Angeles")
    assert Synonym.objects.get(assistant=assistant, name="Los Angeles").examples == ["LA", "L.A."]

    page.goto(f"{base}/nlu/regexes/")
    form = page.locator("#list-add")
    form.get_by_label("Name").fill("zipcode")
    form.get_by_label("Patterns, one per line").fill("[0-9")
    form.get_by_role("button", name="Add").click()
    expect(form.locator(".field-error")).to_contain_text("is not a regex")
    expect(form.get_by_label("Name")).to_have_value("zipcode")
    assert not RegexPattern.objects.filter(assistant=assistant, name="zipcode").exists()
