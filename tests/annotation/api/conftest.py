from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from annotation.models import Assistant, Role
from tests.factories import AssistantFactory, IntentFactory, UserFactory, member


def api_url(assistant: Assistant | int, resource: str = "", pk: int | None = None) -> str:
    """``/api/v1/assistants/<id>/<resource>/[<pk>/]``."""
    assistant_id = assistant if isinstance(assistant, int) else assistant.pk
    url = f"/api/v1/assistants/{assistant_id}/"
    if resource:
        url += f"{resource}/"
    if pk is not None:
        url += f"{pk}/"
    return url


@pytest.fixture
def assistant(db: Any) -> Assistant:
    assistant = AssistantFactory(name="pizzabot")
    IntentFactory(assistant=assistant, name="greet")
    return assistant


@pytest.fixture
def people(assistant: Assistant) -> dict[str, Any]:
    """A user per role on ``assistant``, and an outsider."""
    return {
        "admin": member(assistant, Role.ADMIN, username="ada"),
        "annotator": member(assistant, Role.ANNOTATOR, username="ann"),
        "viewer": member(assistant, Role.VIEWER, username="vic"),
        "outsider": UserFactory(username="otto"),
    }


@pytest.fixture
def client_for() -> Callable[[Any], APIClient]:
    def make(user: Any) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def admin_client(people: dict[str, Any], client_for: Callable[[Any], APIClient]) -> APIClient:
    return client_for(people["admin"])
