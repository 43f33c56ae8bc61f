"""A tiny assistant with a real model (memoization, rules and a small TED) for interactive
learning tests: the project, its training, and installing an archive as its active model."""

from __future__ import annotations

import shutil
from pathlib import Path

from annotation.models import Assistant
from annotation.rasa_io.reader import read_project
from annotation.services.project_import import assistant_import_from_path
from tests.training.tiny_project import write_tiny_project
from training.adapters import training_data_from_project
from training.engine.runner import train
from training.services import assistant_models_dir
from training.serving import serving_cache_clear

CONFIG = """\
version: "3.1"
language: en
pipeline:
- name: WhitespaceTokenizer
- name: CountVectorsFeaturizer
- name: DIETClassifier
  epochs: 20
- name: EntitySynonymMapper
policies:
- name: MemoizationPolicy
  max_history: 3
- name: RulePolicy
- name: TEDPolicy
  epochs: 5
  transformer_size: 16
"""


def write_project(root: Path) -> Path:
    write_tiny_project(root)
    (root / "config.yml").write_text(CONFIG)
    return root


def train_project(project: Path, out_dir: Path) -> Path:
    """Train the project folder (no database): the archive's path."""
    data = training_data_from_project(read_project(project))
    return train(data, out_dir=out_dir, cache=None).model_path


def tiny_assistant_with_model(root: Path, archive: Path, name: str = "tiny") -> Assistant:
    """Import the project as an assistant and make ``archive`` its active model."""
    assistant = assistant_import_from_path(name=name, path=write_project(root / "project"))
    models = assistant_models_dir(assistant=assistant)
    models.mkdir(parents=True, exist_ok=True)
    shutil.copy(archive, models / archive.name)
    serving_cache_clear()
    return assistant
