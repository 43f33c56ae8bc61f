"""Training an assistant's model: where its archives live, the cache, and the run itself.

Model archives of an assistant live in ``settings.DATA_DIR / "models" / <assistant id>``; the
training cache in ``settings.TRAINING_CACHE_DIR`` (``PARLEY_CACHE_DIR``, default
``$PARLEY_DATA_DIR/cache``), limited to ``PARLEY_CACHE_MAX_MB``.
"""

from __future__ import annotations

import functools
from pathlib import Path

from django.conf import settings

from annotation.models import Assistant
from training.adapters import training_data_for_assistant
from training.engine.archive import SUFFIX, ArchiveError
from training.engine.cache import TrainingCache
from training.engine.component import ProgressCallback
from training.engine.finetune_check import check_finetune
from training.engine.runner import TrainResult, train


def assistant_models_dir(*, assistant: Assistant) -> Path:
    return Path(settings.DATA_DIR) / "models" / str(assistant.pk)


def training_cache() -> TrainingCache:
    return TrainingCache(
        Path(settings.TRAINING_CACHE_DIR), max_mb=float(settings.TRAINING_CACHE_MAX_MB)
    )


def assistant_model_path(*, assistant: Assistant, model_id: str) -> Path:
    """The archive of the assistant's model ``model_id`` (archives end in ``-<id>.tar.gz``)."""
    directory = assistant_models_dir(assistant=assistant)
    found = sorted(directory.glob(f"*-{model_id}{SUFFIX}")) if model_id else []
    if not found:
        raise ArchiveError(f"assistant {assistant.name!r} has no model {model_id!r}")
    return found[-1]


def assistant_model_train(
    *,
    assistant: Assistant,
    finetune: bool = False,
    base_model_id: str | None = None,
    epoch_fraction: float = 1.0,
    seed: int = 42,
    nlu_only: bool = False,
    progress: ProgressCallback | None = None,
) -> TrainResult:
    """Train a new model of the assistant from its stored data.

    ``finetune``: continue from ``base_model_id`` (default: the assistant's newest model) after
    the fine-tune checker agreed; a refusal raises ``FinetuneRefused`` before anything trains.
    """
    models_dir = assistant_models_dir(assistant=assistant)
    base: Path | None = None
    if finetune:
        base = (
            assistant_model_path(assistant=assistant, model_id=base_model_id)
            if base_model_id
            else models_dir
        )
    return train(
        training_data_for_assistant(assistant=assistant),
        out_dir=models_dir,
        cache=training_cache(),
        seed=seed,
        finetune_base=base,
        epoch_fraction=epoch_fraction,
        progress=progress,
        nlu_only=nlu_only,
        checker=functools.partial(check_finetune, nlu_only=nlu_only),
    )
