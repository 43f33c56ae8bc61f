"""Load one YAML text safely, keeping each node's line and the file's comments.

``load_yaml(path, data)`` composes the text with libyaml (PyYAML's ``CSafeLoader``, pure-Python
``SafeLoader`` when libyaml is missing) and converts the node graph into :class:`YNode` values
itself, so that every node keeps its 1-based line. Plain scalars are resolved with the YAML 1.2
core schema, as Rasa reads its files (``yes``/``on`` stay strings, ``2021-01-01`` is a string).

Safety: aliases are expanded while converting and the number of nodes visited is capped
(scaled on the text's size), so an alias bomb fails fast with a clear problem. Errors raise
:class:`ProjectError` with a :class:`Problem` naming the file and line.

Comments: ``#`` characters that start a comment (at a line's start or after whitespace) and lie
outside every quoted or block scalar. :class:`CommentIndex` hands them out once each:
whole-line comments between two lines and the inline comment of a line.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from annotation.rasa_io.errors import ProjectError
from annotation.rasa_io.types import Problem

_BASE_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE_LOADER):
    """Composes only: tags are not resolved here (``resolve_scalar`` does it, YAML 1.2 style)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        return ""


_LOADER: type[Any] = _Loader

NodeKind = Literal["map", "seq", "scalar"]
BASE_NODE_LIMIT = 10_000

_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_COMMENT_START = re.compile(r"(?:^|(?<=[ \t]))#", re.MULTILINE)
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})


@dataclass(eq=False, slots=True)
class YNode:
    """A YAML node with its place: ``line`` is where it starts, ``end_line`` its last line.

    ``value`` is the Python value for scalars, a list of nodes for sequences and a list of
    ``(key node, value node)`` pairs for mappings. ``style`` is the scalar style (``None``
    plain, ``'|'``, ``'>'``, ``"'"``, ``'"'``); ``flow`` marks ``[..]``/``{..}`` collections.
    """

    kind: NodeKind
    value: Any
    line: int
    end_line: int
    style: str | None = None
    flow: bool = False

    @property
    def is_map(self) -> bool:
        return self.kind == "map"

    @property
    def is_seq(self) -> bool:
        return self.kind == "seq"

    @property
    def is_scalar(self) -> bool:
        return self.kind == "scalar"

    def pairs(self) -> list[tuple[YNode, YNode]]:
        return self.value if self.kind == "map" else []

    def items(self) -> list[YNode]:
        return self.value if self.kind == "seq" else []

    def get(self, key: str) -> YNode | None:
        for key_node, value_node in self.pairs():
            if key_node.value == key:
                return value_node
        return None

    def key_names(self) -> list[Any]:
        return [key.value for key, _ in self.pairs()]

    def to_python(self) -> Any:
        if self.kind == "scalar":
            return self.value
        if self.kind == "seq":
            return [item.to_python() for item in self.value]
        return {key.value: value.to_python() for key, value in self.value}


@dataclass(frozen=True, slots=True)
class SourceComment:
    line: int  # 1-based
    column: int  # 0-based column of '#'
    text: str  # from '#' to the end of the line, trailing spaces removed
    whole_line: bool


@dataclass
class CommentIndex:
    """The comments of one file, each handed out at most once."""

    comments: list[SourceComment]
    _whole_lines: list[int] = field(init=False)
    _whole: list[SourceComment] = field(init=False)
    _inline: dict[int, SourceComment] = field(init=False)
    _taken: set[int] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self._whole = [c for c in self.comments if c.whole_line]
        self._whole_lines = [c.line for c in self._whole]
        self._inline = {c.line: c for c in self.comments if not c.whole_line}

    def __bool__(self) -> bool:
        return bool(self.comments)

    def peek_between(self, first: int, last: int) -> list[SourceComment]:
        """Whole-line comments on lines ``first..last`` (inclusive) not handed out yet."""
        if first > last or not self._whole:
            return []
        lo = bisect_left(self._whole_lines, first)
        hi = bisect_right(self._whole_lines, last)
        return [c for c in self._whole[lo:hi] if c.line not in self._taken]

    def take_between(self, first: int, last: int) -> list[SourceComment]:
        found = self.peek_between(first, last)
        self._taken.update(c.line for c in found)
        return found

    def take_inline(self, line: int) -> SourceComment | None:
        comment = self._inline.get(line)
        if comment is None or -line in self._taken:
            return None
        self._taken.add(-line)
        return comment

    def is_blank_between(self, first: int, last: int, lines: list[str]) -> bool:
        """Whether some line in ``first..last`` is empty (whitespace only)."""
        return any(not lines[n - 1].strip() for n in range(max(first, 1), last + 1))


@dataclass
class YamlSource:
    """One loaded YAML file: its root node (``None`` when empty), lines and comments."""

    path: str
    text: str
    root: YNode | None
    lines: list[str]
    comments: CommentIndex


def load_yaml(path: str, data: bytes) -> YamlSource:
    """Decode and compose ``data``; raise :class:`ProjectError` with file and line on failure."""
    text = _decode(path, data)
    lines = _BREAK.split(text)
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as error:
        raise ProjectError(_yaml_problem(path, error)) from None
    except yaml.YAMLError as error:
        raise ProjectError(_reader_problem(path, text, error)) from None
    spans: list[tuple[tuple[int, int], tuple[int, int]]] = []
    root = None
    if node is not None:
        limit = BASE_NODE_LIMIT + len(text)
        root = _Converter(path, limit, spans).convert(node)
    comments = _find_comments(text, spans)
    return YamlSource(path=path, text=text, root=root, lines=lines, comments=CommentIndex(comments))


def _decode(path: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ProjectError(
            Problem(
                "error",
                "not_utf8",
                f"the file is not UTF-8 text: byte 0x{data[error.start]:02x} cannot be decoded",
                file=path,
                line=line,
            )
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def _yaml_problem(path: str, error: yaml.MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark is not None else 0
    what = error.problem or "invalid YAML"
    if error.context:
        what = f"{error.context}: {what}"
    return Problem("error", "yaml_syntax", f"malformed YAML: {what}", file=path, line=line)


def _reader_problem(path: str, text: str, error: yaml.YAMLError) -> Problem:
    bad = _NOT_PRINTABLE.search(text)
    line = len(_BREAK.findall(text, 0, bad.start())) + 1 if bad else 0
    message = "malformed YAML: " + (
        f"character U+{ord(bad.group()):04X} is not allowed in YAML" if bad else str(error)
    )
    return Problem("error", "yaml_syntax", message, file=path, line=line)


class _Converter:
    """Turns composed PyYAML nodes into :class:`YNode`, counting nodes to stop alias bombs."""

    def __init__(
        self, path: str, limit: int, spans: list[tuple[tuple[int, int], tuple[int, int]]]
    ) -> None:
        self.path = path
        self.limit = limit
        self.count = 0
        self.spans = spans
        self.seen_scalars: set[int] = set()

    def convert(self, node: yaml.Node) -> YNode:
        self.count += 1
        if self.count > self.limit:
            raise ProjectError(
                Problem(
                    "error",
                    "yaml_alias_bomb",
                    f"YAML aliases expand past {self.limit} nodes; refusing to read the file",
                    file=self.path,
                    line=node.start_mark.line + 1,
                )
            )
        line = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, line)
        if isinstance(node, yaml.SequenceNode):
            items = [self.convert(child) for child in node.value]
            return YNode("seq", items, line, self._end(node, items), flow=bool(node.flow_style))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, line)
        raise ProjectError(  # pragma: no cover - compose yields only these three kinds
            Problem("error", "yaml_syntax", "unsupported YAML node", file=self.path, line=line)
        )

    def _scalar(self, node: yaml.ScalarNode, line: int) -> YNode:
        start, end = node.start_mark, node.end_mark
        if node.style and id(node) not in self.seen_scalars:
            self.seen_scalars.add(id(node))
            self.spans.append(((start.line, start.column), (end.line, end.column)))
        style = node.style or None  # libyaml reports plain scalars with style ''
        value = resolve_scalar(node.value) if style is None else node.value
        end_line = end.line + 1 if end.column > 0 or end.line == start.line else end.line
        return YNode("scalar", value, line, max(end_line, line), style=style)

    def _mapping(self, node: yaml.MappingNode, line: int) -> YNode:
        pairs: list[tuple[YNode, YNode]] = []
        seen: dict[Any, int] = {}
        problems: list[Problem] = []
        for key_node, value_node in node.value:
            key = self.convert(key_node)
            if not key.is_scalar:
                problems.append(self._problem("yaml_key", "mapping keys must be plain values", key))
                continue
            if key.value == "<<" and key.style is None:
                problems.append(
                    self._problem("yaml_key", "merge keys ('<<') are not supported", key)
                )
                continue
            if key.value in seen:
                problems.append(
                    self._problem(
                        "duplicate_key",
                        f"key '{key.value}' appears twice (also on line {seen[key.value]})",
                        key,
                    )
                )
                continue
            seen[key.value] = key.line
            pairs.append((key, self.convert(value_node)))
        if problems:
            raise ProjectError(problems)
        flat = [n for pair in pairs for n in pair]
        return YNode("map", pairs, line, self._end(node, flat), flow=bool(node.flow_style))

    def _problem(self, code: str, message: str, node: YNode) -> Problem:
        return Problem("error", code, message, file=self.path, line=node.line)

    @staticmethod
    def _end(node: yaml.CollectionNode, children: list[YNode]) -> int:
        if node.flow_style:
            return node.end_mark.line + 1
        last = max((child.end_line for child in children), default=0)
        return max(last, node.start_mark.line + 1)


def resolve_scalar(text: str) -> Any:
    """Resolve a plain scalar with the YAML 1.2 core schema."""
    if text in _NULLS:
        return None
    first = text[0]
    if first in "tTfF":
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        return text
    if not (first.isdigit() or first in "+-."):
        return text
    if _INT.fullmatch(text):
        return int(text)
    if _OCT.fullmatch(text):
        return int(text[2:], 8)
    if _HEX.fullmatch(text):
        return int(text[2:], 16)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INF.fullmatch(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.fullmatch(text):
        return math.nan
    return text


def _find_comments(
    text: str, spans: list[tuple[tuple[int, int], tuple[int, int]]]
) -> list[SourceComment]:
    if "#" not in text:
        return []
    spans.sort()
    starts = [span[0] for span in spans]
    line_starts = [0] + [match.end() for match in _BREAK.finditer(text)]
    found: list[SourceComment] = []
    last_line = -1
    for match in _COMMENT_START.finditer(text):
        index = match.start()
        line0 = bisect_right(line_starts, index) - 1
        if line0 == last_line:
            continue  # the rest of a line that already holds a comment
        column = index - line_starts[line0]
        if _inside_scalar((line0, column), spans, starts):
            continue
        line_end = line_starts[line0 + 1] if line0 + 1 < len(line_starts) else len(text)
        comment = _BREAK.sub("", text[index:line_end]).rstrip()
        before = text[line_starts[line0] : index]
        found.append(SourceComment(line0 + 1, column, comment, not before.strip()))
        last_line = line0
    return found


def _inside_scalar(
    pos: tuple[int, int],
    spans: list[tuple[tuple[int, int], tuple[int, int]]],
    starts: list[tuple[int, int]],
) -> bool:
    at = bisect_right(starts, pos) - 1
    return at >= 0 and spans[at][0] <= pos < spans[at][1]


def iter_tree(node: YNode, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], int]]:
    """Pre-order walk of the nodes under ``node``: ``(path, line)`` of each key and list element."""
    if node.kind == "map":
        for key, value in node.value:
            yield (*path, key.value), key.line
            yield from iter_tree(value, (*path, key.value))
    elif node.kind == "seq":
        for index, item in enumerate(node.value):
            yield (*path, index), item.line
            yield from iter_tree(item, (*path, index))
