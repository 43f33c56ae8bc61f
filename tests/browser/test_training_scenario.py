"""The whole correction loop in a real browser: a message the bot got wrong is annotated in the
inbox, the active model is fine-tuned on it and activated, and the bot then answers that message
with the corrected intent; adding an intent afterwards makes fine-tuning refuse, with why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from rest_framework.test import APIClient

from annotation.models import Assistant, Example, InboxItem, Role
from project.celery import app as celery_app
from tests.browser.studio import make_member, sign_in
from tests.training.interactive.helpers import (
    tiny_assistant_with_model,
    train_project,
    write_project,
)
from training.models import ModelVersion
from training.registry import active_model_id
from training.serving import serving_cache_clear

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The base model reads this as goodbye (it has "bye", and "hey" only among greetings); one
# fine-tune with every epoch (fraction 1.0) on it as a greeting is enough to turn it round.
TEXT = "hey bye"


@pytest.fixture
def assistant(settings: Any, tmp_path: Path) -> Iterator[Assistant]:
    settings.DATA_DIR = tmp_path / "data"
    settings.TRAINING_CACHE_DIR = tmp_path / "cache"
    eager = celery_app.conf.task_always_eager
    # the task runs in the web request's thread; the page follows it by polling the job API
    # (pytest-django's live server speaks no websocket)
    celery_app.conf.task_always_eager = True
    base = train_project(write_project(tmp_path / "base"), tmp_path / "base-model")
    yield tiny_assistant_with_model(tmp_path, base)
    celery_app.conf.task_always_eager = eager
    serving_cache_clear()


def say(assistant: Assistant, sender: str, text: str) -> list[dict[str, Any]]:
    """A user message through Rasa's REST channel, as a website widget sends it."""
    answer = APIClient().post(
        f"/bots/{assistant.name}/webhooks/rest/webhook",
        {"sender": sender, "message": text},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    messages: list[dict[str, Any]] = answer.json()
    return messages


def parsed_intent(assistant: Assistant, user: Any, text: str) -> str:
    client = APIClient()
    client.force_authenticate(user)
    answer = client.post(f"/bots/{assistant.name}/model/parse", {"text": text}, format="json")
    assert answer.status_code == 200, answer.content
    return str(answer.json()["intent"]["name"])


def test_given_a_misread_message_when_annotating_fine_tuning_and_activating_then_the_bot_gets_it(
    page: Page,
    live_server: Any,
    django_user_model: Any,
    assistant: Assistant,
    screenshot_dir: Path,
) -> None:
    ada = make_member(django_user_model, assistant, "ada", Role.ADMIN)
    base_id = active_model_id(assistant=assistant)
    assert base_id is not None
    # a visitor's message, misread by the active model, lands in the inbox
    assert [m.get("text") for m in say(assistant, "visitor", TEXT)] != ["Hello!"]
    item = InboxItem.objects.get(assistant=assistant, text=TEXT)
    assert item.intent == "goodbye"

    sign_in(page, live_server.url, "ada")
    page.goto(f"{live_server.url}/assistants/{assistant.pk}/inbox/")
    selected = page.locator(".inbox-item.selected")
    expect(selected).to_contain_text(TEXT)
    page.keyboard.press("i")
    page.locator("#intent-picker").get_by_label("Intent").fill("gree")
    page.keyboard.press("Enter")
    expect(selected.locator(".pred")).to_contain_text("greet")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Confirmed as greet.")).to_be_visible()
    assert Example.objects.get(assistant=assistant, text=TEXT).intent.name == "greet"

    page.goto(f"{live_server.url}/assistants/{assistant.pk}/training/")
    finetune = page.get_by_role("button", name="Fine-tune")
    expect(finetune).to_be_enabled()
    page.locator("#epoch-fraction").fill("1")
    finetune.click()
    expect(page.locator("#job-percent")).to_have_text("100%", timeout=90_000)
    expect(page.locator("#job-status")).to_contain_text("succeeded")
    expect(page.locator("#models-table tbody tr")).to_have_count(2)
    expect(page.locator("#jobs-table tbody tr").first).to_contain_text(
        "fine-tune (epoch fraction 1)"
    )
    tuned = ModelVersion.objects.get(assistant=assistant, kind="finetune")
    assert tuned.parent_model_id == base_id
    tuned_row = page.locator(f"#models-table tr[data-model='{tuned.model_id}']")
    base_row = page.locator(f"#models-table tr[data-model='{base_id}']")

    # a finished training goes live by itself; switching back and forth shows the bot follows
    # whichever model is activated
    expect(tuned_row.locator(".badge", has_text="active")).to_be_visible()
    base_row.get_by_role("button", name="Activate").click()
    expect(base_row.locator(".badge", has_text="active")).to_be_visible()
    assert parsed_intent(assistant, ada, TEXT) == "goodbye"
    tuned_row.get_by_role("button", name="Activate").click()
    expect(tuned_row.locator(".badge", has_text="active")).to_be_visible()
    expect(tuned_row.get_by_role("button", name="Activate")).to_have_count(0)
    assert active_model_id(assistant=assistant) == tuned.model_id

    assert parsed_intent(assistant, ada, TEXT) == "greet"
    assert say(assistant, "newcomer", TEXT) == [{"recipient_id": "newcomer", "text": "Hello!"}]

    # a new intent is a new label the fine-tuned model has no output for
    page.goto(f"{live_server.url}/assistants/{assistant.pk}/intents/")
    page.get_by_label("New intent name").fill("thank")
    page.get_by_role("button", name="Add intent").click()
    expect(page.get_by_role("heading", name="thank")).to_be_visible()

    page.goto(f"{live_server.url}/assistants/{assistant.pk}/training/")
    expect(page.locator("#finetune-status")).to_contain_text("Fine-tune refused: 1 intent added")
    expect(page.locator("#finetune-reasons")).to_contain_text("intent 'thank' added")
    expect(page.get_by_role("button", name="Fine-tune")).to_be_disabled()
    expect(page.get_by_role("button", name="Train from scratch")).to_be_enabled()
    expect(page.locator("#models-table tbody tr")).to_have_count(2)
    page.screenshot(path=str(screenshot_dir / "training_finetune_refused.png"), full_page=True)
