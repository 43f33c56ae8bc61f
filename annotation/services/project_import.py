"""Import a Rasa project (``annotation.rasa_io`` dataclasses) into an assistant, atomically.

Reading (folder or archive) happens first and writes nothing; the writes then happen in one
transaction, a constant number of ``bulk_create`` calls per table, so that 100,000 examples
import in seconds and a failure leaves the database as it was.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, models, transaction

from annotation import models as m
from annotation.rasa_io import types as t
from annotation.rasa_io.archive import extract_archive
from annotation.rasa_io.errors import ArchiveError, ProjectError
from annotation.rasa_io.reader import read_project
from annotation.services.errors import AssistantExistsError, AssistantNameError
from annotation.services.project_json import (
    comments_to_json,
    mapping_to_json,
    optional_list,
    slots_to_json,
    step_to_json,
)

BATCH_SIZE = 2000
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar")
ASSISTANT_NAME_MAX = m.Assistant._meta.get_field("name").max_length or 100

ModelT = TypeVar("ModelT", bound=models.Model)


# ---------------------------------------------------------------------------------- entry


def assistant_import_from_path(*, name: str, path: Path, replace: bool = False) -> m.Assistant:
    """Read a project folder or archive (.zip, .tar.gz, .tgz, .tar) and import it as ``name``.

    Raises ``AssistantExistsError`` before reading when the name is taken and ``replace`` is
    false, ``ArchiveError`` for an unsafe or too large archive, ``ProjectError`` for a project
    that cannot be read or stored. Nothing is written unless the whole import succeeds.
    """
    _check_name(name)
    if not replace and m.Assistant.objects.filter(name=name).exists():
        raise AssistantExistsError(name)
    project = project_read_path(path=Path(path))
    return assistant_import(name=name, project=project, replace=replace)


def project_read_path(*, path: Path) -> t.Project:
    """A project from a folder or an archive; archives are unpacked into a temporary folder."""
    if path.is_dir():
        return read_project(path)
    if not path.is_file():
        raise ProjectError(_problem("path_not_found", f"{path} is neither a folder nor a file"))
    if not path.name.lower().endswith(ARCHIVE_SUFFIXES):
        raise ProjectError(
            _problem(
                "unsupported_file",
                f"{path.name} is not a project folder or an archive "
                f"(expected one of {', '.join(ARCHIVE_SUFFIXES)})",
            )
        )
    size = path.stat().st_size
    if size > settings.MAX_UPLOAD_BYTES:
        raise ArchiveError(
            _problem(
                "upload_too_large",
                f"{path.name} is {_megabytes(size)}; uploads may be at most "
                f"{_megabytes(settings.MAX_UPLOAD_BYTES)} (PARLEY_MAX_UPLOAD_MB)",
            )
        )
    with TemporaryDirectory(prefix="parley-import-") as tmp:
        root = extract_archive(
            path,
            Path(tmp),
            max_bytes=settings.MAX_ARCHIVE_BYTES,
            max_files=settings.MAX_ARCHIVE_FILES,
        )
        return read_project(root)


def assistant_import(*, name: str, project: t.Project, replace: bool = False) -> m.Assistant:
    """Store ``project`` as the assistant ``name`` in one transaction.

    An existing assistant is refused unless ``replace``; then its data is replaced and the
    assistant row (its id, its memberships) is kept. Any constraint violation rolls the whole
    import back and is raised as ``ProjectError``.
    """
    _check_name(name)
    problems = project_problems(project)
    if problems:
        raise ProjectError(problems)
    try:
        with transaction.atomic():
            assistant = _claim_assistant(
                name=name, replace=replace, source_format=_source_format(project)
            )
            _ProjectStore(assistant, project).write()
    except (IntegrityError, DataError, ValidationError, ValueError) as exc:
        raise ProjectError(
            _problem(
                "constraint_violation",
                f"the project could not be stored, nothing was imported: {_one_line(exc)}",
            )
        ) from exc
    return assistant


# ---------------------------------------------------------------------------- assistant


def _check_name(name: str) -> None:
    if not name or not name.strip():
        raise AssistantNameError("An assistant needs a name")
    if len(name) > ASSISTANT_NAME_MAX:
        raise AssistantNameError(
            f"An assistant name may have at most {ASSISTANT_NAME_MAX} characters"
        )


def _claim_assistant(*, name: str, replace: bool, source_format: str) -> m.Assistant:
    existing = m.Assistant.objects.select_for_update().filter(name=name).first()
    if existing is None:
        try:
            with transaction.atomic():
                return m.Assistant.objects.create(name=name, source_format=source_format)
        except IntegrityError as exc:  # created meanwhile by someone else
            raise AssistantExistsError(name) from exc
    if not replace:
        raise AssistantExistsError(name)
    assistant_data_delete(assistant=existing)
    existing.source_format = source_format
    existing.save(update_fields=["source_format", "updated_at"])
    return existing


# models holding an assistant's project data, leaves first
_DATA_MODELS: tuple[type[models.Model], ...] = (
    m.EntitySpan,
    m.Example,
    m.IntentBlock,
    m.Synonym,
    m.RegexPattern,
    m.LookupTable,
    m.Story,
    m.Response,
    m.Form,
    m.Slot,
    m.Action,
    m.Entity,
    m.Intent,
    m.DomainSettings,
    m.TrainingConfig,
    m.Asset,
    m.ProjectFile,
)


def assistant_data_delete(*, assistant: m.Assistant) -> None:
    """Delete the assistant's project data (domain, NLU, stories, config, files), keep the
    assistant and its memberships. Story steps and response variations go with their parents."""
    for model in _DATA_MODELS:
        model._default_manager.filter(assistant=assistant).delete()


def _source_format(project: t.Project) -> str:
    versions = [f.version for f in project.files if f.version and f.kind == "domain"]
    versions += [f.version for f in project.files if f.version]
    return versions[0] if versions else ""


# ------------------------------------------------------------------------------- checks


_NAME_LIMIT = 200


def project_problems(project: t.Project) -> list[t.Problem]:
    """What would break a database rule, found before writing so each has its file and line."""
    problems: list[t.Problem] = []
    domain = project.domain
    named: list[tuple[str, Sequence[Any]]] = [
        ("intent", domain.intents),
        ("entity", domain.entities),
        ("slot", domain.slots),
        ("response", domain.responses),
        ("action", domain.actions),
        ("form", domain.forms),
    ]
    for label, items in named:
        seen: set[str] = set()
        for item in items:
            problems += _name_problems(label, item.name, item.origin)
            if item.name in seen:
                problems.append(
                    _problem(
                        "duplicate_name",
                        f"the {label} {item.name!r} is defined twice",
                        item.origin,
                    )
                )
            seen.add(item.name)
    for label, paths in (
        ("file", [f.path for f in project.files]),
        ("asset", [a.path for a in project.assets]),
    ):
        for path, count in Counter(paths).items():
            if count > 1:
                problems.append(_problem("duplicate_path", f"the {label} {path} appears twice"))
    for item in project.nlu:
        if isinstance(item, t.IntentBlock):
            problems += _name_problems("intent", item.intent, item.origin)
            for example in item.examples:
                problems += _example_problems(example, item.origin)
    return problems


def _name_problems(label: str, name: str, origin: t.Origin) -> list[t.Problem]:
    if not name:
        return [_problem("empty_name", f"a {label} has no name", origin)]
    if len(name) > _NAME_LIMIT:
        return [
            _problem(
                "name_too_long",
                f"the {label} name {name[:40]!r}... is longer than {_NAME_LIMIT} characters",
                origin,
            )
        ]
    return []


def _example_problems(example: t.Example, block_origin: t.Origin) -> list[t.Problem]:
    origin = example.origin if example.origin.file else block_origin
    if not example.text:
        return [_problem("empty_example", "an example has no text", origin)]
    problems: list[t.Problem] = []
    for span in example.entities:
        if not span.entity:
            problems.append(_problem("empty_entity", "an entity annotation has no entity", origin))
        elif not 0 <= span.start < span.end <= len(example.text):
            problems.append(
                _problem(
                    "entity_span_outside_text",
                    f"the {span.entity!r} annotation [{span.start}:{span.end}] does not lie "
                    f"inside the example text {example.text!r}",
                    origin,
                )
            )
    return problems


# -------------------------------------------------------------------------------- store


class _ProjectStore:
    """Writes one project's rows for one assistant (inside the caller's transaction)."""

    def __init__(self, assistant: m.Assistant, project: t.Project) -> None:
        self.assistant = assistant
        self.project = project
        self.file_ids: dict[str, int] = {}
        self.intent_ids: dict[str, int] = {}

    def write(self) -> None:
        self._files()
        self._assets()
        self._config()
        self._domain()
        self._nlu()
        self._stories()

    # ---- helpers

    def _sourced(self, position: int, origin: t.Origin, comments: tuple[t.Comment, ...]) -> Any:
        return {
            "assistant_id": self.assistant.pk,
            "file_id": self.file_ids.get(origin.file),
            "position": position,
            "line": origin.line,
            "comments": comments_to_json(comments),
        }

    @staticmethod
    def _create(model: type[ModelT], objs: Iterable[ModelT]) -> list[ModelT]:
        return model._default_manager.bulk_create(list(objs), batch_size=BATCH_SIZE)

    # ---- files

    def _files(self) -> None:
        rows = self._create(
            m.ProjectFile,
            (
                m.ProjectFile(
                    assistant_id=self.assistant.pk,
                    path=f.path,
                    kind=f.kind,
                    version=f.version or "",
                    sections=list(f.sections),
                    comments=comments_to_json(f.comments),
                    position=i,
                )
                for i, f in enumerate(self.project.files)
            ),
        )
        self.file_ids = {row.path: _pk(row) for row in rows}

    def _assets(self) -> None:
        self._create(
            m.Asset,
            (
                m.Asset(assistant_id=self.assistant.pk, path=a.path, content=a.content)
                for a in self.project.assets
            ),
        )

    def _config(self) -> None:
        config = self.project.config
        if config is None:
            return
        m.TrainingConfig.objects.create(
            recipe=config.recipe,
            language=config.language,
            pipeline=optional_list(config.pipeline),
            policies=optional_list(config.policies),
            assistant_identifier=config.assistant_id,
            extra=config.extra,
            **self._sourced(0, config.origin, config.comments),
        )

    # ---- domain

    def _domain(self) -> None:
        domain = self.project.domain
        s = self._sourced
        intents = [
            m.Intent(
                name=i.name,
                use_entities=optional_list(i.use_entities),
                ignore_entities=optional_list(i.ignore_entities),
                is_retrieval=i.is_retrieval,
                in_domain=True,
                **s(n, i.origin, i.comments),
            )
            for n, i in enumerate(domain.intents)
        ]
        known = {i.name for i in domain.intents}
        for item in self.project.nlu:
            if isinstance(item, t.IntentBlock) and item.intent not in known:
                known.add(item.intent)
                intents.append(
                    m.Intent(
                        assistant_id=self.assistant.pk,
                        name=item.intent,
                        in_domain=False,
                        position=len(intents),
                    )
                )
        self.intent_ids = {i.name: _pk(i) for i in self._create(m.Intent, intents)}
        self._create(
            m.Entity,
            (
                m.Entity(
                    name=e.name,
                    roles=list(e.roles),
                    groups=list(e.groups),
                    influence_conversation=e.influence_conversation,
                    **s(n, e.origin, e.comments),
                )
                for n, e in enumerate(domain.entities)
            ),
        )
        self._create(
            m.Slot,
            (
                m.Slot(
                    name=sl.name,
                    type=sl.type,
                    influence_conversation=sl.influence_conversation,
                    values=optional_list(sl.values),
                    min_value=sl.min_value,
                    max_value=sl.max_value,
                    initial_value=sl.initial_value,
                    mappings=[mapping_to_json(mp) for mp in sl.mappings],
                    **s(n, sl.origin, sl.comments),
                )
                for n, sl in enumerate(domain.slots)
            ),
        )
        self._create(
            m.Action,
            (
                m.Action(name=a.name, send_domain=a.send_domain, **s(n, a.origin, a.comments))
                for n, a in enumerate(domain.actions)
            ),
        )
        self._create(
            m.Form,
            (
                m.Form(
                    name=f.name,
                    required_slots=list(f.required_slots),
                    ignored_intents=list(f.ignored_intents),
                    **s(n, f.origin, f.comments),
                )
                for n, f in enumerate(domain.forms)
            ),
        )
        self._responses(domain.responses)
        self._domain_settings(domain)

    def _responses(self, responses: tuple[t.ResponseDef, ...]) -> None:
        rows = self._create(
            m.Response,
            (
                m.Response(name=r.name, **self._sourced(n, r.origin, r.comments))
                for n, r in enumerate(responses)
            ),
        )
        self._create(
            m.ResponseVariation,
            (
                m.ResponseVariation(
                    response_id=_pk(row),
                    position=n,
                    text=v.text,
                    buttons=optional_list(v.buttons),
                    image=v.image,
                    custom=v.custom,
                    condition=optional_list(v.condition),
                    channel=v.channel,
                    extra=v.extra,
                    comments=comments_to_json(v.comments),
                )
                for row, r in zip(rows, responses, strict=True)
                for n, v in enumerate(r.variations)
            ),
        )

    def _domain_settings(self, domain: t.Domain) -> None:
        session = domain.session_config
        if session is None and not domain.config and not domain.e2e_actions:
            return
        origin = session.origin if session else t.NO_ORIGIN
        comments = session.comments if session else ()
        m.DomainSettings.objects.create(
            session_expiration_time=session.session_expiration_time if session else None,
            carry_over_slots_to_new_session=(
                session.carry_over_slots_to_new_session if session else None
            ),
            domain_config=domain.config,
            e2e_actions=list(domain.e2e_actions),
            **self._sourced(0, origin, comments),
        )

    # ---- NLU

    def _nlu(self) -> None:
        s = self._sourced
        blocks: list[tuple[m.IntentBlock, t.IntentBlock]] = []
        synonyms: list[m.Synonym] = []
        regexes: list[m.RegexPattern] = []
        lookups: list[m.LookupTable] = []
        for n, item in enumerate(self.project.nlu):
            if isinstance(item, t.IntentBlock):
                row = m.IntentBlock(
                    intent_id=self.intent_ids[item.intent],
                    metadata=item.metadata,
                    examples_as_list=item.examples_as_list,
                    **s(n, item.origin, item.comments),
                )
                blocks.append((row, item))
            elif isinstance(item, t.Synonym):
                synonyms.append(
                    m.Synonym(
                        name=item.name,
                        examples=list(item.examples),
                        **s(n, item.origin, item.comments),
                    )
                )
            elif isinstance(item, t.RegexPattern):
                regexes.append(
                    m.RegexPattern(
                        name=item.name,
                        patterns=list(item.patterns),
                        **s(n, item.origin, item.comments),
                    )
                )
            else:
                lookups.append(
                    m.LookupTable(
                        name=item.name,
                        elements=list(item.elements),
                        **s(n, item.origin, item.comments),
                    )
                )
        self._create(m.Synonym, synonyms)
        self._create(m.RegexPattern, regexes)
        self._create(m.LookupTable, lookups)
        self._create(m.IntentBlock, (row for row, _ in blocks))
        examples: list[m.Example] = []
        annotations: list[tuple[t.EntityAnnotation, ...]] = []
        for row, block in blocks:
            for n, example in enumerate(block.examples):
                examples.append(
                    m.Example(
                        assistant_id=self.assistant.pk,
                        intent_id=row.intent_id,
                        block_id=_pk(row),
                        text=example.text,
                        metadata=example.metadata,
                        position=n,
                    )
                )
                annotations.append(example.entities)
        self._create(m.Example, examples)
        self._create(
            m.EntitySpan,
            (
                m.EntitySpan(
                    assistant_id=self.assistant.pk,
                    example_id=_pk(example_row),
                    start=a.start,
                    end=a.end,
                    entity=a.entity,
                    value=a.value,
                    role=a.role,
                    group=a.group,
                    position=n,
                )
                for example_row, spans in zip(examples, annotations, strict=True)
                for n, a in enumerate(spans)
            ),
        )

    # ---- stories

    def _stories(self) -> None:
        stories = self.project.stories
        rows = self._create(
            m.Story,
            (
                m.Story(
                    kind=st.kind,
                    is_test=st.is_test,
                    name=st.name,
                    condition=[step_to_json(c) for c in st.condition],
                    conversation_start=st.conversation_start,
                    wait_for_user_input=st.wait_for_user_input,
                    metadata=st.metadata,
                    **self._sourced(n, st.origin, st.comments),
                )
                for n, st in enumerate(stories)
            ),
        )
        self._create(
            m.StoryStep,
            (
                m.StoryStep(
                    story_id=_pk(row),
                    position=n,
                    kind=step.kind,
                    name=step.name,
                    text=step.text,
                    entities=list(step.entities),
                    slots=slots_to_json(step.slots),
                    alternatives=[step_to_json(alt) for alt in step.alternatives],
                    metadata=step.metadata,
                    line=step.origin.line,
                    comments=comments_to_json(step.comments),
                )
                for row, story in zip(rows, stories, strict=True)
                for n, step in enumerate(story.steps)
            ),
        )


# -------------------------------------------------------------------------------- utils


def _pk(row: models.Model) -> int:
    if row.pk is None:  # a backend that does not return ids from bulk inserts
        raise RuntimeError("bulk_create did not return primary keys; use SQLite or PostgreSQL")
    return int(row.pk)


def _problem(code: str, message: str, origin: t.Origin = t.NO_ORIGIN) -> t.Problem:
    return t.Problem(
        severity="error", code=code, message=message, file=origin.file, line=origin.line
    )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__
