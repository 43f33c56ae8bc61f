"""Talk to your bot in a real browser: correct an intent and an action, see the bot answer
differently in a fresh conversation, and save the session as a story."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from annotation.models import Assistant, Example, Role, Story
from tests.browser.studio import make_member, release_held, sign_in
from tests.training.interactive.helpers import (
    tiny_assistant_with_model,
    train_project,
    write_project,
)
from training.interactive.learning import interactive_model_keep, interactive_wait
from training.serving import assistant_handle_message, serving_cache_clear

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = write_project(tmp_path_factory.mktemp("talk-project"))
    return train_project(project, tmp_path_factory.mktemp("talk-models"))


@pytest.fixture
def assistant(settings: Any, tmp_path: Path, archive: Path) -> Iterator[Assistant]:
    settings.DATA_DIR = tmp_path / "data"
    settings.TRAINING_CACHE_DIR = tmp_path / "cache"
    assistant = tiny_assistant_with_model(tmp_path, archive)
    yield assistant
    interactive_model_keep(assistant=assistant)
    serving_cache_clear()


def select_text(page: Page, selector: str, words: str) -> None:
    """Select ``words`` in the element's text, as a user dragging the mouse over them."""
    page.locator(selector).evaluate(
        """(node, words) => {
          const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
          for (let text = walker.nextNode(); text; text = walker.nextNode()) {
            const at = text.data.indexOf(words);
            if (at < 0) continue;
            const range = document.createRange();
            range.setStart(text, at);
            range.setEnd(text, at + words.length);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            return;
          }
          throw new Error("no such words: " + words);
        }""",
        words,
    )


def reply(assistant: Assistant, sender: str, text: str) -> list[str]:
    messages = assistant_handle_message(
        assistant=assistant, sender_id=sender, text=text, channel="rest"
    )
    return [m.get("text", "") for m in messages]


def test_given_a_talk_when_intent_and_action_are_corrected_then_the_bot_learns_and_saves(
    page: Page,
    live_server: Any,
    django_user_model: Any,
    assistant: Assistant,
    screenshot_dir: Path,
) -> None:
    assert reply(assistant, "before", "/greet") == ["Hello!"]
    make_member(django_user_model, assistant, "boss", Role.ADMIN)
    sign_in(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/assistants/{assistant.pk}/")
    page.get_by_role("link", name="Talk").click()
    expect(page.get_by_role("heading", name="Talk to your bot")).to_be_visible()

    # the user says something the model reads wrong: the intent is corrected
    page.get_by_label("Your message").fill("howdy partner")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Is this what the user means?")).to_be_visible()
    expect(page.get_by_role("list", name="Intent ranking")).to_contain_text("greet")
    page.get_by_label("Intent", exact=True).fill("greet")
    page.screenshot(path=str(screenshot_dir / "talk_intent.png"))
    page.get_by_role("button", name="Confirm intent and entities").click()

    # the bot wants to greet: every action's probability shows; the user picks another
    expect(page.locator("#predicted-action")).to_have_text("utter_greet")
    scores = page.get_by_role("list", name="Every action's probability")
    expect(scores).to_contain_text("utter_ok")
    page.screenshot(path=str(screenshot_dir / "talk_action.png"))
    scores.get_by_role("button", name="utter_ok").click()
    expect(page.locator("#chat")).to_contain_text("Noted.")
    expect(page.locator("#chat .badge.yellow")).to_have_text("corrected")
    # then it wants to listen: confirmed
    expect(page.locator("#predicted-action")).to_have_text("action_listen")
    page.get_by_role("button", name="Correct, run it").click()
    expect(page.get_by_label("Your message")).to_be_visible()
    expect(page.locator("#model-notice")).to_contain_text("on-the-fly version")

    # a fresh conversation in the same context now gets the corrected action
    assert reply(assistant, "fresh", "/greet") == ["Noted."]

    # saved: a story and a test story, the corrected message an example
    page.get_by_label("Story name").fill("greet with ok")
    page.get_by_label("Also save it as a test story").check()
    page.get_by_role("button", name="Save to training data").click()
    expect(page.get_by_text("Saved to the training data.")).to_be_visible()
    expect(page.locator("#saved-items")).to_contain_text("NLU example “howdy partner”")
    page.screenshot(path=str(screenshot_dir / "talk_saved.png"))
    interactive_wait(assistant=assistant)

    story = Story.objects.get(assistant=assistant, name="greet with ok", is_test=False)
    steps = [(s.kind, s.name) for s in story.steps.order_by("position")]
    assert steps == [("intent", "greet"), ("action", "utter_ok")]
    assert Story.objects.filter(assistant=assistant, name="greet with ok", is_test=True).exists()
    assert Example.objects.get(assistant=assistant, text="howdy partner").intent.name == "greet"
    # the saved story shows among the training data's stories
    page.goto(f"{live_server.url}/assistants/{assistant.pk}/stories/")
    expect(page.get_by_text("greet with ok").first).to_be_visible()


def test_given_a_new_response_when_saved_then_the_page_says_a_full_training_is_next(
    page: Page,
    live_server: Any,
    django_user_model: Any,
    assistant: Assistant,
    screenshot_dir: Path,
) -> None:
    make_member(django_user_model, assistant, "boss", Role.ADMIN)
    sign_in(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/assistants/{assistant.pk}/talk/")
    page.get_by_label("Interactive mode").uncheck()
    page.get_by_label("Your message").fill("/greet")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#chat")).to_contain_text("Hello!")
    page.get_by_label("Interactive mode").check()
    # an entity marked by selecting its words
    page.get_by_label("Your message").fill("moving to Oslo soon")
    page.get_by_role("button", name="Send").click()
    page.get_by_label("Intent", exact=True).fill("inform")
    select_text(page, ".talk-text", "Oslo")
    page.get_by_label("Entity type").fill("city")
    page.get_by_role("button", name="Mark selection as entity").click()
    expect(page.locator(".talk-text mark")).to_have_text("Oslo")
    page.get_by_role("button", name="Confirm intent and entities").click()
    expect(page.locator("#slots-card")).to_contain_text('city = "Oslo"')
    page.get_by_role("list", name="Every action's probability").get_by_role(
        "button", name="utter_ok"
    ).click()
    page.get_by_role("list", name="Every action's probability").get_by_role(
        "button", name="action_listen"
    ).click()
    page.get_by_label("Your message").fill("/goodbye")
    page.get_by_role("button", name="Send").click()
    page.get_by_role("button", name="Confirm intent and entities").click()
    page.get_by_label("New response name").fill("utter_see_you")
    page.get_by_label("New response text").fill("See you soon!")
    page.get_by_role("button", name="Create and run").click()
    expect(page.locator("#chat")).to_contain_text("See you soon!")

    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#chat")).not_to_contain_text("See you soon!")
    page.get_by_label("New response name").fill("utter_see_you")
    page.get_by_label("New response text").fill("See you soon!")
    page.get_by_role("button", name="Create and run").click()
    expect(page.locator("#chat")).to_contain_text("See you soon!")
    page.get_by_role("button", name="Save to training data").click()

    expect(page.locator("#full-training")).to_contain_text("The next training must be a full one")
    expect(page.locator("#full-training")).to_contain_text("utter_see_you")
    page.screenshot(path=str(screenshot_dir / "talk_full_training.png"), full_page=True)
    example = Example.objects.get(assistant=assistant, text="moving to Oslo soon")
    assert [(s.start, s.end, s.entity, s.value) for s in example.spans.all()] == [
        (10, 14, "city", "Oslo")
    ]


def test_given_a_recorded_conversation_when_corrected_from_a_turn_then_stories_are_saved(
    page: Page, live_server: Any, django_user_model: Any, assistant: Assistant
) -> None:
    assert reply(assistant, "recorded", "/greet") == ["Hello!"]
    conversation = assistant.conversations.get(sender_id="recorded")
    make_member(django_user_model, assistant, "ann", Role.ANNOTATOR)
    sign_in(page, live_server.url, "ann")
    page.goto(f"{live_server.url}/assistants/{assistant.pk}/conversations/{conversation.pk}/")

    page.locator(".ev.user").get_by_role("button", name="Correct from here").click()

    expect(page).to_have_url(re.compile(rf"/assistants/{assistant.pk}/talk/\d+/$"))
    expect(page.locator("#chat")).to_contain_text("/greet")
    expect(page.locator("#predicted-action")).to_have_text("utter_greet")
    scores = page.get_by_role("list", name="Every action's probability")
    scores.get_by_role("button", name="utter_ok").click()
    expect(page.locator("#chat")).to_contain_text("Noted.")
    held: list[Route] = []
    page.route("**/actions/", lambda route: held.append(route))
    page.get_by_role("list", name="Every action's probability").get_by_role(
        "button", name="action_listen"
    ).click()
    story_name = page.get_by_label("Story name")
    story_name.fill("corrected greeting")  # typed while the bot still runs action_listen
    release_held(page, held)
    expect(page.get_by_label("Your message")).to_be_visible()
    expect(story_name).to_be_focused()  # the composer did not take the keyboard away
    expect(story_name).to_have_value("corrected greeting")
    page.get_by_label("Also save it as a test story").check()
    page.get_by_role("button", name="Save to training data").click()
    expect(page.locator("#saved-items")).to_contain_text("Test story “corrected greeting”")
    interactive_wait(assistant=assistant)

    saved = Story.objects.filter(assistant=assistant, name="corrected greeting")
    assert sorted(saved.values_list("is_test", flat=True)) == [False, True]
    story = saved.get(is_test=False)
    assert [(s.kind, s.name) for s in story.steps.order_by("position")] == [
        ("intent", "greet"),
        ("action", "utter_ok"),
    ]
    assert reply(assistant, "later", "/greet") == ["Noted."]
