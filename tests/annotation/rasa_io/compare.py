"""Comparing Projects across a write and a re-read, where lines and file versions may move."""

from __future__ import annotations

import dataclasses
from typing import Any

from annotation.rasa_io.types import Origin, ProjectFileInfo


def strip_lines(value: Any) -> Any:
    """``value`` with origin lines zeroed and file versions dropped (both change on export)."""
    if isinstance(value, Origin):
        return Origin(value.file, 0)
    if isinstance(value, ProjectFileInfo):
        sections = tuple(s for s in value.sections if s != "version")
        return dataclasses.replace(value, version=None, sections=sections)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: strip_lines(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init
        }
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(strip_lines(item) for item in value)
    if isinstance(value, list):
        return [strip_lines(item) for item in value]
    if isinstance(value, dict):
        return {key: strip_lines(item) for key, item in value.items()}
    return value
