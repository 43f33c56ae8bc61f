from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
RASA_PROJECTS = SHARED_DATA / "rasa-projects"


def rasa_project_dirs() -> list[Path]:
    """The real Rasa projects under ../shared/data/rasa-projects (empty when shared/ is absent)."""
    if not RASA_PROJECTS.is_dir():
        return []
    return sorted(p for p in RASA_PROJECTS.iterdir() if p.is_dir())


@pytest.fixture
def rasa_projects_dir() -> Path:
    if not RASA_PROJECTS.is_dir():
        pytest.skip("../shared/data/rasa-projects is not present")
    return RASA_PROJECTS


@pytest.fixture(autouse=True)
def _forget_known_histories() -> Iterator[None]:
    """A flushed test database may give a conversation and its events ids seen before."""
    yield
    from annotation.services.conversations import known_histories_clear

    known_histories_clear()
