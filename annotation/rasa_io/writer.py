"""Write a :class:`Project` as Rasa files (format "3.1"), keeping its layout, order and comments.

Files come out in ``Project.files`` order, sections in each file's ``sections`` order, items in
the order of the project's tuples, each in the file it was read from (``origin.file``). Items made
in the UI (``origin.file == ""``) go to default files: the project's config and first domain file
(``config.yml`` / ``domain.yml`` when there is none), ``data/nlu.yml``, ``data/stories.yml``,
``data/rules.yml`` and ``tests/test_stories.yml`` for test stories. Assets are copied byte for byte.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from annotation.rasa_io.errors import ProjectError
from annotation.rasa_io.markup import render_markup
from annotation.rasa_io.types import (
    ActionDef,
    Comment,
    EntityDef,
    Example,
    FileKind,
    FormDef,
    IntentBlock,
    IntentDef,
    LookupTable,
    NluItem,
    Problem,
    Project,
    ProjectFileInfo,
    RegexPattern,
    ResponseDef,
    ResponseVariation,
    SessionConfig,
    SlotDef,
    SlotMapping,
    Story,
    StoryStep,
    Synonym,
    TrainingConfig,
)
from annotation.rasa_io.yaml_emit import (
    MapNode,
    Node,
    ScalarNode,
    SeqNode,
    attach_comments,
    emit_document,
    scalar_text,
    to_node,
)

__all__ = ["FORMAT_VERSION", "render_project", "write_project"]

FORMAT_VERSION = "3.1"

DEFAULT_CONFIG = "config.yml"
DEFAULT_DOMAIN = "domain.yml"
DEFAULT_NLU = "data/nlu.yml"
DEFAULT_STORIES = "data/stories.yml"
DEFAULT_RULES = "data/rules.yml"
DEFAULT_TEST_STORIES = "tests/test_stories.yml"

# where a section goes when a file gains it (known sections, in Rasa's usual order)
SECTION_ORDER = (
    "recipe",
    "assistant_id",
    "language",
    "pipeline",
    "policies",
    "intents",
    "entities",
    "slots",
    "responses",
    "actions",
    "forms",
    "e2e_actions",
    "session_config",
    "config",
    "nlu",
    "rules",
    "stories",
)
MAP_SECTIONS = frozenset({"slots", "responses", "forms", "session_config", "config"})
SPACED_SECTIONS = frozenset({"nlu", "stories", "rules"})  # a blank line between their items
CONFIG_KEYS = ("recipe", "assistant_id", "language", "pipeline", "policies")
FLOW_WIDTH = 80
# a line of an ``examples: |`` block: no line breaks, no characters YAML would escape
_block_line_re = re.compile(
    "[\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*"
).fullmatch  # short lists and dicts in steps and mappings are written on one line


def render_project(project: Project) -> dict[str, bytes]:
    """The files of ``project`` as ``{posix relative path: content}``, in the project's order."""
    plan = _Plan(project)
    plan.collect()
    if plan.problems:
        raise ProjectError(plan.problems)
    return plan.render()


def write_project(project: Project, out_dir: Path) -> list[Path]:
    """Write the project's files under ``out_dir``; return the paths written, in order."""
    rendered = render_project(project)
    written: list[Path] = []
    for path, content in rendered.items():
        target = out_dir.joinpath(*_safe_parts(path))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        written.append(target)
    return written


def _safe_parts(path: str) -> tuple[str, ...]:
    pure = PurePosixPath(path)
    if pure.is_absolute() or not pure.parts or any(p in ("..", ".", "") for p in pure.parts):
        raise ProjectError(
            Problem("error", "unsafe_path", f"cannot write a file outside the project: {path!r}")
        )
    return pure.parts


# ---------------------------------------------------------------------------------- planning


@dataclass
class _FileBuild:
    path: str
    kind: FileKind
    info: ProjectFileInfo | None
    sections: dict[str, list[Node]] = field(default_factory=dict)
    singles: dict[str, Node] = field(default_factory=dict)  # session_config, config, ...
    comments: list[Comment] = field(default_factory=list)

    def add(self, section: str, node: Node) -> None:
        self.sections.setdefault(section, []).append(node)

    def section_order(self) -> list[str]:
        listed = [s for s in (self.info.sections if self.info else ()) if s != "version"]
        present = set(self.sections) | set(self.singles)
        extra = [s for s in present if s not in listed]
        extra.sort(
            key=lambda s: SECTION_ORDER.index(s) if s in SECTION_ORDER else len(SECTION_ORDER)
        )
        return listed + extra


def _section_rank(section: str) -> int:
    return SECTION_ORDER.index(section) if section in SECTION_ORDER else len(SECTION_ORDER)


class _Plan:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.files: dict[str, _FileBuild] = {}
        self.problems: list[Problem] = []
        for info in project.files:
            self.files[info.path] = _FileBuild(
                info.path, info.kind, info, comments=list(info.comments)
            )

    # -- defaults

    def _first_of_kind(self, kind: FileKind, fallback: str) -> str:
        for info in self.project.files:
            if info.kind == kind:
                return info.path
        return fallback

    def _file(self, path: str, kind: FileKind) -> _FileBuild:
        build = self.files.get(path)
        if build is None:
            build = _FileBuild(path, kind, None)
            self.files[path] = build
        return build

    def _usable(self, path: str, kinds: tuple[FileKind, ...], default: str) -> str:
        """``path`` when an item may go there (a file of one of ``kinds``), else ``default``."""
        if not path:
            return default
        build = self.files.get(path)
        if build is not None and build.kind not in kinds:
            return default
        return path

    def _section_file(self, section: str, kind: FileKind, fallback: str) -> str:
        for info in self.project.files:
            if info.kind == kind and section in info.sections:
                return info.path
        return fallback

    # -- collecting items

    def collect(self) -> None:
        project = self.project
        domain = project.domain
        if project.config is not None:
            path = project.config.origin.file or self._first_of_kind("config", DEFAULT_CONFIG)
            self._file(path, "config")
        default_domain = self._first_of_kind("domain", DEFAULT_DOMAIN)

        def place(items: Iterable[Any], section: str, build: Callable[[Any], Node]) -> None:
            for item in items:
                node = build(item)
                attach_comments(node, item.comments)
                kinds: tuple[FileKind, ...] = (
                    ("domain", "data") if section == "responses" else ("domain",)
                )
                path = self._usable(item.origin.file, kinds, default_domain)
                target = self._file(path, "domain")
                target.add(section, _Keyed(item.name, node) if section in MAP_SECTIONS else node)

        place(domain.intents, "intents", _intent_node)
        place(domain.entities, "entities", _entity_node)
        place(domain.slots, "slots", _slot_node)
        place(domain.responses, "responses", _response_node)
        place(domain.actions, "actions", _action_node)
        place(domain.forms, "forms", _form_node)
        if domain.e2e_actions:
            path = self._section_file("e2e_actions", "domain", default_domain)
            seq = SeqNode(items=[ScalarNode(name) for name in domain.e2e_actions])
            self._file(path, "domain").singles["e2e_actions"] = seq
        if domain.session_config is not None:
            session = domain.session_config
            path = session.origin.file or self._section_file(
                "session_config", "domain", default_domain
            )
            node = _session_node(session)
            attach_comments(node, session.comments)
            self._file(path, "domain").singles["session_config"] = node
        if domain.config:
            path = self._section_file("config", "domain", default_domain)
            self._file(path, "domain").singles["config"] = to_node(domain.config)
        for item in project.nlu:
            node = self._nlu_node(item)
            attach_comments(node, item.comments)
            path = self._usable(item.origin.file, ("data",), DEFAULT_NLU)
            self._file(path, "data").add("nlu", node)
        for story in project.stories:
            node = _story_node(story)
            attach_comments(node, story.comments)
            section = "stories" if story.kind == "story" else "rules"
            if story.is_test:
                default = DEFAULT_TEST_STORIES
            else:
                default = DEFAULT_STORIES if story.kind == "story" else DEFAULT_RULES
            kind: FileKind = "tests" if story.is_test else "data"
            path = self._usable(story.origin.file, (kind,), default)
            self._file(path, kind).add(section, node)
        asset_paths = {asset.path for asset in project.assets}
        for path in asset_paths - set(self.files):
            self.files[path] = _FileBuild(path, "asset", None)

    def _nlu_node(self, item: NluItem) -> Node:
        if isinstance(item, IntentBlock):
            return self._intent_block_node(item)
        key = {Synonym: "synonym", RegexPattern: "regex", LookupTable: "lookup"}[type(item)]
        lines = (
            item.examples
            if isinstance(item, Synonym)
            else (item.patterns if isinstance(item, RegexPattern) else item.elements)
        )
        entries: list[tuple[Any, Node]] = [(key, ScalarNode(item.name))]
        if all(_block_line_ok(line) for line in lines):
            entries.append(("examples", ScalarNode("".join(f"- {line}\n" for line in lines))))
        else:
            entries.append(("examples", SeqNode(items=[ScalarNode(line) for line in lines])))
        return MapNode(entries=entries)

    def _intent_block_node(self, block: IntentBlock) -> Node:
        entries: list[tuple[Any, Node]] = [("intent", ScalarNode(block.intent))]
        if block.metadata is not None:
            entries.append(("metadata", to_node(block.metadata)))
        rendered: list[str] = []
        for example in block.examples:
            try:
                rendered.append(render_markup(example.text, example.entities))
            except ValueError as error:
                self._example_problem(block, example, str(error))
                rendered.append(example.text)
        as_list = block.examples_as_list or any(
            example.metadata is not None for example in block.examples
        )
        if not as_list and not all(_block_line_ok(line) for line in rendered):
            as_list = True
        if as_list:
            items: list[Node] = []
            for example, text in zip(block.examples, rendered, strict=True):
                example_entries: list[tuple[Any, Node]] = [("text", ScalarNode(text))]
                if example.metadata is not None:
                    example_entries.append(("metadata", to_node(example.metadata)))
                items.append(MapNode(entries=example_entries))
            entries.append(("examples", SeqNode(items=items)))
        else:
            entries.append(("examples", ScalarNode("".join(f"- {line}\n" for line in rendered))))
        return MapNode(entries=entries)

    def _example_problem(self, block: IntentBlock, example: Example, message: str) -> None:
        origin = example.origin if example.origin.file else block.origin
        self.problems.append(
            Problem(
                "error",
                "unwritable_example",
                f"an example of intent '{block.intent}' cannot be written: {message}",
                file=origin.file,
                line=origin.line,
            )
        )

    # -- rendering

    def render(self) -> dict[str, bytes]:
        assets = {asset.path: asset.content for asset in self.project.assets}
        out: dict[str, bytes] = {}
        for path, build in self.files.items():
            if build.kind == "asset" or (path in assets and not _has_content(build)):
                if path in assets:
                    out[path] = assets[path]
                continue
            out[path] = self._render_file(build).encode("utf-8")
        return out

    def _render_file(self, build: _FileBuild) -> str:
        root = MapNode(blank_between=True)
        if build.kind != "config" or (build.info is not None and build.info.version is not None):
            root.entries.append(("version", ScalarNode(FORMAT_VERSION)))
        comments = list(build.comments)
        if build.kind == "config":
            config = self.project.config or TrainingConfig()
            if not config.origin.file or config.origin.file == build.path:
                comments.extend(config.comments)
                root.entries.extend(_config_entries(config, build))
        else:
            for section in build.section_order():
                section_node = self._section_node(build, section)
                if section_node is not None:
                    root.entries.append((section, section_node))
        attach_comments(root, comments)
        return emit_document(root)

    def _section_node(self, build: _FileBuild, section: str) -> Node | None:
        if section in build.singles:
            return build.singles[section]
        nodes = build.sections.get(section)
        if nodes is None:
            if section in MAP_SECTIONS:
                return MapNode()
            if section in SECTION_ORDER:
                return SeqNode()
            return None  # a section Parley does not model and had nothing to keep
        if section in MAP_SECTIONS:
            mapping = MapNode()
            for node in nodes:
                assert isinstance(node, _Keyed)
                mapping.entries.append((node.key, node.node))
            return mapping
        return SeqNode(items=nodes, blank_between=section in SPACED_SECTIONS)


def _has_content(build: _FileBuild) -> bool:
    return bool(build.sections or build.singles)


class _Keyed(Node):
    """A mapping entry of a map section (slots, responses, forms) waiting for its section."""

    def __init__(self, key: str, node: Node) -> None:
        super().__init__()
        self.key = key
        self.node = node


# ------------------------------------------------------------------------------------ config


def _config_entries(config: TrainingConfig, build: _FileBuild) -> list[tuple[str, Node]]:
    values: dict[str, Any] = {
        "recipe": config.recipe,
        "assistant_id": config.assistant_id,
        "language": config.language,
        "pipeline": list(config.pipeline) if config.pipeline is not None else None,
        "policies": list(config.policies) if config.policies is not None else None,
    }
    values.update(config.extra)
    listed = [s for s in (build.info.sections if build.info else ()) if s != "version"]
    present = [k for k, v in values.items() if v is not None or k in config.extra]
    order = listed + [k for k in CONFIG_KEYS if k in present and k not in listed]
    order += [k for k in config.extra if k not in order]
    entries: list[tuple[str, Node]] = []
    for key in order:
        value = values.get(key)
        if value is None:
            entries.append((key, ScalarNode(None, empty=True)))
        else:
            entries.append((key, to_node(value)))
    return entries


# ------------------------------------------------------------------------------------ domain


def _names(names: Iterable[str]) -> SeqNode:
    return SeqNode(items=[ScalarNode(name) for name in names])


def _intent_node(intent: IntentDef) -> Node:
    props: list[tuple[Any, Node]] = []
    if intent.use_entities is not None:
        props.append(("use_entities", _names(intent.use_entities)))
    if intent.ignore_entities is not None:
        props.append(("ignore_entities", _names(intent.ignore_entities)))
    if intent.is_retrieval:
        props.append(("is_retrieval_intent", ScalarNode(True)))
    if not props:
        return ScalarNode(intent.name)
    return MapNode(entries=[(intent.name, MapNode(entries=props))])


def _entity_node(entity: EntityDef) -> Node:
    props: list[tuple[Any, Node]] = []
    if entity.roles:
        props.append(("roles", _names(entity.roles)))
    if entity.groups:
        props.append(("groups", _names(entity.groups)))
    if entity.influence_conversation is not None:
        props.append(("influence_conversation", ScalarNode(entity.influence_conversation)))
    if not props:
        return ScalarNode(entity.name)
    return MapNode(entries=[(entity.name, MapNode(entries=props))])


def _number(value: float) -> int | float:
    """Whole floats as integers (``60`` rather than ``60.0``), as people write them."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def _slot_node(slot: SlotDef) -> Node:
    entries: list[tuple[Any, Node]] = [("type", ScalarNode(slot.type))]
    if slot.influence_conversation is not None:
        entries.append(("influence_conversation", ScalarNode(slot.influence_conversation)))
    if slot.values is not None:
        entries.append(("values", to_node(list(slot.values))))
    if slot.min_value is not None:
        entries.append(("min_value", ScalarNode(_number(slot.min_value))))
    if slot.max_value is not None:
        entries.append(("max_value", ScalarNode(_number(slot.max_value))))
    if slot.initial_value is not None:
        entries.append(("initial_value", _compact(slot.initial_value)))
    entries.append(("mappings", SeqNode(items=[_mapping_node(m) for m in slot.mappings])))
    return MapNode(entries=entries)


def _mapping_node(mapping: SlotMapping) -> Node:
    entries: list[tuple[Any, Node]] = [("type", ScalarNode(mapping.type))]
    for key in ("entity", "role", "group"):
        value = getattr(mapping, key)
        if value is not None:
            entries.append((key, ScalarNode(value)))
    for key in ("intent", "not_intent"):
        value = getattr(mapping, key)
        if value is not None:
            entries.append((key, _compact(list(value) if isinstance(value, tuple) else value)))
    if mapping.has_value:
        entries.append(("value", _compact(mapping.value)))
    if mapping.action is not None:
        entries.append(("action", ScalarNode(mapping.action)))
    if mapping.conditions:
        conditions: list[Node] = []
        for condition in mapping.conditions:
            parts: list[tuple[Any, Node]] = [("active_loop", ScalarNode(condition.active_loop))]
            if condition.requested_slot is not None:
                parts.append(("requested_slot", ScalarNode(condition.requested_slot)))
            conditions.append(MapNode(entries=parts))
        entries.append(("conditions", SeqNode(items=conditions)))
    return MapNode(entries=entries)


def _response_node(response: ResponseDef) -> Node:
    return SeqNode(items=[_variation_node(v) for v in response.variations])


def _variation_node(variation: ResponseVariation) -> Node:
    entries: list[tuple[Any, Node]] = []
    if variation.text is not None:
        entries.append(("text", ScalarNode(variation.text)))
    if variation.image is not None:
        entries.append(("image", ScalarNode(variation.image)))
    if variation.buttons is not None:
        entries.append(("buttons", to_node(list(variation.buttons))))
    if variation.custom is not None:
        entries.append(("custom", to_node(variation.custom)))
    if variation.channel is not None:
        entries.append(("channel", ScalarNode(variation.channel)))
    if variation.condition is not None:
        entries.append(("condition", to_node(list(variation.condition))))
    for key, value in variation.extra.items():
        entries.append((key, to_node(value)))
    node = MapNode(entries=entries)
    attach_comments(node, variation.comments)
    return node


def _action_node(action: ActionDef) -> Node:
    if action.send_domain is None:
        return ScalarNode(action.name)
    props = MapNode(entries=[("send_domain", ScalarNode(action.send_domain))])
    return MapNode(entries=[(action.name, props)])


def _form_node(form: FormDef) -> Node:
    entries: list[tuple[Any, Node]] = [("required_slots", _names(form.required_slots))]
    if form.ignored_intents:
        entries.append(("ignored_intents", _names(form.ignored_intents)))
    return MapNode(entries=entries)


def _session_node(session: SessionConfig) -> Node:
    entries: list[tuple[Any, Node]] = []
    if session.session_expiration_time is not None:
        value = _number(session.session_expiration_time)
        entries.append(("session_expiration_time", ScalarNode(value)))
    if session.carry_over_slots_to_new_session is not None:
        carry = session.carry_over_slots_to_new_session
        entries.append(("carry_over_slots_to_new_session", ScalarNode(carry)))
    return MapNode(entries=entries)


# ----------------------------------------------------------------------------------- stories


def _story_node(story: Story) -> Node:
    entries: list[tuple[Any, Node]] = [(story.kind, ScalarNode(story.name))]
    if story.metadata is not None:
        entries.append(("metadata", to_node(story.metadata)))
    if story.conversation_start is not None:
        entries.append(("conversation_start", ScalarNode(story.conversation_start)))
    if story.condition:
        entries.append(("condition", SeqNode(items=[_step_node(s) for s in story.condition])))
    entries.append(("steps", SeqNode(items=[_step_node(s) for s in story.steps])))
    if story.wait_for_user_input is not None:
        entries.append(("wait_for_user_input", ScalarNode(story.wait_for_user_input)))
    return MapNode(entries=entries)


def _step_node(step: StoryStep) -> Node:
    entries: list[tuple[Any, Node]] = []
    kind = step.kind
    if kind == "intent":
        if step.text is not None:
            entries.append(("user", ScalarNode(step.text)))
        entries.append(("intent", ScalarNode(step.name)))
        if step.entities:
            entries.append(("entities", _entities_node(step.entities)))
    elif kind in ("user", "bot"):
        entries.append((kind, ScalarNode(step.text)))
        if step.entities:
            entries.append(("entities", _entities_node(step.entities)))
    elif kind == "slot_was_set":
        events: list[Node] = []
        for event in step.slots:
            if event.has_value:
                events.append(MapNode(entries=[(event.name, _compact(event.value))]))
            else:
                events.append(ScalarNode(event.name))
        entries.append(("slot_was_set", SeqNode(items=events)))
    elif kind == "or":
        entries.append(("or", SeqNode(items=[_step_node(s) for s in step.alternatives])))
    else:  # action, active_loop, checkpoint
        entries.append((kind, ScalarNode(step.name)))
    if step.metadata is not None:
        entries.append(("metadata", to_node(step.metadata)))
    node = MapNode(entries=entries)
    attach_comments(node, step.comments)
    return node


# ------------------------------------------------------------------------------------ helpers


def _entities_node(entities: Iterable[Any]) -> SeqNode:
    """A step's entities: ``- name: value`` items (values compact), or names."""
    items: list[Node] = []
    for entity in entities:
        if isinstance(entity, dict) and entity:
            items.append(MapNode(entries=[(k, _compact(v)) for k, v in entity.items()]))
        else:
            items.append(_compact(entity))
    return SeqNode(items=items)


def _compact(value: Any) -> Node:
    """A value; lists and dicts inside it go on one line when they are short."""
    node: Node
    if isinstance(value, dict):
        node = MapNode(entries=[(k, _compact(v)) for k, v in value.items()])
    elif isinstance(value, list | tuple):
        node = SeqNode(items=[_compact(v) for v in value])
    else:
        return ScalarNode(value)
    flow = to_node(value, flow=True)
    if _flow_length(flow) <= FLOW_WIDTH:
        return flow
    return node


def _flow_length(node: Node, budget: int = FLOW_WIDTH + 1) -> int:
    if isinstance(node, ScalarNode):
        return len(scalar_text(node.value, flow=True))
    total = 2
    children = (
        [v for _, v in node.entries] if isinstance(node, MapNode) else getattr(node, "items", [])
    )
    if isinstance(node, MapNode):
        total += sum(len(scalar_text(k, flow=True)) + 2 for k, _ in node.entries)
    for child in children:
        total += _flow_length(child, budget - total) + 2
        if total > budget:
            return total
    return total


def _block_line_ok(line: str) -> bool:
    """Whether ``line`` can be a ``- line`` of an ``examples: |`` block and read back the same."""
    if not line or line[0].isspace() or line[-1].isspace():  # readers strip the lines
        return False
    return _block_line_re(line) is not None
