"""Model archives: one ``.tar.gz`` with ``metadata.json`` first, then ``nodes/<node>/...``.

Archives are named ``<UTC timestamp>-<id>.tar.gz`` so that the newest sorts last, and are
written to a temporary name and renamed, so a reader never sees half an archive.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import uuid
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from training.engine.data import TrainingData

METADATA = "metadata.json"
NODES = "nodes"
SUFFIX = ".tar.gz"


class ArchiveError(ValueError):
    pass


def new_model_id() -> str:
    return uuid.uuid4().hex


def archive_name(model_id: str, created: datetime) -> str:
    return f"{created.astimezone(UTC):%Y%m%d-%H%M%S-%f}-{model_id}{SUFFIX}"


def write_archive(
    *, out_dir: Path, metadata: Mapping[str, Any], node_dirs: Mapping[str, Path]
) -> Path:
    """Pack ``metadata`` and each node's state folder into a new archive in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    created = datetime.fromisoformat(str(metadata["created"]))
    path = out_dir / archive_name(str(metadata["id"]), created)
    partial = out_dir / f".{path.name}.{uuid.uuid4().hex}.partial"
    try:
        # level 1: stored weights hardly compress further, and speed matters for retrains
        with tarfile.open(partial, "w:gz", compresslevel=1) as tar:
            encoded = json.dumps(metadata, indent=2, ensure_ascii=False, default=repr).encode()
            info = tarfile.TarInfo(METADATA)
            info.size = len(encoded)
            info.mtime = int(created.timestamp())
            tar.addfile(info, io.BytesIO(encoded))
            for name, directory in node_dirs.items():
                tar.add(directory, arcname=f"{NODES}/{name}")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def read_metadata(path: Path) -> dict[str, Any]:
    """The archive's metadata, read without unpacking the rest."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                if member.name == METADATA:
                    file = tar.extractfile(member)
                    if file is None:
                        break
                    metadata: dict[str, Any] = json.loads(file.read().decode("utf-8"))
                    return metadata
    except (OSError, tarfile.TarError, json.JSONDecodeError) as error:
        raise ArchiveError(f"{path} is not a readable Parley model archive: {error}") from error
    raise ArchiveError(f"{path} has no {METADATA}: not a Parley model archive")


def extract_archive(path: Path, target: Path) -> Path:
    """Unpack the archive into ``target``; returns the folder holding ``nodes/``."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            tar.extractall(target, filter="data")
    except (OSError, tarfile.TarError) as error:
        raise ArchiveError(f"{path} is not a readable Parley model archive: {error}") from error
    return target


def newest_archive(directory: Path) -> Path:
    archives = sorted(p for p in directory.glob(f"*{SUFFIX}") if p.is_file())
    if not archives:
        raise ArchiveError(f"no model archive ({SUFFIX}) in {directory}")
    return archives[-1]


def resolve_archive(path: Path) -> Path:
    """A model archive path, or the newest archive of a folder."""
    if path.is_dir():
        return newest_archive(path)
    if not path.is_file():
        raise ArchiveError(f"no model archive at {path}")
    return path


def example_counts(data: TrainingData) -> dict[str, dict[str, int]]:
    """How many NLU examples carry each label (what the model actually learned from); the
    fine-tune checker refuses when a label that had examples has none left."""
    counts: dict[str, Counter[str]] = {
        kind: Counter()
        for kind in ("intents", "retrieval_responses", "entities", "roles", "groups")
    }
    for example in data.nlu.examples:
        base, _, sub = example.intent.partition("/")
        counts["intents"][base] += 1
        if sub:
            counts["retrieval_responses"][example.intent] += 1
        for span in example.entities:
            counts["entities"][span.entity] += 1
            if span.role:
                counts["roles"][span.role] += 1
            if span.group:
                counts["groups"][span.group] += 1
    return {kind: dict(sorted(counter.items())) for kind, counter in counts.items()}


def labels_of(data: TrainingData) -> dict[str, list[str]]:
    """The labels a model trained on ``data`` knows: from the NLU examples and the domain.

    Retrieval intents (``faq/ask_name``) count as their base intent (``faq``) among
    ``intents``; their full names are the ``retrieval_responses``.
    """
    intents = {intent.name for intent in data.domain.intents}
    retrieval = {intent.name for intent in data.domain.intents if intent.is_retrieval}
    responses: set[str] = set()
    entities = {entity.name for entity in data.domain.entities}
    roles = {role for entity in data.domain.entities for role in entity.roles}
    groups = {group for entity in data.domain.entities for group in entity.groups}
    for example in data.nlu.examples:
        base, _, sub = example.intent.partition("/")
        intents.add(base)
        if sub:
            retrieval.add(base)
            responses.add(example.intent)
        for span in example.entities:
            entities.add(span.entity)
            if span.role:
                roles.add(span.role)
            if span.group:
                groups.add(span.group)
    return {
        "intents": sorted(intents),
        "entities": sorted(entities),
        "roles": sorted(roles),
        "groups": sorted(groups),
        "retrieval_intents": sorted(retrieval),
        "retrieval_responses": sorted(responses),
    }
