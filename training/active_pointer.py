"""The active model of a models folder: ``active.json`` names its archive.

Written atomically (a temporary file, then ``os.replace``), so a reader sees the old pointer or
the new one; the rename also changes the folder's modification time, which is what serving
processes compare on each message, so activation reaches every process at once without a
database query. Without a pointer (or when it names a missing archive), the newest archive is
active, as before the registry existed. A pointer that says ``unloaded`` (Rasa's ``DELETE
/model``) leaves the folder with no active model until a model is activated again. No Django
here: serving reads it on its hot path.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

from training.engine.archive import SUFFIX

POINTER = "active.json"


def archives_in(directory: Path) -> list[Path]:
    """The folder's model archives, oldest first (names start with the creation time)."""
    return sorted(
        p for p in directory.glob(f"*{SUFFIX}") if p.is_file() and not p.name.startswith(".")
    )


def _pointer(directory: Path) -> dict[str, Any]:
    try:
        pointer = json.loads((directory / POINTER).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return pointer if isinstance(pointer, dict) else {}


def _named_archive(directory: Path, pointer: dict[str, Any]) -> Path | None:
    name = pointer.get("archive")
    if not isinstance(name, str) or "/" in name or not name.endswith(SUFFIX):
        return None
    path = directory / name
    return path if path.is_file() else None


def pointed_archive(directory: Path) -> Path | None:
    """The archive ``active.json`` names, when it names one that exists."""
    return _named_archive(directory, _pointer(directory))


def active_archive(directory: Path) -> Path | None:
    """The pointed archive, else the newest one, else None (always None once unloaded)."""
    pointer = _pointer(directory)
    if pointer.get("unloaded") is True:
        return None
    pointed = _named_archive(directory, pointer)
    if pointed is not None:
        return pointed
    archives = archives_in(directory)
    return archives[-1] if archives else None


def write_pointer(directory: Path, *, archive: str, model_id: str) -> None:
    _write(directory, {"archive": archive, "model_id": model_id})


def write_unloaded(directory: Path) -> None:
    _write(directory, {"archive": None, "model_id": None, "unloaded": True})


def _write(directory: Path, pointer: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    partial = directory / f".{POINTER}.{uuid.uuid4().hex}.partial"
    try:
        partial.write_text(json.dumps(pointer), "utf-8")
        os.replace(partial, directory / POINTER)
    finally:
        partial.unlink(missing_ok=True)
