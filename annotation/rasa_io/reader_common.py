"""Shared helpers of the project reader: problems, type checks, unknown keys, comments."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotation.rasa_io.types import Comment, Origin, PathPart, Problem
from annotation.rasa_io.yaml_source import CommentIndex, YamlSource, YNode, iter_tree

KIND_NAMES = {"map": "a mapping", "seq": "a list", "scalar": "a single value"}


@dataclass
class FileContext:
    """What the reader knows about the file it is reading; collects problems."""

    path: str
    source: YamlSource
    version: str | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def comments(self) -> CommentIndex:
        return self.source.comments

    @property
    def is_legacy(self) -> bool:
        """Rasa 2 format (``version: "2.x"``)."""
        return self.version is not None and self.version.startswith("2")

    def origin(self, line: int) -> Origin:
        return Origin(self.path, line)

    def error(self, code: str, message: str, line: int, suggestion: str | None = None) -> None:
        self.problems.append(Problem("error", code, message, self.path, line, suggestion))

    def expect(self, node: YNode, kind: str, what: str) -> bool:
        if node.kind == kind:
            return True
        self.error(
            "wrong_type",
            f"{what} must be {KIND_NAMES[kind]}, not {describe(node)}",
            node.line,
        )
        return False

    def expect_list(self, node: YNode, what: str, *, allow_null: bool = True) -> list[YNode]:
        if allow_null and node.is_scalar and node.value is None:
            return []
        return node.items() if self.expect(node, "seq", what) else []

    def expect_map(
        self, node: YNode, what: str, *, allow_null: bool = True
    ) -> list[tuple[YNode, YNode]]:
        if allow_null and node.is_scalar and node.value is None:
            return []
        return node.pairs() if self.expect(node, "map", what) else []

    def string(self, node: YNode | None, what: str, *, allow_none: bool = False) -> str | None:
        """A scalar as text; numbers are accepted (``- 42`` names are strings in Rasa)."""
        if node is None:
            return None
        if node.is_scalar:
            value = node.value
            if value is None:
                if not allow_none:
                    self.error("wrong_type", f"{what} must not be empty", node.line)
                return None
            if isinstance(value, bool):
                self.error("wrong_type", f"{what} must be text, not a boolean", node.line)
                return None
            return value if isinstance(value, str) else _scalar_text(value)
        self.error("wrong_type", f"{what} must be text, not {describe(node)}", node.line)
        return None

    def boolean(self, node: YNode | None, what: str) -> bool | None:
        if node is None or (node.is_scalar and node.value is None):
            return None
        if node.is_scalar and isinstance(node.value, bool):
            return node.value
        self.error("wrong_type", f"{what} must be true or false, not {describe(node)}", node.line)
        return None

    def number(self, node: YNode | None, what: str) -> float | None:
        if node is None or (node.is_scalar and node.value is None):
            return None
        value = node.value if node.is_scalar else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        self.error("wrong_type", f"{what} must be a number, not {describe(node)}", node.line)
        return None

    def names(self, node: YNode | None, what: str) -> tuple[str, ...]:
        """A list of names (a single name is accepted as a list of one)."""
        if node is None or (node.is_scalar and node.value is None):
            return ()
        if node.is_scalar:
            name = self.string(node, what)
            return (name,) if name is not None else ()
        out = []
        for item in self.expect_list(node, what):
            name = self.string(item, f"an entry of {what}")
            if name is not None:
                out.append(name)
        return tuple(out)

    def check_keys(self, node: YNode, allowed: Sequence[str], what: str) -> None:
        for key, _ in node.pairs():
            if key.value not in allowed:
                self.unknown_key(key, allowed, what)

    def unknown_key(self, key: YNode, allowed: Sequence[str], what: str) -> None:
        name = str(key.value)
        guess = suggest(name, allowed)
        hint = f"; did you mean '{guess}'?" if guess else ""
        self.error(
            "unknown_key",
            f"unknown key '{name}' in {what}{hint} (allowed: {', '.join(allowed)})",
            key.line,
            suggestion=guess,
        )


def suggest(name: str, allowed: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(name, list(allowed), n=1, cutoff=0.6)
    return matches[0] if matches else None


def describe(node: YNode) -> str:
    if node.is_scalar:
        value = node.value
        if value is None:
            return "empty"
        kind = {bool: "a boolean", int: "a number", float: "a number", str: "text"}.get(
            type(value), "a value"
        )
        shown = repr(value) if len(repr(value)) < 40 else repr(value)[:37] + "..."
        return f"{kind} ({shown})"
    return KIND_NAMES[node.kind]


def _scalar_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)


# --------------------------------------------------------------------------------- comments


def _texts(found: Iterable[Any]) -> tuple[str, ...]:
    return tuple(c.text for c in found)


def walk_comments(
    index: CommentIndex,
    node: YNode | None,
    prefix: tuple[PathPart, ...],
    cursor: int,
) -> list[Comment]:
    """Hand out the comments inside ``node``: before / inline each key and list element.

    ``cursor`` is the last line already dealt with (the owner's first line).
    """
    out: list[Comment] = []
    if node is None or not index:
        return out
    starts: list[tuple[int, tuple[PathPart, ...]]] = []
    for path, line in iter_tree(node):
        full = (*prefix, *path)
        before = index.take_between(cursor + 1, line - 1)
        if before:
            out.append(Comment(full, "before", _texts(before)))
        inline = index.take_inline(line)
        if inline is not None:
            out.append(Comment(full, "inline", (inline.text,)))
        starts.append((line, full))
        cursor = max(cursor, line)
    _sweep_inline(index, node, starts, out)
    return out


def _sweep_inline(
    index: CommentIndex,
    node: YNode,
    starts: list[tuple[int, tuple[PathPart, ...]]],
    out: list[Comment],
) -> None:
    """Inline comments on lines where no node starts go to the node started last before them."""
    if not starts:
        return
    for line in range(starts[0][0] + 1, node.end_line + 1):
        inline = index.take_inline(line)
        if inline is None:
            continue
        owner = max((s for s in starts if s[0] <= line), key=lambda s: s[0])
        out.append(Comment(owner[1], "inline", (inline.text,)))


def item_comments(ctx: FileContext, line: int, value: YNode | None, floor: int) -> list[Comment]:
    """Comments of an item starting on ``line``: above it (from ``floor``), inline, inside."""
    index = ctx.comments
    if not index:
        return []
    out: list[Comment] = []
    before = index.take_between(floor, line - 1)
    if before:
        out.append(Comment((), "before", _texts(before)))
    inline = index.take_inline(line)
    if inline is not None:
        out.append(Comment((), "inline", (inline.text,)))
    out.extend(walk_comments(index, value, (), line))
    return out


def split_comments(
    comments: Sequence[Comment], key: PathPart | None
) -> tuple[list[Comment], dict[int, list[Comment]]]:
    """Split off comments under ``key`` (or directly under list index when key is None).

    Returns the comments that stay and, per list index, the comments re-rooted at the element.
    """
    own: list[Comment] = []
    moved: dict[int, list[Comment]] = {}
    for comment in comments:
        path = comment.path
        if key is None and path and isinstance(path[0], int):
            moved.setdefault(path[0], []).append(Comment(path[1:], comment.where, comment.lines))
        elif key is not None and len(path) >= 2 and path[0] == key and isinstance(path[1], int):
            moved.setdefault(path[1], []).append(Comment(path[2:], comment.where, comment.lines))
        else:
            own.append(comment)
    return own, moved
