"""The on-the-fly model of interactive learning, beside the assistant's other archives.

A correction is learned in two steps (``training.engine.online``): the corrected story is
remembered exactly and the new model saved at once as the newest archive of the assistant's
models folder (and named by ``active.json`` when a pointer is there), so every process serves
it from its next message on (``training.serving``); then a background thread gives the ML
policies a few update steps on every corrected story and swaps the stepped model in.

Each process keeps the unsaved ``InteractiveModel`` it learned last per assistant, so that
corrections fold into one model version: its parent stays the base model, its stories
accumulate, and the archive it replaces is deleted. There is one interactive version at a
time: ``interactive_model_keep`` ends it (the archive stays, a plain model version);
``interactive_model_discard`` deletes it, and the base model is served again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotation.models import Assistant
from training.active_pointer import active_archive, archives_in, pointed_archive, write_pointer
from training.engine.archive import SUFFIX, ArchiveError, read_metadata
from training.engine.data import StoryEvent
from training.engine.model import Model
from training.engine.online import (
    INTERACTIVE,
    InteractiveModel,
    OnlineLearningError,
    remember_story,
    save_model,
    update_ml_policies,
)
from training.services import assistant_models_dir
from training.serving import assistant_active_model

logger = logging.getLogger(__name__)

ML_STEPS = 10


@dataclass
class _Fold:
    """The interactive model this process learned last for one assistant."""

    model: InteractiveModel
    path: Path
    updates: list[threading.Thread] = field(default_factory=list)


@dataclass(frozen=True)
class Learned:
    """What a correction did: ``learned`` false with the ``reason`` when it could not be
    learned on the spot (an intent or action the model does not know yet)."""

    learned: bool
    model_id: str = ""
    parent_model_id: str = ""
    reason: str = ""
    overridden: tuple[dict[str, Any], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "learned": self.learned,
            "model_id": self.model_id,
            "parent_model_id": self.parent_model_id,
            "reason": self.reason,
            "overridden": list(self.overridden),
        }


_lock = threading.Lock()
_folds: dict[int, _Fold] = {}


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def interactive_learn(
    *, assistant: Assistant, events: Sequence[StoryEvent], listen_at_end: bool = False
) -> Learned:
    """Learn ``events`` (a session from its start, the corrected action last) on the spot;
    ``listen_at_end``: and that the bot listens after it.

    The remembered model is saved before this returns; the ML update runs in the background
    (``interactive_wait`` waits for it)."""
    served = assistant_active_model(assistant=assistant)
    if served is None:
        return Learned(False, reason="The assistant has no trained model.")
    with _lock:
        fold = _folds.get(assistant.pk)
        current: Model = served.model
        # fold into this process's unsaved model while it is still the one served
        if fold is not None and fold.path == served.path:
            current = fold.model
        try:
            learned = remember_story(current, list(events), listen_at_end=listen_at_end)
        except OnlineLearningError as error:
            return Learned(False, reason=str(error))
        path = save_model(learned, served.path.parent)
        _serve(served.path.parent, path, learned.id)
        folded = fold is not None and fold.path == served.path
        if fold is not None and folded:
            _remove(fold.path)
        # the superseded updates stay waited for (they end without effect)
        new_fold = _Fold(learned, path, list(fold.updates) if fold is not None and folded else [])
        _folds[assistant.pk] = new_fold
        stories = learned.metadata.get("learned_stories") or [{}]
        overridden = tuple(stories[-1].get("overridden") or ())
        thread = threading.Thread(
            target=_update_ml, args=(assistant.pk, new_fold), daemon=True, name="interactive-ml"
        )
        new_fold.updates.append(thread)
    thread.start()
    return Learned(
        True,
        model_id=learned.id,
        parent_model_id=str(learned.metadata.get("parent_model_id") or ""),
        overridden=overridden,
    )


def _update_ml(assistant_id: int, fold: _Fold) -> None:
    with _lock:
        if _folds.get(assistant_id) is not fold:
            return  # superseded before it started: the newer fold's update covers it
    try:
        stepped = update_ml_policies(fold.model, steps=ML_STEPS)
    except Exception:  # a failed update leaves the remembered model served
        logger.exception("interactive ML update failed")
        return
    with _lock:
        if _folds.get(assistant_id) is not fold or not fold.path.exists():
            return  # a newer correction (or a discard) came first
        path = save_model(stepped, fold.path.parent)
        _serve(fold.path.parent, path, stepped.id)
        _remove(fold.path)
        _folds[assistant_id] = _Fold(stepped, path, fold.updates)


def interactive_wait(*, assistant: Assistant, timeout: float = 120.0) -> None:
    """Wait for this process's background ML updates of the assistant (tests, the CLI)."""
    with _lock:
        fold = _folds.get(assistant.pk)
        threads = list(fold.updates) if fold is not None else []
    for thread in threads:
        thread.join(timeout)


# ------------------------------------------------------------------- keep or throw away


def _model_id(path: Path) -> str:
    return path.name.removesuffix(SUFFIX).rsplit("-", 1)[-1]


def _serve(directory: Path, path: Path, model_id: str) -> None:
    """Make ``path`` the active model: the newest archive is, unless ``active.json`` names
    another one (a model activated in the registry); then the pointer moves to it."""
    if pointed_archive(directory) is not None:
        write_pointer(directory, archive=path.name, model_id=model_id)


def _kind_and_parent(path: Path) -> tuple[str, str]:
    try:
        metadata = read_metadata(path)
    except ArchiveError:
        return "", ""
    return str(metadata.get("kind") or ""), str(metadata.get("parent_model_id") or "")


def _current_version(directory: Path) -> tuple[list[Path], Path | None]:
    """The archives of the interactive version served now (the served one and any other
    interactive archive on the same parent), and the parent's archive."""
    served = active_archive(directory)
    if served is None:
        return [], None
    kind, parent = _kind_and_parent(served)
    if kind != INTERACTIVE:
        return [], None
    archives = archives_in(directory)
    found = [p for p in archives if p == served or _kind_and_parent(p) == (INTERACTIVE, parent)]
    parents = [p for p in archives if _model_id(p) == parent]
    return found, parents[-1] if parents else None


def interactive_model_status(*, assistant: Assistant) -> dict[str, Any]:
    """The interactive model version served now, if any: ``{model_id, parent_model_id,
    stories}``; ``None`` values when the served model is not an interactive one."""
    served = assistant_active_model(assistant=assistant)
    metadata = (getattr(served.model, "metadata", None) or {}) if served is not None else {}
    interactive = metadata.get("kind") == INTERACTIVE
    return {
        "model_id": served.id if served is not None else None,
        "interactive": interactive,
        "parent_model_id": metadata.get("parent_model_id") if interactive else None,
        "learned_stories": len(metadata.get("learned_stories") or ()) if interactive else 0,
        "ml_updated": bool(metadata.get("ml_update")) if interactive else False,
    }


def interactive_model_keep(*, assistant: Assistant) -> dict[str, Any]:
    """Keep the interactive version: the next correction starts a new one on top of it."""
    interactive_wait(assistant=assistant)
    with _lock:
        _folds.pop(assistant.pk, None)
    return interactive_model_status(assistant=assistant)


def interactive_model_discard(*, assistant: Assistant) -> dict[str, Any]:
    """Delete the interactive version served now: its parent is served again."""
    interactive_wait(assistant=assistant)
    with _lock:
        _folds.pop(assistant.pk, None)
        directory = assistant_models_dir(assistant=assistant)
        version, parent = _current_version(directory)
        pointed = pointed_archive(directory) is not None
        for path in version:
            _remove(path)
        if pointed and parent is not None:
            write_pointer(directory, archive=parent.name, model_id=_model_id(parent))
    return interactive_model_status(assistant=assistant)
