"""Read the ``nlu:`` section of a data file: intent blocks, synonyms, regexes, lookup tables."""

from __future__ import annotations

from annotation.rasa_io.markup import parse_markup
from annotation.rasa_io.reader_common import FileContext, item_comments, suggest
from annotation.rasa_io.types import (
    Comment,
    Example,
    IntentBlock,
    LookupTable,
    NluItem,
    RegexPattern,
    Synonym,
)
from annotation.rasa_io.yaml_source import YNode

ITEM_KINDS = ("intent", "synonym", "regex", "lookup")
INTENT_KEYS = ("intent", "examples", "metadata")
TABLE_KEYS = ("examples",)
EXAMPLE_KEYS = ("text", "metadata")


def read_nlu(ctx: FileContext, section: YNode, floor: int) -> list[NluItem]:
    items: list[NluItem] = []
    for node in ctx.expect_list(section, "the 'nlu' section"):
        item = _read_item(ctx, node, floor)
        if item is not None:
            items.append(item)
    return items


def _read_item(ctx: FileContext, node: YNode, floor: int) -> NluItem | None:
    comments = tuple(item_comments(ctx, node.line, node, floor))
    if not ctx.expect(node, "map", "an nlu item"):
        return None
    kinds = [key for key in node.key_names() if key in ITEM_KINDS]
    if len(kinds) != 1:
        _report_kind(ctx, node, kinds)
        return None
    kind = kinds[0]
    if kind == "intent":
        return _read_intent(ctx, node, comments)
    ctx.check_keys(node, (kind, *TABLE_KEYS), f"a {kind} item")
    name = ctx.string(node.get(kind), f"the {kind} name")
    examples = _read_plain_lines(ctx, node, kind)
    if name is None:
        return None
    origin = ctx.origin(node.line)
    if kind == "synonym":
        return Synonym(name, examples, origin, comments)
    if kind == "regex":
        return RegexPattern(name, examples, origin, comments)
    return LookupTable(name, examples, origin, comments)


def _report_kind(ctx: FileContext, node: YNode, kinds: list[str]) -> None:
    if kinds:
        ctx.error("nlu_item", f"an nlu item has several kinds: {', '.join(kinds)}", node.line)
        return
    keys = [str(k) for k in node.key_names()]
    guess = next((g for g in (suggest(k, ITEM_KINDS) for k in keys) if g), None)
    hint = f"; did you mean '{guess}'?" if guess else ""
    ctx.error(
        "nlu_item",
        f"an nlu item needs one of {', '.join(ITEM_KINDS)} (found: {', '.join(keys)}){hint}",
        node.line,
        suggestion=guess,
    )


def _read_intent(
    ctx: FileContext, node: YNode, comments: tuple[Comment, ...]
) -> IntentBlock | None:
    ctx.check_keys(node, INTENT_KEYS, "an intent block")
    name = ctx.string(node.get("intent"), "the intent name")
    metadata_node = node.get("metadata")
    metadata = metadata_node.to_python() if metadata_node is not None else None
    examples_node = node.get("examples")
    as_list = examples_node is not None and examples_node.is_seq
    examples: tuple[Example, ...] = ()
    if examples_node is None:
        ctx.error("missing_key", f"intent '{name}' has no 'examples'", node.line)
    elif as_list:
        examples = _read_example_list(ctx, examples_node)
    elif examples_node.is_scalar and isinstance(examples_node.value, str):
        examples = _read_example_block(ctx, examples_node)
    elif not (examples_node.is_scalar and examples_node.value is None):
        ctx.error(
            "wrong_type",
            "'examples' must be a block of '- example' lines or a list of {text, metadata}",
            examples_node.line,
        )
    if name is None:
        return None
    return IntentBlock(name, examples, metadata, as_list, ctx.origin(node.line), comments)


def block_lines(node: YNode) -> list[tuple[int, str]]:
    """The lines of a string node, each with its 1-based line in the file."""
    text: str = node.value
    first = node.line + 1 if node.style in ("|", ">") else node.line
    return [(first + n, line) for n, line in enumerate(text.split("\n"))]


def _item_text(ctx: FileContext, line_no: int, line: str, what: str) -> str | None:
    stripped = line.strip()
    if not stripped:
        return None
    if not stripped.startswith("-"):
        ctx.error(
            "example_line",
            f"{what} lines must start with '- ' (found {stripped[:40]!r})",
            line_no,
        )
        return None
    return stripped[1:].strip()


def _read_example_block(ctx: FileContext, node: YNode) -> tuple[Example, ...]:
    examples: list[Example] = []
    for line_no, line in block_lines(node):
        if "-" not in line:
            if line.strip():
                _item_text(ctx, line_no, line, "example")
            continue
        text = _item_text(ctx, line_no, line, "example")
        if text is None:
            continue
        example = _example(ctx, text, None, line_no)
        if example is not None:
            examples.append(example)
    return tuple(examples)


def _example(ctx: FileContext, text: str, metadata: object, line: int) -> Example | None:
    try:
        plain, entities = parse_markup(text)
    except ValueError as error:
        ctx.error("entity_markup", f"bad entity markup in example {text!r}: {error}", line)
        return None
    return Example(plain, entities, metadata, ctx.origin(line))


def _read_example_list(ctx: FileContext, node: YNode) -> tuple[Example, ...]:
    examples: list[Example] = []
    for item in node.items():
        if item.is_scalar:
            text = ctx.string(item, "an example")
            metadata = None
        elif ctx.expect(item, "map", "an example"):
            ctx.check_keys(item, EXAMPLE_KEYS, "an example")
            text_node = item.get("text")
            if text_node is None:
                ctx.error("missing_key", "an example needs 'text'", item.line)
                continue
            text = ctx.string(text_node, "an example's text")
            meta_node = item.get("metadata")
            metadata = meta_node.to_python() if meta_node is not None else None
        else:
            continue
        if text is not None:
            example = _example(ctx, text, metadata, item.line)
            if example is not None:
                examples.append(example)
    return tuple(examples)


def _read_plain_lines(ctx: FileContext, item: YNode, kind: str) -> tuple[str, ...]:
    node = item.get("examples")
    if node is None:
        ctx.error("missing_key", f"the {kind} item has no 'examples'", item.line)
        return ()
    if node.is_seq:
        return ctx.names(node, f"the {kind} examples")
    if not node.is_scalar or not isinstance(node.value, str):
        if node.value is not None:
            ctx.error("wrong_type", f"the {kind} examples must be '- ' lines", node.line)
        return ()
    out: list[str] = []
    for line_no, line in block_lines(node):
        text = _item_text(ctx, line_no, line, f"{kind}")
        if text is not None:
            out.append(text)
    return tuple(out)
