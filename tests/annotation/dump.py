"""Dumps of an assistant's rows, to compare two imports or a database before and after."""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from annotation import models as m

# the assistant's tables and how each reaches the assistant
TABLES: tuple[tuple[type[models.Model], str], ...] = (
    (m.ProjectFile, "assistant"),
    (m.Asset, "assistant"),
    (m.TrainingConfig, "assistant"),
    (m.DomainSettings, "assistant"),
    (m.Intent, "assistant"),
    (m.Entity, "assistant"),
    (m.Slot, "assistant"),
    (m.Action, "assistant"),
    (m.Response, "assistant"),
    (m.ResponseVariation, "response__assistant"),
    (m.Form, "assistant"),
    (m.IntentBlock, "assistant"),
    (m.Example, "assistant"),
    (m.EntitySpan, "assistant"),
    (m.Synonym, "assistant"),
    (m.RegexPattern, "assistant"),
    (m.LookupTable, "assistant"),
    (m.Story, "assistant"),
    (m.StoryStep, "story__assistant"),
)


def _rows(model: type[models.Model], scope: str, assistant: m.Assistant) -> list[dict[str, Any]]:
    rows = model._default_manager.filter(**{scope: assistant}).order_by("pk").values()
    return [
        {k: bytes(v).hex() if isinstance(v, memoryview | bytes) else v for k, v in row.items()}
        for row in rows
    ]


def exact_dump(assistant: m.Assistant) -> dict[str, list[dict[str, Any]]]:
    """Every row of the assistant as stored, ids and timestamps included."""
    return {model.__name__: _rows(model, scope, assistant) for model, scope in TABLES}


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "line"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def content_dump(assistant: m.Assistant, *, lines: bool = False) -> dict[str, list[str]]:
    """The assistant's content: ids, timestamps and the assistant left out, foreign keys as
    natural keys, each table a sorted list. ``lines=False`` also leaves out source lines and
    file format versions, ``version`` keys included (an export writes "3.1" in every data
    file and lays out lines its own way)."""
    raw = exact_dump(assistant)
    names: dict[str, dict[int, Any]] = {}

    def index(table: str, key: Any) -> None:
        names[table] = {row["id"]: key(row) for row in raw[table]}

    index("ProjectFile", lambda r: r["path"])
    index("Intent", lambda r: r["name"])
    index("Response", lambda r: r["name"])
    index("Story", lambda r: ("story", r["position"]))
    index("IntentBlock", lambda r: ("block", r["position"]))
    index("Example", lambda r: (names["IntentBlock"][r["block_id"]], r["position"]))
    foreign = {
        "file_id": "ProjectFile",
        "intent_id": "Intent",
        "response_id": "Response",
        "story_id": "Story",
        "block_id": "IntentBlock",
        "example_id": "Example",
    }
    dropped = {"id", "created_at", "updated_at", "assistant_id"}
    if not lines:
        dropped |= {"line"}
    dump: dict[str, list[str]] = {}
    for table, rows in raw.items():
        canonical = []
        for row in rows:
            out: dict[str, Any] = {}
            for key, value in row.items():
                if key in dropped or (not lines and table == "ProjectFile" and key == "version"):
                    continue
                if not lines and table == "ProjectFile" and key == "sections":
                    value = [section for section in value if section != "version"]
                if key in foreign and value is not None:
                    value = names[foreign[key]][value]
                out[key] = value if lines else _strip_lines(value)
            canonical.append(json.dumps(out, sort_keys=True, default=str))
        dump[table] = sorted(canonical)
    return dump


def row_counts(assistant: m.Assistant) -> dict[str, int]:
    return {
        model.__name__: model._default_manager.filter(**{scope: assistant}).count()
        for model, scope in TABLES
    }
