"""An assistant's stored data as a Rasa project (``annotation.rasa_io`` dataclasses) and files.

``assistant_project`` runs one query per table whatever the size of the assistant (no query
per row), so exporting 100,000 examples costs the same 20 queries as exporting ten.
"""

from __future__ import annotations

import io
import zipfile
from collections import defaultdict
from typing import Any, cast

from annotation import models as m
from annotation.rasa_io import types as t
from annotation.rasa_io.writer import render_project
from annotation.services.project_json import (
    comments_from_json,
    mapping_from_json,
    optional_tuple,
    slots_from_json,
    step_from_json,
)

# a regular file, rw-r--r--, with a fixed date so that one assistant always zips to the same bytes
_ZIP_FILE_MODE = (0o100644 & 0xFFFF) << 16
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def assistant_project(*, assistant: m.Assistant) -> t.Project:
    """The assistant's data as a ``Project``: files, config, domain, NLU, stories, assets."""
    return _ProjectLoader(assistant).load()


def assistant_export_files(*, assistant: m.Assistant) -> dict[str, bytes]:
    """The assistant's project files as ``{posix relative path: content}``, assets included."""
    project = assistant_project(assistant=assistant)
    files = render_project(project)
    for asset in project.assets:
        files.setdefault(asset.path, asset.content)
    return files


def assistant_export_zip(*, assistant: m.Assistant) -> bytes:
    """The assistant's project as a zip archive (files at the archive's root), built in memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in assistant_export_files(assistant=assistant).items():
            info = zipfile.ZipInfo(path, date_time=_ZIP_DATE)
            info.external_attr = _ZIP_FILE_MODE
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


class _ProjectLoader:
    def __init__(self, assistant: m.Assistant) -> None:
        self.assistant = assistant
        self.paths: dict[int, str] = {}

    def load(self) -> t.Project:
        files = self._files()
        return t.Project(
            files=files,
            config=self._config(),
            domain=self._domain(),
            nlu=self._nlu(),
            stories=self._stories(),
            assets=self._assets(),
        )

    def _origin(self, file_id: int | None, line: int) -> t.Origin:
        return t.Origin(file=self.paths.get(file_id, "") if file_id else "", line=line)

    def _of(self, model: type[Any]) -> Any:
        return model.objects.filter(assistant=self.assistant).order_by("position", "id")

    # ---- files

    def _files(self) -> tuple[t.ProjectFileInfo, ...]:
        rows = list(
            m.ProjectFile.objects.filter(assistant=self.assistant).order_by("position", "id")
        )
        self.paths = {row.pk: row.path for row in rows}
        return tuple(
            t.ProjectFileInfo(
                path=row.path,
                kind=cast(t.FileKind, row.kind),
                version=row.version or None,
                sections=tuple(row.sections),
                comments=comments_from_json(row.comments),
            )
            for row in rows
        )

    def _assets(self) -> tuple[t.Asset, ...]:
        rows = m.Asset.objects.filter(assistant=self.assistant).order_by("path")
        return tuple(
            t.Asset(path=path, content=bytes(content))
            for path, content in rows.values_list("path", "content")
        )

    def _config(self) -> t.TrainingConfig | None:
        row = m.TrainingConfig.objects.filter(assistant=self.assistant).first()
        if row is None:
            return None
        return t.TrainingConfig(
            recipe=row.recipe,
            language=row.language,
            pipeline=optional_tuple(row.pipeline),
            policies=optional_tuple(row.policies),
            assistant_id=row.assistant_identifier,
            extra=row.extra or {},
            origin=self._origin(row.file_id, row.line),
            comments=comments_from_json(row.comments),
        )

    # ---- domain

    def _domain(self) -> t.Domain:
        o = self._origin
        c = comments_from_json
        intents = tuple(
            t.IntentDef(
                name=row.name,
                use_entities=optional_tuple(row.use_entities),
                ignore_entities=optional_tuple(row.ignore_entities),
                is_retrieval=row.is_retrieval,
                origin=o(row.file_id, row.line),
                comments=c(row.comments),
            )
            for row in self._of(m.Intent).filter(in_domain=True)
        )
        entities = tuple(
            t.EntityDef(
                name=row.name,
                roles=tuple(row.roles),
                groups=tuple(row.groups),
                influence_conversation=row.influence_conversation,
                origin=o(row.file_id, row.line),
                comments=c(row.comments),
            )
            for row in self._of(m.Entity)
        )
        slots = tuple(
            t.SlotDef(
                name=row.name,
                type=row.type,
                influence_conversation=row.influence_conversation,
                values=optional_tuple(row.values),
                min_value=row.min_value,
                max_value=row.max_value,
                initial_value=row.initial_value,
                mappings=tuple(mapping_from_json(mp) for mp in row.mappings),
                origin=o(row.file_id, row.line),
                comments=c(row.comments),
            )
            for row in self._of(m.Slot)
        )
        actions = tuple(
            t.ActionDef(
                name=row.name,
                send_domain=row.send_domain,
                origin=o(row.file_id, row.line),
                comments=c(row.comments),
            )
            for row in self._of(m.Action)
        )
        forms = tuple(
            t.FormDef(
                name=row.name,
                required_slots=tuple(row.required_slots),
                ignored_intents=tuple(row.ignored_intents),
                origin=o(row.file_id, row.line),
                comments=c(row.comments),
            )
            for row in self._of(m.Form)
        )
        settings = m.DomainSettings.objects.filter(assistant=self.assistant).first()
        return t.Domain(
            intents=intents,
            entities=entities,
            slots=slots,
            responses=self._responses(),
            actions=actions,
            forms=forms,
            session_config=self._session_config(settings),
            config=(settings.domain_config or {}) if settings else {},
            e2e_actions=tuple(settings.e2e_actions) if settings else (),
        )

    def _responses(self) -> tuple[t.ResponseDef, ...]:
        variations: dict[int, list[t.ResponseVariation]] = defaultdict(list)
        rows = m.ResponseVariation.objects.filter(response__assistant=self.assistant).order_by(
            "response_id", "position", "id"
        )
        for v in rows:
            variations[v.response_id].append(
                t.ResponseVariation(
                    text=v.text,
                    buttons=optional_tuple(v.buttons),
                    image=v.image,
                    custom=v.custom,
                    condition=optional_tuple(v.condition),
                    channel=v.channel,
                    extra=v.extra or {},
                    comments=comments_from_json(v.comments),
                )
            )
        return tuple(
            t.ResponseDef(
                name=row.name,
                variations=tuple(variations.get(row.pk, ())),
                origin=self._origin(row.file_id, row.line),
                comments=comments_from_json(row.comments),
            )
            for row in self._of(m.Response)
        )

    def _session_config(self, row: m.DomainSettings | None) -> t.SessionConfig | None:
        if row is None:
            return None
        unset = (
            row.session_expiration_time is None
            and row.carry_over_slots_to_new_session is None
            and row.file_id is None
            and not row.line
            and not row.comments
        )
        if unset:  # the row holds only the domain's config / e2e_actions
            return None
        return t.SessionConfig(
            session_expiration_time=row.session_expiration_time,
            carry_over_slots_to_new_session=row.carry_over_slots_to_new_session,
            origin=self._origin(row.file_id, row.line),
            comments=comments_from_json(row.comments),
        )

    # ---- NLU

    def _nlu(self) -> tuple[t.NluItem, ...]:
        o = self._origin
        c = comments_from_json
        intent_names = dict(
            m.Intent.objects.filter(assistant=self.assistant).values_list("id", "name")
        )
        spans: dict[int, list[t.EntityAnnotation]] = defaultdict(list)
        span_rows = (
            m.EntitySpan.objects.filter(assistant=self.assistant)
            .order_by("example_id", "position", "id")
            .values_list("example_id", "start", "end", "entity", "value", "role", "group")
        )
        for example_id, start, end, entity, value, role, group in span_rows:
            spans[example_id].append(t.EntityAnnotation(start, end, entity, value, role, group))
        examples: dict[int, list[tuple[str, Any, tuple[t.EntityAnnotation, ...]]]] = defaultdict(
            list
        )
        example_rows = (
            m.Example.objects.filter(assistant=self.assistant)
            .order_by("block_id", "position", "id")
            .values_list("id", "block_id", "text", "metadata")
        )
        for example_id, block_id, text, metadata in example_rows:
            examples[block_id].append((text, metadata, tuple(spans.get(example_id, ()))))

        items: list[tuple[int, int, t.NluItem]] = []  # (position, table, item)
        for row in self._of(m.IntentBlock):
            origin = o(row.file_id, row.line)
            example_origin = t.Origin(file=origin.file)
            block = t.IntentBlock(
                intent=intent_names[row.intent_id],
                examples=tuple(
                    t.Example(text=text, entities=ents, metadata=meta, origin=example_origin)
                    for text, meta, ents in examples.get(row.pk, ())
                ),
                metadata=row.metadata,
                examples_as_list=row.examples_as_list,
                origin=origin,
                comments=c(row.comments),
            )
            items.append((row.position, 0, block))
        for row in self._of(m.Synonym):
            syn = t.Synonym(
                name=row.name,
                examples=tuple(row.examples),
                origin=o(row.file_id, row.line),
                comments=c(row.comments),
            )
            items.append((row.position, 1, syn))
        for row in self._of(m.RegexPattern):
            regex = t.RegexPattern(
                name=row.name,
                patterns=tuple(row.patterns),
                origin=o(row.file_id, row.line),
                comments=c(row.comments),
            )
            items.append((row.position, 2, regex))
        for row in self._of(m.LookupTable):
            lookup = t.LookupTable(
                name=row.name,
                elements=tuple(row.elements),
                origin=o(row.file_id, row.line),
                comments=c(row.comments),
            )
            items.append((row.position, 3, lookup))
        # stable: items of one table keep their (position, id) order
        items.sort(key=lambda entry: (entry[0], entry[1]))
        return tuple(item for _, _, item in items)

    # ---- stories

    def _stories(self) -> tuple[t.Story, ...]:
        stories = list(self._of(m.Story))
        files = {row.pk: self.paths.get(row.file_id, "") if row.file_id else "" for row in stories}
        steps: dict[int, list[t.StoryStep]] = defaultdict(list)
        step_rows = (
            m.StoryStep.objects.filter(story__assistant=self.assistant)
            .order_by("story_id", "position")
            .values_list(
                "story_id",
                "kind",
                "name",
                "text",
                "entities",
                "slots",
                "alternatives",
                "metadata",
                "line",
                "comments",
            )
        )
        for story_id, kind, name, text, ents, slots, alts, metadata, line, comments in step_rows:
            file = files.get(story_id, "")
            steps[story_id].append(
                t.StoryStep(
                    kind=cast(t.StepKind, kind),
                    name=name,
                    text=text,
                    entities=tuple(ents or ()),
                    slots=slots_from_json(slots),
                    alternatives=tuple(step_from_json(alt, file=file) for alt in alts or ()),
                    metadata=metadata,
                    origin=t.Origin(file=file, line=line),
                    comments=comments_from_json(comments),
                )
            )
        return tuple(
            t.Story(
                kind=cast(Any, row.kind),
                name=row.name,
                steps=tuple(steps.get(row.pk, ())),
                condition=tuple(step_from_json(s, file=files[row.pk]) for s in row.condition),
                conversation_start=row.conversation_start,
                wait_for_user_input=row.wait_for_user_input,
                metadata=row.metadata,
                is_test=row.is_test,
                origin=self._origin(row.file_id, row.line),
                comments=comments_from_json(row.comments),
            )
            for row in stories
        )
