from __future__ import annotations

from typing import Any

import pytest

from annotation.models import Assistant, Role
from tests.factories import AssistantFactory, IntentFactory, UserFactory, member


@pytest.fixture
def assistant(db: Any) -> Assistant:
    assistant = AssistantFactory(name="pizzabot")
    IntentFactory(assistant=assistant, name="greet")
    return assistant


@pytest.fixture
def people(assistant: Assistant) -> dict[str, Any]:
    """A user per role on ``assistant``, and an outsider."""
    return {
        "admin": member(assistant, Role.ADMIN, username="ada", email="ada@example.org"),
        "annotator": member(assistant, Role.ANNOTATOR, username="ann"),
        "viewer": member(assistant, Role.VIEWER, username="vic"),
        "outsider": UserFactory(username="otto", email="otto@example.org"),
    }
