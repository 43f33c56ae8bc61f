"""The model registry: ModelVersion rows over the archives in an assistant's models folder.

Archives stay the source of truth for serving (``training.active_pointer``); rows add who,
tags, metrics and lineage. Archives trained outside a job (``manage.py train``, the engine CLI)
get their row on the next ``model_versions_sync``.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from annotation.models import Assistant
from training.active_pointer import active_archive, archives_in, write_pointer, write_unloaded
from training.engine.archive import SUFFIX, ArchiveError, archive_name, read_metadata
from training.engine.fingerprint import canonical_hash
from training.models import ModelKind, ModelVersion, TrainingSettings
from training.services import assistant_models_dir

UserLike = AbstractBaseUser | AnonymousUser | None
MAX_TAG_LENGTH = 50
MAX_TAGS = 20
DEFAULT_MAX_UPLOAD_BYTES = 2 * 2**30
COPY_CHUNK = 2**20


class RegistryError(Exception):
    """A registry operation a user asked for and cannot have; ``code`` is stable for the API."""

    code = "registry_error"
    http_status = 400


class ActiveModelDelete(RegistryError):
    code = "active_model"
    http_status = 409


class ArchiveMissing(RegistryError):
    code = "archive_missing"
    http_status = 409


class UploadRejected(RegistryError):
    code = "invalid_archive"


def training_settings_get(*, assistant: Assistant) -> TrainingSettings:
    """The assistant's training settings: its row, or the defaults (unsaved: reading never
    writes, so concurrent first reads cannot collide; saving the instance creates the row)."""
    found = TrainingSettings.objects.filter(assistant=assistant).first()
    return found if found is not None else TrainingSettings(assistant=assistant)


def user_or_none(user: UserLike) -> Any:
    return user if user is not None and user.is_authenticated else None


def archive_path(version: ModelVersion) -> Path:
    return assistant_models_dir(assistant=version.assistant) / version.archive_name


def active_model_id(*, assistant: Assistant) -> str | None:
    """The id of the model that serves (the pointed archive, else the newest)."""
    path = active_archive(assistant_models_dir(assistant=assistant))
    return _model_id_of(path) if path is not None else None


def _model_id_of(path: Path) -> str:
    # archives are named <created>-<model id>.tar.gz
    return path.name[: -len(SUFFIX)].rsplit("-", 1)[-1]


def model_version_record(
    *,
    assistant: Assistant,
    path: Path,
    metadata: dict[str, Any],
    user: UserLike = None,
    origin: str = "job",
) -> ModelVersion:
    """The row of the archive at ``path`` (created when missing)."""
    model_id = str(metadata.get("id") or _model_id_of(path))
    existing = ModelVersion.objects.filter(assistant=assistant, model_id=model_id).first()
    if existing is not None:
        return existing
    parent_id = str(metadata.get("parent_model_id") or "")
    parent = (
        ModelVersion.objects.filter(assistant=assistant, model_id=parent_id).first()
        if parent_id
        else None
    )
    kind = metadata.get("kind")
    kind = kind if kind in ModelKind.values else ModelKind.FULL
    try:
        with transaction.atomic():
            return ModelVersion.objects.create(
                assistant=assistant,
                model_id=model_id,
                parent=parent,
                parent_model_id=parent_id,
                kind=kind,
                data_fingerprint=str(metadata.get("data_fingerprint") or ""),
                config_fingerprint=canonical_hash(metadata.get("config") or {}),
                metrics={"training": metadata.get("metrics") or {}},
                size_bytes=path.stat().st_size,
                started_by=user_or_none(user),
                archive_name=path.name,
                fine_tune_count=int(metadata.get("fine_tune_count") or 0),
                origin=origin,
            )
    except IntegrityError:  # recorded meanwhile by another process
        return ModelVersion.objects.get(assistant=assistant, model_id=model_id)


def model_versions_sync(*, assistant: Assistant) -> None:
    """Rows for archives that have none (trained by the CLI, learned interactively, copied
    in by hand), and no rows for archives that are gone (the archive is the truth)."""
    directory = assistant_models_dir(assistant=assistant)
    archives = archives_in(directory) if directory.is_dir() else []
    names = {path.name for path in archives}
    rows = dict(ModelVersion.objects.filter(assistant=assistant).values_list("archive_name", "pk"))
    gone = [pk for name, pk in rows.items() if name not in names]
    if gone:
        ModelVersion.objects.filter(pk__in=gone).delete()
    known = set(rows)
    for path in archives:
        if path.name in known:
            continue
        try:
            metadata = read_metadata(path)
        except ArchiveError:
            continue
        model_version_record(assistant=assistant, path=path, metadata=metadata, origin="disk")


def model_version_list(*, assistant: Assistant) -> QuerySet[ModelVersion]:
    model_versions_sync(assistant=assistant)
    return ModelVersion.objects.filter(assistant=assistant).select_related("parent", "started_by")


def model_version_activate(*, version: ModelVersion) -> ModelVersion:
    """Serve ``version`` from the next message on, in every process."""
    path = archive_path(version)
    if not path.is_file():
        raise ArchiveMissing(f"the archive of model {version.model_id} is missing")
    write_pointer(path.parent, archive=path.name, model_id=version.model_id)
    return version


def model_activate_file(*, assistant: Assistant, model_file: str) -> Path:
    """Serve the assistant's archive that ``model_file`` names (Rasa's ``PUT /model``): its file
    name (any folder before it is ignored) or its model id. Returns the archive."""
    name = model_file.replace("\\", "/").rsplit("/", 1)[-1]
    directory = assistant_models_dir(assistant=assistant)
    archives = archives_in(directory) if directory.is_dir() else []
    for path in archives:
        if name in (path.name, _model_id_of(path)):
            write_pointer(directory, archive=path.name, model_id=_model_id_of(path))
            return path
    raise ArchiveMissing(f"{model_file!r} is not one of this assistant's models")


def models_unload(*, assistant: Assistant) -> None:
    """No model serves from the next message on (Rasa's ``DELETE /model``), until one is
    activated again (the registry, a training job that activates, ``PUT /model``)."""
    write_unloaded(assistant_models_dir(assistant=assistant))


def model_version_tag(*, version: ModelVersion, tags: list[str]) -> ModelVersion:
    cleaned: list[str] = []
    for tag in tags:
        tag = tag.strip()
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise RegistryError(f"a tag has at most {MAX_TAG_LENGTH} characters: {tag[:60]!r}")
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise RegistryError(f"a model has at most {MAX_TAGS} tags")
    version.tags = cleaned
    version.save(update_fields=["tags", "updated_at"])
    return version


def model_version_delete(*, version: ModelVersion) -> None:
    """Delete a model and its archive; never the active one."""
    if version.model_id == active_model_id(assistant=version.assistant):
        raise ActiveModelDelete("This model is active: activate another one before deleting it.")
    archive_path(version).unlink(missing_ok=True)
    version.delete()


def model_version_upload(
    *, assistant: Assistant, file: IO[bytes], user: UserLike = None
) -> ModelVersion:
    """Add an uploaded archive, checked by the engine's archive reader first."""
    directory = assistant_models_dir(assistant=assistant)
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        dir=directory, prefix=".upload-", suffix=".partial", delete=False
    ) as partial:
        too_big = _copy_limited(file, partial, limit=_max_upload_bytes())
    temporary = Path(partial.name)
    try:
        if too_big:
            raise UploadRejected(
                f"The archive is larger than {_max_upload_bytes()} bytes, the most this "
                "server accepts (settings.MAX_MODEL_UPLOAD_BYTES)."
            )
        try:
            metadata = read_metadata(temporary)
        except ArchiveError as error:
            raise UploadRejected(
                "This file is not a Parley model archive (a .tar.gz with metadata.json)."
            ) from error
        model_id = str(metadata.get("id") or "")
        if not model_id.isalnum() or "created" not in metadata:
            raise UploadRejected("The archive's metadata has no model id or creation time.")
        if ModelVersion.objects.filter(assistant=assistant, model_id=model_id).exists():
            raise UploadRejected(f"This assistant already has model {model_id}.")
        try:
            name = archive_name(model_id, datetime.fromisoformat(str(metadata["created"])))
        except ValueError as error:
            raise UploadRejected("The archive's creation time is not a valid date.") from error
        final = directory / name
        temporary.replace(final)
    finally:
        temporary.unlink(missing_ok=True)
    return model_version_record(
        assistant=assistant, path=final, metadata=metadata, user=user, origin="upload"
    )


def _max_upload_bytes() -> int:
    return int(getattr(settings, "MAX_MODEL_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


def _copy_limited(source: IO[bytes], target: IO[bytes], *, limit: int) -> bool:
    """Copy at most ``limit`` bytes; True when the source had more."""
    copied = 0
    while chunk := source.read(COPY_CHUNK):
        copied += len(chunk)
        if copied > limit:
            return True
        target.write(chunk)
    return False


@dataclass(frozen=True)
class DiskUse:
    models: int
    bytes: int
    active_model_id: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"models": self.models, "bytes": self.bytes, "active_model_id": self.active_model_id}


def models_disk_use(*, assistant: Assistant) -> DiskUse:
    directory = assistant_models_dir(assistant=assistant)
    archives = archives_in(directory) if directory.is_dir() else []
    return DiskUse(
        models=len(archives),
        bytes=sum(p.stat().st_size for p in archives),
        active_model_id=active_model_id(assistant=assistant),
    )


def models_prune(*, assistant: Assistant) -> list[str]:
    """Delete the oldest models past the assistant's ``keep_models`` (never the active model,
    nor a tagged one); returns the deleted ids."""
    keep = training_settings_get(assistant=assistant).keep_models
    if keep <= 0:
        return []
    active = active_model_id(assistant=assistant)
    versions = list(model_version_list(assistant=assistant).order_by("-created_at", "-id"))
    deleted: list[str] = []
    for version in versions[keep:]:
        if version.model_id == active or version.tags:
            continue
        model_version_delete(version=version)
        deleted.append(version.model_id)
    return deleted
