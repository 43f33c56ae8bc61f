"""Reviewing in a real browser: annotating inbox messages with the keyboard and the mouse, and
finding a conversation by a filter to save it as a story."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from annotation.models import Example, Role, Story
from tests.browser.studio import (
    concertbot_with_conversations,
    make_member,
    release_held,
    sign_in,
)
from tests.frontend.conversation_data import bot, record, user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_given_inbox_messages_when_annotating_with_keys_and_mouse_then_examples_are_stored(
    page: Page, live_server: Any, django_user_model: Any, screenshot_dir: Path
) -> None:
    assistant = concertbot_with_conversations()
    make_member(django_user_model, assistant, "ann", Role.ANNOTATOR)
    sign_in(page, live_server.url, "ann")
    page.goto(f"{live_server.url}/assistants/{assistant.pk}/inbox/")
    first = page.locator(".inbox-item.selected")
    expect(first).to_contain_text("any gigs in Lisbon tonight")  # least certain first
    page.screenshot(path=str(screenshot_dir / "inbox.png"))

    # correct the intent with the type-ahead
    page.keyboard.press("i")
    picker = page.locator("#intent-picker")
    picker.get_by_label("Intent").fill("search_conc")
    page.keyboard.press("Enter")
    expect(first.locator(".pred")).to_contain_text("search_concerts")
    # mark an entity: select the words with the mouse, then choose the type
    first.locator(".inbox-text").get_by_text("Lisbon").dblclick()
    entity = page.locator("#entity-picker")
    entity.get_by_label("Entity type").fill("city")
    entity.get_by_label("Value").fill("Lisboa")  # the value it stands for, edited
    page.screenshot(path=str(screenshot_dir / "inbox_entity.png"))
    entity.get_by_role("button", name="Add entity").click()
    expect(first.locator("mark")).to_have_text("Lisbon")
    # confirm with one key, and the next message is selected
    page.keyboard.press("Enter")
    expect(page.get_by_text("Confirmed as search_concerts.")).to_be_visible()
    expect(page.locator(".inbox-item.selected")).to_contain_text("what is playing")

    example = Example.objects.get(assistant=assistant, text="any gigs in Lisbon tonight")
    assert example.intent.name == "search_concerts"
    assert [(s.start, s.end, s.entity, s.value) for s in example.spans.all()] == [
        (12, 18, "city", "Lisboa")
    ]

    # Enter confirms the predicted intent of the next one
    page.keyboard.press("Enter")
    expect(page.get_by_text("Confirmed as goodbye.")).to_be_visible()
    assert Example.objects.get(assistant=assistant, text="what is playing").intent.name == "goodbye"
    expect(page.locator(".inbox-item", has_text="what is playing")).to_have_count(0)

    # the help overlay
    page.keyboard.press("?")
    expect(page.get_by_role("dialog")).to_contain_text("Keyboard shortcuts")
    page.screenshot(path=str(screenshot_dir / "inbox_help.png"))
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()


class _HeldIntents:
    """The inbox with the intent names' request held back until ``release``."""

    def __init__(self, page: Page, live_server: Any, django_user_model: Any) -> None:
        self.page = page
        self.assistant = concertbot_with_conversations()
        make_member(django_user_model, self.assistant, "ann", Role.ANNOTATOR)
        sign_in(page, live_server.url, "ann")
        self.held: list[Route] = []
        page.route("**/intents/*", lambda route: self.held.append(route))
        page.goto(f"{live_server.url}/assistants/{self.assistant.pk}/inbox/")
        expect(page.locator(".inbox-item.selected")).to_contain_text("any gigs in Lisbon tonight")

    def release(self) -> None:
        release_held(self.page, self.held)


def test_given_intents_still_loading_when_a_prefix_is_typed_and_entered_then_the_intent_is_chosen(
    page: Page, live_server: Any, django_user_model: Any
) -> None:
    inbox = _HeldIntents(page, live_server, django_user_model)
    first = page.locator(".inbox-item.selected")

    page.keyboard.press("i")
    page.locator("#intent-picker").get_by_label("Intent").fill("search_conc")
    page.keyboard.press("Enter")  # before the intents are known
    expect(page.locator("#intent-picker")).to_be_visible()
    inbox.release()

    expect(first.locator(".pred")).to_contain_text("search_concerts")
    expect(first.locator(".pred")).not_to_contain_text("(new)")


def test_given_intents_still_loading_when_enter_is_pressed_twice_then_the_choice_is_confirmed(
    page: Page, live_server: Any, django_user_model: Any
) -> None:
    inbox = _HeldIntents(page, live_server, django_user_model)

    page.keyboard.press("i")
    page.locator("#intent-picker").get_by_label("Intent").fill("ask_tonight")
    page.keyboard.press("Enter")  # pick, before the intents are known
    page.keyboard.press("Enter")  # and confirm
    inbox.release()

    expect(page.get_by_text("Confirmed as ask_tonight.")).to_be_visible()
    example = Example.objects.get(assistant=inbox.assistant, text="any gigs in Lisbon tonight")
    assert example.intent.name == "ask_tonight"


def test_given_an_inbox_message_when_typing_a_new_intent_then_it_is_created_on_confirm(
    page: Page, live_server: Any, django_user_model: Any
) -> None:
    assistant = concertbot_with_conversations()
    make_member(django_user_model, assistant, "ann", Role.ANNOTATOR)
    sign_in(page, live_server.url, "ann")
    page.goto(f"{live_server.url}/assistants/{assistant.pk}/inbox/")
    expect(page.locator(".inbox-item.selected")).to_contain_text("any gigs in Lisbon tonight")

    page.keyboard.press("i")
    page.locator("#intent-picker").get_by_label("Intent").fill("ask_tonight")
    expect(page.locator("#intent-picker")).to_contain_text("Create intent ask_tonight")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")

    expect(page.get_by_text("Confirmed as ask_tonight.")).to_be_visible()
    example = Example.objects.get(assistant=assistant, text="any gigs in Lisbon tonight")
    assert example.intent.name == "ask_tonight"


def test_given_conversations_when_filtering_by_confidence_and_saving_one_then_a_story_is_stored(
    page: Page, live_server: Any, django_user_model: Any, screenshot_dir: Path
) -> None:
    assistant = concertbot_with_conversations()
    make_member(django_user_model, assistant, "ann", Role.ANNOTATOR)
    sign_in(page, live_server.url, "ann")
    page.goto(f"{live_server.url}/assistants/{assistant.pk}/conversations/")
    expect(page.locator("#conversation-table tbody tr")).to_have_count(2)
    page.screenshot(path=str(screenshot_dir / "conversations.png"))

    page.get_by_label("Confidence below").fill("0.4")
    page.get_by_role("button", name="Filter").click()

    expect(page.get_by_text("1 conversation", exact=True)).to_be_visible()
    rows = page.locator("#conversation-table tbody tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link", name="bob").click()
    expect(page.locator(".ev.user").first).to_contain_text("any gigs in Lisbon tonight")
    page.get_by_label("Story name").fill("gigs tonight")
    page.get_by_role("button", name="Save as story", exact=True).click()

    expect(page.get_by_text("Saved story")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "conversation.png"), full_page=True)
    story = Story.objects.get(assistant=assistant, name="gigs tonight")
    assert not story.is_test
    names = [step.name for step in story.steps.all()]
    assert names == ["greet", "utter_greet", "goodbye", "utter_goodbye"]

    page.get_by_label("Story name").fill("gigs tonight, test")
    page.get_by_role("button", name="Save as test story").click()
    expect(page.get_by_text("Saved test story")).to_be_visible()
    test_story = Story.objects.get(assistant=assistant, name="gigs tonight, test")
    assert test_story.is_test
    assert "any gigs in Lisbon tonight" in [step.text for step in test_story.steps.all()]


def test_given_selected_inbox_messages_when_bulk_confirming_then_each_becomes_an_example(
    page: Page, live_server: Any, django_user_model: Any
) -> None:
    assistant = concertbot_with_conversations()
    make_member(django_user_model, assistant, "ann", Role.ANNOTATOR)
    sign_in(page, live_server.url, "ann")
    page.goto(f"{live_server.url}/assistants/{assistant.pk}/inbox/")
    expect(page.locator(".inbox-item.selected")).to_contain_text("any gigs in Lisbon tonight")

    page.keyboard.press("x")  # select the current one with the keyboard
    page.get_by_label("Select “what is playing”").check()  # and another with the mouse
    expect(page.get_by_text("2 selected")).to_be_visible()
    page.get_by_role("button", name="Confirm predicted intents").click()

    expect(page.get_by_text("2 confirmed.")).to_be_visible()
    stored = dict(
        Example.objects.filter(
            assistant=assistant, text__in=["any gigs in Lisbon tonight", "what is playing"]
        ).values_list("text", "intent__name")
    )
    assert stored == {"any gigs in Lisbon tonight": "greet", "what is playing": "goodbye"}
    expect(page.locator(".inbox-item")).to_have_count(2)


def test_given_a_conversation_when_tagging_reviewing_and_flagging_then_it_stays_so_on_reload(
    page: Page, live_server: Any, django_user_model: Any
) -> None:
    assistant = concertbot_with_conversations()
    make_member(django_user_model, assistant, "ann", Role.ANNOTATOR)
    sign_in(page, live_server.url, "ann")
    page.goto(f"{live_server.url}/assistants/{assistant.pk}/conversations/?q=Lisbon")
    page.locator("#conversation-table").get_by_role("link", name="bob").click()

    page.get_by_label("New tag").fill("needs-work")
    page.get_by_label("New tag").press("Enter")
    expect(page.locator("#conv-tags .chip")).to_contain_text("needs-work")
    page.get_by_role("button", name="Mark as reviewed").click()
    expect(page.get_by_role("button", name="Mark as not reviewed")).to_be_visible()
    page.locator(".ev.user").first.get_by_role("button", name="Flag").click()
    expect(page.locator(".ev.user.flagged")).to_have_count(1)

    page.reload()
    expect(page.locator("#conv-tags .chip")).to_contain_text("needs-work")
    expect(page.get_by_role("button", name="Mark as not reviewed")).to_be_visible()
    expect(page.locator(".ev.user.flagged")).to_contain_text("any gigs in Lisbon tonight")

    page.goto(f"{live_server.url}/assistants/{assistant.pk}/conversations/?tag=needs-work")
    expect(page.locator("#conversation-table tbody tr")).to_have_count(1)


def test_given_a_long_conversation_when_opening_it_then_events_load_a_window_at_a_time(
    page: Page, live_server: Any, django_user_model: Any
) -> None:
    assistant = concertbot_with_conversations()
    make_member(django_user_model, assistant, "vic", Role.VIEWER)
    events: list[dict[str, Any]] = []
    for number in range(150):  # 300 events: two windows of 200
        events += [user(f"message {number}", "greet", 0.9), bot(f"answer {number}")]
    conversation = record(assistant, "chatty", events)
    sign_in(page, live_server.url, "vic")

    page.goto(f"{live_server.url}/assistants/{assistant.pk}/conversations/{conversation.pk}/")

    expect(page.locator(".ev.user")).to_have_count(100)
    expect(page.locator(".ev.bot", has_text="answer 99")).to_have_count(1)
    expect(page.locator(".ev.user", has_text="message 100")).to_have_count(0)
    expect(page.get_by_role("button", name="Flag")).to_have_count(0)  # a viewer
    page.get_by_role("button", name="Load the next 200 events").click()
    expect(page.locator(".ev.user")).to_have_count(150)
    expect(page.get_by_role("button", name="Load the next 200 events")).to_have_count(0)
