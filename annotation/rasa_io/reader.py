"""Read a Rasa project (a folder, or a mapping of relative paths to bytes) into a :class:`Project`.

Layout: ``config.yml``; ``domain.yml`` or a ``domain/`` folder of YAML files (merged, each item
keeps its file); ``data/**/*.yml|yaml`` with any mix of ``nlu``/``stories``/``rules``/``responses``;
``tests/**/*.yml|yaml`` (test stories). Every other file is an :class:`Asset`. Hidden files,
``__pycache__``, ``models/`` and ``.rasa/`` are skipped.

Formats "2.0", "3.0" and "3.1" are read into the Rasa 3.1 meaning (see ``reader_normalize``).
All problems found, in every file, are raised together as one :class:`ProjectError`.

Comments follow the convention of ``types``; in addition, comments inside the domain's
``config:`` / ``e2e_actions:`` sections and around ``version:`` stay on the file with their full
path, and comments inside config.yml values (``pipeline``, ``policies``, ...) go to
``TrainingConfig.comments`` with paths starting at the top-level key.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from annotation.rasa_io.errors import ProjectError
from annotation.rasa_io.reader_common import FileContext, suggest, walk_comments
from annotation.rasa_io.reader_domain import (
    LegacyForm,
    LegacySlot,
    read_actions,
    read_domain_config,
    read_entities,
    read_forms,
    read_intents,
    read_responses,
    read_session_config,
    read_slots,
)
from annotation.rasa_io.reader_nlu import read_nlu
from annotation.rasa_io.reader_normalize import check_duplicates, normalize_legacy_slots
from annotation.rasa_io.reader_stories import read_stories
from annotation.rasa_io.types import (
    ActionDef,
    Asset,
    Comment,
    CommentPlace,
    Domain,
    EntityDef,
    FileKind,
    FormDef,
    IntentDef,
    NluItem,
    Problem,
    Project,
    ProjectFileInfo,
    ResponseDef,
    SessionConfig,
    SlotDef,
    Story,
    TrainingConfig,
)
from annotation.rasa_io.yaml_source import YamlSource, YNode, load_yaml

YAML_SUFFIXES = (".yml", ".yaml")
SKIPPED_DIRS = frozenset({"__pycache__", "models", ".rasa"})
KNOWN_VERSIONS = ("2.0", "3.0", "3.1")
DATA_SECTIONS = ("version", "nlu", "stories", "rules", "responses")
TEST_SECTIONS = ("version", "stories", "rules")
DOMAIN_SECTIONS = (
    "version",
    "intents",
    "entities",
    "slots",
    "responses",
    "actions",
    "forms",
    "session_config",
    "config",
    "e2e_actions",
)
CONFIG_KEYS = ("recipe", "language", "pipeline", "policies", "assistant_id")
CONFIG_EXTRA_KEYS = ("version", "importers", "data", "core_target", "nlu_target")


def read_project(root: Path) -> Project:
    """Read the project folder ``root``; raise :class:`ProjectError` with every problem found."""
    files: dict[str, bytes] = {}
    root = root.resolve()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if not path.is_file() or _skipped(relative):
            continue
        if path.is_symlink() and not path.resolve().is_relative_to(root):
            continue
        files[relative] = path.read_bytes()
    return read_files(files)


def _skipped(relative: str) -> bool:
    parts = relative.split("/")
    if parts[0] in SKIPPED_DIRS:
        return True
    return any(
        part.startswith(".") or part == "__pycache__" for part in parts
    ) or relative.endswith(".pyc")


def file_kind(relative: str, files: Mapping[str, bytes]) -> FileKind:
    """What a project file is, from its path alone."""
    parts = relative.split("/")
    is_yaml = relative.lower().endswith(YAML_SUFFIXES)
    if not is_yaml:
        return "asset"
    if relative in ("config.yml", "config.yaml"):
        return "config"
    if relative in ("domain.yml", "domain.yaml") or (parts[0] == "domain" and len(parts) > 1):
        return "domain"
    if parts[0] == "data" and len(parts) > 1:
        return "data"
    if parts[0] == "tests" and len(parts) > 1:
        return "tests"
    return "asset"


def read_files(files: Mapping[str, bytes]) -> Project:
    """Read a project given as ``{posix relative path: content}``."""
    builder = _ProjectBuilder()
    for path in sorted(files):
        relative = posixpath.normpath(path.replace("\\", "/")).lstrip("/")
        if _skipped(relative):
            continue
        builder.add(relative, file_kind(relative, files), files[path])
    return builder.build()


@dataclass
class _ProjectBuilder:
    problems: list[Problem] = field(default_factory=list)
    files: list[ProjectFileInfo] = field(default_factory=list)
    assets: list[Asset] = field(default_factory=list)
    config: TrainingConfig | None = None
    intents: list[IntentDef] = field(default_factory=list)
    entities: list[EntityDef] = field(default_factory=list)
    slots: list[SlotDef] = field(default_factory=list)
    responses: list[ResponseDef] = field(default_factory=list)
    actions: list[ActionDef] = field(default_factory=list)
    forms: list[FormDef] = field(default_factory=list)
    session_config: SessionConfig | None = None
    domain_config: dict[str, Any] = field(default_factory=dict)
    e2e_actions: list[str] = field(default_factory=list)
    nlu: list[NluItem] = field(default_factory=list)
    stories: list[Story] = field(default_factory=list)
    legacy_slots: list[LegacySlot] = field(default_factory=list)
    legacy_forms: list[LegacyForm] = field(default_factory=list)
    has_domain: bool = False

    def add(self, path: str, kind: FileKind, data: bytes) -> None:
        if kind == "asset":
            self.assets.append(Asset(path, data))
            self.files.append(ProjectFileInfo(path, "asset"))
            return
        self.has_domain = self.has_domain or kind == "domain"
        try:
            source = load_yaml(path, data)
        except ProjectError as error:
            self.problems.extend(error.problems)
            self.files.append(ProjectFileInfo(path, kind))
            return
        ctx = FileContext(path, source)
        info = _FileReader(self, ctx, kind).read()
        self.files.append(info)
        self.problems.extend(ctx.problems)

    def build(self) -> Project:
        if not self.has_domain:
            self.problems.append(
                Problem(
                    "error",
                    "missing_domain",
                    "the project has no domain: add domain.yml or a domain/ folder",
                    file="domain.yml",
                )
            )
        slots = normalize_legacy_slots(
            self.slots, self.legacy_slots, self.legacy_forms, {e.name for e in self.entities}
        )
        domain = Domain(
            intents=tuple(self.intents),
            entities=tuple(self.entities),
            slots=tuple(slots),
            responses=tuple(self.responses),
            actions=tuple(self.actions),
            forms=tuple(self.forms),
            session_config=self.session_config,
            config=self.domain_config,
            e2e_actions=tuple(self.e2e_actions),
        )
        self.problems.extend(check_duplicates(domain))
        if self.problems:
            ordered = sorted(self.problems, key=lambda p: (p.file, p.line))
            raise ProjectError(ordered)
        return Project(
            files=tuple(self.files),
            config=self.config,
            domain=domain,
            nlu=tuple(self.nlu),
            stories=tuple(self.stories),
            assets=tuple(self.assets),
        )


@dataclass
class _FileReader:
    """Reads one YAML file of the project into the builder."""

    builder: _ProjectBuilder
    ctx: FileContext
    kind: FileKind
    file_comments: list[Comment] = field(default_factory=list)

    @property
    def source(self) -> YamlSource:
        return self.ctx.source

    def read(self) -> ProjectFileInfo:
        root = self.source.root
        if root is None or (root.is_scalar and root.value is None):
            self._tail_comments(None, 0)
            return ProjectFileInfo(self.ctx.path, self.kind, comments=tuple(self.file_comments))
        if not self.ctx.expect(root, "map", "the top level of the file"):
            return ProjectFileInfo(self.ctx.path, self.kind)
        version = self._version(root)
        self.ctx.version = version
        sections: list[str] = []
        previous: tuple[str, int] | None = None
        for key, value in root.pairs():
            name = str(key.value)
            sections.append(name)
            self._comments_above(key, previous)
            self._read_section(name, key, value)
            previous = (name, max(value.end_line, key.line))
        self._tail_comments(previous[0] if previous else None, previous[1] if previous else 0)
        if self.kind == "config":
            self.builder.config = self._read_config(root)
        return ProjectFileInfo(
            self.ctx.path, self.kind, version, tuple(sections), tuple(self.file_comments)
        )

    def _version(self, root: YNode) -> str | None:
        node = root.get("version")
        if node is None:
            return None
        value = node.value if node.is_scalar else None
        version = value if isinstance(value, str) else (repr(value) if value is not None else None)
        if version not in KNOWN_VERSIONS:
            self.ctx.error(
                "format_version",
                f"unsupported format version {version!r} (supported: {', '.join(KNOWN_VERSIONS)})",
                node.line,
            )
        return version

    # ---------------------------------------------------------------------- file comments

    def _comments_above(self, key: YNode, previous: tuple[str, int] | None) -> None:
        index = self.source.comments
        if not index:
            return
        first = previous[1] + 1 if previous else 1
        found = index.take_between(first, key.line - 1)
        name = str(key.value)
        if found and previous is None:
            self.file_comments.append(Comment((), "before", tuple(c.text for c in found)))
        elif found and previous is not None:
            split = self._last_blank(first, key.line - 1)
            after = [c for c in found if c.line < split]
            before = [c for c in found if c.line > split]
            if after:
                self.file_comments.append(
                    Comment((previous[0],), "after", tuple(c.text for c in after))
                )
            if before:
                self.file_comments.append(Comment((name,), "before", tuple(c.text for c in before)))
        inline = index.take_inline(key.line)
        if inline is not None:
            self.file_comments.append(Comment((name,), "inline", (inline.text,)))

    def _last_blank(self, first: int, last: int) -> int:
        lines = self.source.lines
        for line in range(last, first - 1, -1):
            if not lines[line - 1].strip():
                return line
        return first - 1

    def _tail_comments(self, section: str | None, last_line: int) -> None:
        index = self.source.comments
        found = index.take_between(last_line + 1, len(self.source.lines)) if index else []
        if found:
            path: tuple[str, ...] = (section,) if section else ()
            where: CommentPlace = "after" if section else "before"
            self.file_comments.append(Comment(path, where, tuple(c.text for c in found)))

    # ------------------------------------------------------------------------- sections

    def _allowed_sections(self) -> tuple[str, ...]:
        return {
            "domain": DOMAIN_SECTIONS,
            "data": DATA_SECTIONS,
            "tests": TEST_SECTIONS,
        }.get(self.kind, ())

    def _read_section(self, name: str, key: YNode, value: YNode) -> None:
        if self.kind == "config":
            return
        allowed = self._allowed_sections()
        if name not in allowed:
            self.ctx.unknown_key(key, allowed, f"a {self.kind} file")
            return
        floor = key.line + 1
        b = self.builder
        ctx = self.ctx
        if name == "version":
            return
        if name == "nlu":
            b.nlu.extend(read_nlu(ctx, value, floor))
        elif name in ("stories", "rules"):
            kind: Literal["story", "rule"] = "story" if name == "stories" else "rule"
            b.stories.extend(read_stories(ctx, value, kind, floor, self.kind == "tests"))
        elif name == "responses":
            b.responses.extend(read_responses(ctx, value, floor))
        else:
            self._read_domain_section(name, key, value, floor)

    def _read_domain_section(self, name: str, key: YNode, value: YNode, floor: int) -> None:
        b = self.builder
        ctx = self.ctx
        if name == "intents":
            b.intents.extend(read_intents(ctx, value, floor))
        elif name == "entities":
            b.entities.extend(read_entities(ctx, value, floor))
        elif name == "slots":
            slots, legacy = read_slots(ctx, value, floor)
            b.slots.extend(slots)
            b.legacy_slots.extend(legacy)
        elif name == "actions":
            b.actions.extend(read_actions(ctx, value, floor))
        elif name == "forms":
            forms, legacy_forms = read_forms(ctx, value, floor)
            b.forms.extend(forms)
            b.legacy_forms.extend(legacy_forms)
        elif name == "session_config":
            if b.session_config is not None:
                previous = b.session_config.origin
                ctx.error(
                    "duplicate_definition",
                    f"session_config is defined twice (also in {previous.file}:{previous.line})",
                    key.line,
                )
            b.session_config = read_session_config(ctx, key, value)
        elif name == "config":
            self.file_comments.extend(walk_comments(ctx.comments, value, (name,), key.line))
            b.domain_config.update(read_domain_config(ctx, value))
        elif name == "e2e_actions":
            self.file_comments.extend(walk_comments(ctx.comments, value, (name,), key.line))
            b.e2e_actions.extend(ctx.names(value, "e2e_actions"))

    # --------------------------------------------------------------------------- config

    def _read_config(self, root: YNode) -> TrainingConfig:
        ctx = self.ctx
        comments: list[Comment] = []
        extra: dict[str, Any] = {}
        for key, value in root.pairs():
            name = str(key.value)
            comments.extend(walk_comments(ctx.comments, value, (name,), key.line))
            if name in CONFIG_KEYS:
                continue
            guess = suggest(name, CONFIG_KEYS)
            if guess is not None and name not in CONFIG_EXTRA_KEYS:
                ctx.unknown_key(key, CONFIG_KEYS, "config.yml")
            elif name != "version":
                extra[name] = value.to_python()
        return TrainingConfig(
            recipe=ctx.string(root.get("recipe"), "recipe", allow_none=True),
            language=ctx.string(root.get("language"), "language", allow_none=True),
            pipeline=self._components(root.get("pipeline"), "pipeline"),
            policies=self._components(root.get("policies"), "policies"),
            assistant_id=ctx.string(root.get("assistant_id"), "assistant_id", allow_none=True),
            extra=extra,
            origin=ctx.origin(1),
            comments=tuple(comments),
        )

    def _components(self, node: YNode | None, what: str) -> tuple[dict[str, Any], ...] | None:
        if node is None:
            return None
        items = self.ctx.expect_list(node, f"'{what}'")
        out: list[dict[str, Any]] = []
        for item in items:
            if not self.ctx.expect(item, "map", f"a component of '{what}'"):
                continue
            if item.get("name") is None:
                self.ctx.error("missing_key", f"a component of '{what}' needs a 'name'", item.line)
            out.append({str(k): v for k, v in item.to_python().items()})
        return tuple(out) if out else None
