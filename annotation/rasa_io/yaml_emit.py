"""A small, deterministic block-style YAML emitter that keeps comments.

The writer builds a tree of nodes (``MapNode``, ``SeqNode``, ``ScalarNode``), attaches comments
to nodes by path (see the convention in ``types.py``) and asks for the text. Output style:

- mappings and sequences in block style; a sequence under a key is not indented (``key:`` then
  ``- item`` at the key's column), as Rasa writes its files; empty collections are ``[]``/``{}``;
  nodes marked ``flow`` are written on one line (``[a, b]``, ``{k: v}``);
- strings are plain when they cannot be read back as anything else (checked against PyYAML's
  implicit resolvers and YAML 1.2 number forms), multi-line strings are ``|`` literal blocks when
  that is safe, and everything else is a double-quoted string with escapes;
- ``before`` comments sit on their own lines above the line where a node starts, ``inline``
  comments at the end of that line, ``after`` comments below the node's last line.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from yaml.resolver import Resolver

from annotation.rasa_io.types import Comment

__all__ = [
    "MapNode",
    "Node",
    "ScalarNode",
    "SeqNode",
    "attach_comments",
    "double_quoted",
    "emit_document",
    "is_plain_safe",
    "literal_safe",
    "scalar_text",
    "to_node",
]

# ------------------------------------------------------------------------------------- nodes


@dataclass(eq=False)
class Node:
    before: list[str] = field(default_factory=list, kw_only=True)
    inline: list[str] = field(default_factory=list, kw_only=True)
    after: list[str] = field(default_factory=list, kw_only=True)


@dataclass(eq=False)
class ScalarNode(Node):
    value: Any = None
    # ``empty``: a null written as nothing (``pipeline:``), as hand-written files often do
    empty: bool = False


@dataclass(eq=False)
class SeqNode(Node):
    items: list[Node] = field(default_factory=list)
    flow: bool = False
    blank_between: bool = False  # an empty line between items (stories, NLU blocks)


@dataclass(eq=False)
class MapNode(Node):
    entries: list[tuple[Any, Node]] = field(default_factory=list)
    flow: bool = False
    blank_between: bool = False

    def get(self, key: Any) -> Node | None:
        for k, v in self.entries:
            if k == key:
                return v
        return None


def to_node(value: Any, *, flow: bool = False) -> Node:
    """Wrap plain data (dicts, lists, tuples, scalars) in nodes; nodes are returned as they are."""
    if isinstance(value, Node):
        return value
    if isinstance(value, Mapping):
        return MapNode(entries=[(k, to_node(v, flow=flow)) for k, v in value.items()], flow=flow)
    if isinstance(value, list | tuple):
        return SeqNode(items=[to_node(v, flow=flow) for v in value], flow=flow)
    return ScalarNode(value)


def attach_comments(node: Node, comments: Iterable[Comment]) -> None:
    """Put each comment on the node at its path (the nearest existing ancestor when the path is
    gone, e.g. after a Rasa 2 structure was normalized, or inside a flow collection)."""
    for comment in comments:
        target = _resolve(node, comment.path)
        lines = [line if line.startswith("#") else f"# {line}" for line in comment.lines]
        if comment.where == "before":
            target.before.extend(lines)
        elif comment.where == "inline":
            target.inline.extend(lines)
        else:
            target.after.extend(lines)


def _resolve(node: Node, path: Sequence[Any]) -> Node:
    current = node
    for part in path:
        child: Node | None = None
        if isinstance(current, MapNode) and not current.flow:
            child = current.get(part)
            if child is None and not isinstance(part, str):
                child = current.get(str(part))
        elif (
            isinstance(current, SeqNode)
            and not current.flow
            and isinstance(part, int)
            and 0 <= part < len(current.items)
        ):
            child = current.items[part]
        if child is None:
            break
        current = child
    return current


# ----------------------------------------------------------------------------------- scalars

# characters PyYAML accepts unescaped, minus line-break-like ones (NEL, LS, PS) and the BOM
_UNSAFE_CHAR = re.compile(
    "[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_PLAIN_BAD_START = frozenset("-?:,[]{}#&*!|>'\"%@` \t")
_FLOW_BAD = re.compile(r"[,\[\]{}:#?]")
# YAML 1.2 core schema forms PyYAML's 1.1 resolvers do not catch (Rasa reads with YAML 1.2)
_YAML12_SPECIAL = re.compile(
    r"""^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
        |0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
        |[yYnN]|~|null|Null|NULL)$""",
    re.X,
)
_RESOLVERS = Resolver.yaml_implicit_resolvers
_ESCAPES = {
    "\0": "\\0",
    "\a": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\v": "\\v",
    "\f": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    '"': '\\"',
    "\\": "\\\\",
}
_NEEDS_ESCAPE = re.compile('["\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]')


def _implicitly_typed(text: str) -> bool:
    """True when a plain ``text`` would be read back as something other than a string."""
    if _YAML12_SPECIAL.match(text):
        return True
    for tag, regexp in _RESOLVERS.get(text[0], []) + _RESOLVERS.get(None, []):
        if tag != "tag:yaml.org,2002:str" and regexp.match(text):
            return True
    return False


def is_plain_safe(text: str, *, flow: bool = False) -> bool:
    """Whether ``text`` can be written as a plain scalar and read back as the same string."""
    if not text or text[0] in _PLAIN_BAD_START or text[-1] in " \t:":
        return False
    if ": " in text or " #" in text or "\t" in text or "\n" in text:
        return False
    if text.startswith(("...", "---")):
        return False
    if flow and _FLOW_BAD.search(text):
        return False
    if _UNSAFE_CHAR.search(text):
        return False
    return not _implicitly_typed(text)


def double_quoted(text: str) -> str:
    """A double-quoted YAML scalar (JSON-like escapes), always on one line."""

    def escape(match: re.Match[str]) -> str:
        char = match.group(0)
        known = _ESCAPES.get(char)
        if known is not None:
            return known
        code = ord(char)
        return f"\\x{code:02X}" if code <= 0xFF else f"\\u{code:04X}"

    return '"' + _NEEDS_ESCAPE.sub(escape, text) + '"'


def literal_safe(text: str) -> bool:
    """Whether a multi-line string can be a ``|`` block that reads back exactly."""
    if "\n" not in text or text.endswith("\n\n") or _UNSAFE_CHAR.search(text):
        return False
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    first_content = next((line for line in lines if line), None)
    if first_content is None or first_content[0] in " \t":
        return False
    # lines of only whitespace, or that start with a tab, are read differently by parsers
    return all(not line or (line.strip() and line[0] != "\t") for line in lines)


def _format_float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        if exponent[0] not in "+-":
            exponent = "+" + exponent
        text = f"{mantissa}e{exponent}"
    elif "." not in text:
        text += ".0"
    return text


def scalar_text(value: Any, *, flow: bool = False) -> str:
    """One-line text of a scalar (strings quoted when needed)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _format_float(value)
    if isinstance(value, str):
        return value if is_plain_safe(value, flow=flow) else double_quoted(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot write a {type(value).__name__} as YAML")


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return key if is_plain_safe(key) else double_quoted(key)
    return scalar_text(key)


# ---------------------------------------------------------------------------------- emitting


def _flow_text(node: Node) -> str:
    if isinstance(node, MapNode):
        inner = ", ".join(f"{_flow_key(k)}: {_flow_text(v)}" for k, v in node.entries)
        return "{" + inner + "}"
    if isinstance(node, SeqNode):
        return "[" + ", ".join(_flow_text(item) for item in node.items) + "]"
    assert isinstance(node, ScalarNode)
    return scalar_text(node.value, flow=True)


def _value_text(node: Node) -> str:
    """Text after ``key:`` or ``-`` for a node written on that line, with its leading space."""
    if isinstance(node, ScalarNode):
        if node.empty and node.value is None:
            return ""
        return " " + scalar_text(node.value)
    return " " + _flow_text(node)


def _flow_key(key: Any) -> str:
    if isinstance(key, str):
        return key if is_plain_safe(key, flow=True) else double_quoted(key)
    return scalar_text(key, flow=True)


def _is_inline(node: Node) -> bool:
    """Whether the node is written on the line of its key or dash."""
    if isinstance(node, MapNode):
        return node.flow or not node.entries
    if isinstance(node, SeqNode):
        return node.flow or not node.items
    assert isinstance(node, ScalarNode)
    return not (isinstance(node.value, str) and "\n" in node.value and literal_safe(node.value))


def _inline_suffix(comments: list[str]) -> str:
    return "  " + " ".join(comments) if comments else ""


class _Emitter:
    def __init__(self) -> None:
        self.out: list[str] = []

    def comments(self, lines: list[str], prefix: str) -> None:
        indent = " " * (len(prefix) - len(prefix.lstrip(" ")))
        self.out.extend(indent + line for line in lines)

    def mapping(self, node: MapNode, col: int, prefix: str, inline: list[str]) -> None:
        pad = " " * col
        for index, (key, value) in enumerate(node.entries):
            line_prefix = prefix if index == 0 else pad
            if index and node.blank_between:
                self.out.append("")
            first_inline = inline if index == 0 else []
            key_prefix = line_prefix + _key_text(key) + ":"
            if _is_inline(value):
                self.comments(value.before, line_prefix)
                comments = first_inline + value.inline
                self.out.append(key_prefix + _value_text(value) + _inline_suffix(comments))
                if value.after:
                    self.out.extend(pad + line for line in value.after)
            elif isinstance(value, ScalarNode):
                self.comments(value.before, line_prefix)
                self.literal(value.value, col + 2, key_prefix + " ", first_inline + value.inline)
                if value.after:
                    self.out.extend(pad + line for line in value.after)
            else:
                self.comments(value.before, line_prefix)
                self.out.append(key_prefix + _inline_suffix(first_inline + value.inline))
                child_col = col if isinstance(value, SeqNode) else col + 2
                self.block_body(value, child_col)
                if value.after:
                    self.out.extend(pad + line for line in value.after)

    def block_body(self, node: Node, col: int) -> None:
        pad = " " * col
        if isinstance(node, MapNode):
            self.mapping(node, col, pad, [])
        elif isinstance(node, SeqNode):
            self.sequence(node, col, pad, [])

    def sequence(self, node: SeqNode, col: int, prefix: str, inline: list[str]) -> None:
        pad = " " * col
        for index, item in enumerate(node.items):
            if index and node.blank_between:
                self.out.append("")
            line_prefix = (prefix if index == 0 else pad) + "- "
            item_inline = inline if index == 0 else []
            self.comments(item.before, line_prefix)
            item_comments = item_inline + item.inline
            if isinstance(item, MapNode) and not _is_inline(item):
                self.mapping(item, col + 2, line_prefix, item_comments)
            elif isinstance(item, SeqNode) and not _is_inline(item):
                self.sequence(item, col + 2, line_prefix, item_comments)
            elif isinstance(item, ScalarNode) and not _is_inline(item):
                self.literal(item.value, col + 2, line_prefix, item_comments)
            else:
                text = line_prefix.rstrip(" ") + _value_text(item)
                self.out.append(text + _inline_suffix(item_comments))
            if item.after:
                self.out.extend(pad + line for line in item.after)

    def literal(self, text: str, col: int, prefix: str, inline: list[str]) -> None:
        if text.endswith("\n\n"):
            chomp = "+"
        elif text.endswith("\n"):
            chomp = ""
        else:
            chomp = "-"
        self.out.append(prefix + "|" + chomp + _inline_suffix(inline))
        lines = text.split("\n")
        if text.endswith("\n"):
            lines.pop()
        pad = " " * col
        self.out.extend(pad + line if line else "" for line in lines)


def emit_document(root: MapNode) -> str:
    """The text of a YAML document whose root is a block mapping (a Rasa file)."""
    emitter = _Emitter()
    emitter.comments(root.before, "")
    if root.entries:
        emitter.mapping(root, 0, "", list(root.inline))
    elif root.inline:
        emitter.out.extend(root.inline)
    emitter.out.extend(root.after)
    if not emitter.out:
        return ""
    return "\n".join(emitter.out) + "\n"
