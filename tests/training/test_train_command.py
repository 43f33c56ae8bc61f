"""``manage.py train ASSISTANT``: an imported assistant trained with tiny epochs."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from annotation import models as m
from annotation.services.project_import import assistant_import_from_path
from tests.training.tiny_project import add_intent, write_tiny_project
from training.services import assistant_models_dir

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    settings.TRAINING_CACHE_DIR = tmp_path / "cache"
    settings.TRAINING_CACHE_MAX_MB = 100
    return Path(settings.DATA_DIR)


@pytest.fixture
def assistant(tmp_path: Path) -> m.Assistant:
    project = write_tiny_project(tmp_path / "project")
    return assistant_import_from_path(name="tiny", path=project)


def train(*args: str) -> tuple[int, dict[str, Any], str]:
    out = io.StringIO()
    code = 0
    try:
        call_command("train", *args, stdout=out)
    except SystemExit as stop:
        code = int(stop.code or 0)
    text = out.getvalue()
    return code, json.loads(text.strip().splitlines()[-1]), text


def test_given_an_imported_assistant_when_trained_then_the_model_lands_in_its_folder(
    data_dir: Path, assistant: m.Assistant
) -> None:
    code, summary, output = train("tiny")

    assert code == 0
    model = Path(summary["model"])
    assert model.parent == data_dir / "models" / str(assistant.pk)
    assert model.parent == assistant_models_dir(assistant=assistant)
    assert summary["kind"] == "full"
    assert "policy_0_MemoizationPolicy: trained in" in output

    code, again, _ = train("tiny", "--finetune", summary["model_id"], "--epoch-fraction", "0.5")

    assert code == 0, again
    assert again["kind"] == "finetune"
    assert again["parent_model_id"] == summary["model_id"]


def test_given_an_added_intent_when_fine_tuned_then_exit_3_with_the_differences(
    data_dir: Path, assistant: m.Assistant, tmp_path: Path
) -> None:
    assert train("tiny", "--nlu-only")[0] == 0
    changed = write_tiny_project(tmp_path / "changed")
    add_intent(changed)
    assistant_import_from_path(name="tiny", path=changed, replace=True)

    code, summary, _ = train("tiny", "--finetune", "--nlu-only")

    assert code == 3
    assert summary["refused"] is True
    assert [(d["kind"], d["name"], d["change"]) for d in summary["differences"]] == [
        ("intent", "thank", "added")
    ]


def test_given_an_unknown_assistant_or_model_then_exit_2(
    data_dir: Path, assistant: m.Assistant
) -> None:
    code, summary, _ = train("nobody")
    assert code == 2
    assert "nobody" in summary["error"]

    code, summary, _ = train("tiny", "--finetune", "0123abc")
    assert code == 2
    assert "0123abc" in summary["error"]
