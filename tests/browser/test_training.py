"""The Training page in a real browser: train from scratch, fine-tune, follow the progress to
100%, compare the older model with the active one (figures, confusion chart), and activate the
older model from the registry."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from annotation.models import Assistant, Role
from annotation.services.project_import import assistant_import_from_path
from project.celery import app as celery_app
from tests.browser.studio import make_member, sign_in
from tests.training.tiny_project import write_tiny_project
from training.models import ModelVersion
from training.registry import active_model_id
from training.serving import serving_cache_clear

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def assistant(settings: Any, tmp_path: Path) -> Iterator[Assistant]:
    settings.DATA_DIR = tmp_path / "data"
    settings.TRAINING_CACHE_DIR = tmp_path / "cache"
    eager = celery_app.conf.task_always_eager
    # the task runs in the web request's thread; the page follows it by polling the job API
    # (pytest-django's live server speaks no websocket)
    celery_app.conf.task_always_eager = True
    yield assistant_import_from_path(name="tiny", path=write_tiny_project(tmp_path / "project"))
    celery_app.conf.task_always_eager = eager
    serving_cache_clear()


def test_given_an_admin_when_training_then_fine_tuning_then_activating_the_first_model(
    page: Page,
    live_server: Any,
    django_user_model: Any,
    assistant: Assistant,
    screenshot_dir: Path,
) -> None:
    make_member(django_user_model, assistant, "ada", Role.ADMIN)
    sign_in(page, live_server.url, "ada")
    page.goto(f"{live_server.url}/assistants/{assistant.pk}/training/")

    expect(page.locator("#finetune-reasons")).to_contain_text("no model to fine-tune")
    expect(page.get_by_role("button", name="Fine-tune")).to_be_disabled()

    page.get_by_role("button", name="Train from scratch").click()
    expect(page.locator("#job-percent")).to_have_text("100%", timeout=60_000)
    expect(page.locator("#job-status")).to_contain_text("succeeded")
    expect(page.locator("#models-table tbody tr")).to_have_count(1)
    expect(page.get_by_role("button", name="Fine-tune")).to_be_enabled()

    page.locator("#epoch-fraction").fill("0.5")
    page.get_by_role("button", name="Fine-tune").click()
    expect(page.locator("#models-table tbody tr")).to_have_count(2, timeout=60_000)
    expect(page.locator("#job-percent")).to_have_text("100%")
    expect(page.locator("#jobs-table tbody tr").first).to_contain_text(
        "fine-tune (epoch fraction 0.5)"
    )

    full = ModelVersion.objects.get(kind="full")
    row = page.locator(f"#models-table tr[data-model='{full.model_id}']")
    row.get_by_role("button", name="Compare").click()
    panel = page.locator("#model-compare")
    expect(panel).to_be_visible()
    expect(page.locator("#model-compare-title")).to_contain_text("against the active model")
    expect(page.locator("#compare-figures")).to_contain_text("Intent accuracy")
    expect(page.locator("#intents-worse")).to_be_visible()
    labels = full.metrics["nlu"]["confusion"]["labels"]
    expect(page.locator("#confusion-chart rect.cell")).to_have_count(len(labels) ** 2)
    panel.screenshot(path=str(screenshot_dir / "training_compare.png"))
    page.get_by_role("button", name="Close").click()
    expect(panel).to_be_hidden()

    row.get_by_role("button", name="Activate").click()
    expect(row).to_contain_text(re.compile("active"))
    expect(row.get_by_role("button", name="Activate")).to_have_count(0)
    assert active_model_id(assistant=assistant) == full.model_id
