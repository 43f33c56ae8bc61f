"""The Training page: members see it (start controls for annotators and admins, settings for
admins); anybody else is told the assistant does not exist."""

from __future__ import annotations

from typing import Any

from django.test import Client

from annotation.models import Assistant


def page(user: Any, assistant: Assistant) -> Any:
    client = Client()
    client.force_login(user)
    return client.get(f"/assistants/{assistant.pk}/training/")


def test_given_a_viewer_when_opening_training_then_it_shows_without_start_controls(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    response = page(people["viewer"], assistant)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-current="page">Training</a>' in html
    assert 'id="models"' in html and 'id="jobs"' in html
    # the evaluation panel (figures against the active model, confusion chart) waits hidden
    assert 'id="model-compare" hidden' in html and 'id="model-compare-body"' in html
    assert 'id="finetune"' not in html and 'id="settings-form"' not in html
    assert f"/ws/assistants/{assistant.pk}/training/" in html


def test_given_an_admin_when_opening_training_then_they_can_train_and_change_settings(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    html = page(people["admin"], assistant).content.decode()

    assert 'id="finetune"' in html and 'id="train-full"' in html
    assert 'id="settings-form"' in html and 'name="schedule"' in html


def test_given_an_outsider_when_opening_training_then_404(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    assert page(people["outsider"], assistant).status_code == 404
