from __future__ import annotations

import random
from typing import Any

import pytest
import yaml

from annotation.rasa_io.types import Comment
from annotation.rasa_io.yaml_emit import (
    MapNode,
    ScalarNode,
    SeqNode,
    attach_comments,
    emit_document,
    is_plain_safe,
    scalar_text,
    to_node,
)

TRICKY = [
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "n",
    "null",
    "Null",
    "~",
    "true",
    "False",
    "1",
    "-1",
    "+1",
    "1.0",
    "1e3",
    ".5",
    "0o17",
    "0x1F",
    "017",
    "1_000",
    "1:20",
    ".inf",
    "-.inf",
    ".nan",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "<<",
    "=",
    "#tag",
    ": x",
    "a: b",
    "a #b",
    "key:",
    " leading",
    "trailing ",
    "",
    "-",
    "- x",
    "?",
    "? x",
    "[x]",
    "{x: 1}",
    "x, y",
    "*alias",
    "&anchor",
    "!tag",
    "%directive",
    "@at",
    "`tick",
    "'single",
    '"double',
    "back\\slash",
    "...",
    "---",
    "--- x",
    "tab\there",
    "é ü ß 日本語",
    "emoji 😀",
    "line\u2028separator",
    "next\x85line",
    "bom\ufeff",
    "nul\x00",
    "del\x7f",
    "multi\nline",
    "multi\nline\n",
    "two blank\n\n",
    "\nleading newline",
    "  indented\nfirst",
    "x\n  indented second\n",
    "x\n \ny",
    "crlf\r\nline",
    "{name}, hello",
    "/mood_great",
    "C#",
    "http://localhost:8000",
    "(?u)\\b\\w+\\b",
]


def _round_trip(value: Any, *, flow: bool = False) -> str:
    root = MapNode(entries=[("key", to_node(value, flow=flow))])
    return emit_document(root)


@pytest.mark.parametrize("text", TRICKY)
def test_given_tricky_string_when_emitted_as_value_then_both_loaders_read_it_back(
    text: str,
) -> None:
    document = _round_trip(text)

    assert yaml.load(document, Loader=yaml.SafeLoader) == {"key": text}
    assert yaml.load(document, Loader=yaml.CSafeLoader) == {"key": text}


@pytest.mark.parametrize("text", TRICKY)
def test_given_tricky_string_when_emitted_in_flow_and_as_key_then_read_back(text: str) -> None:
    document = _round_trip({text: [text, {text: text}]}, flow=True)
    block = _round_trip({text: [text, {text: text}]})

    expected = {"key": {text: [text, {text: text}]}}
    assert yaml.safe_load(document) == expected
    assert yaml.safe_load(block) == expected


@pytest.mark.parametrize("text", ["hello world", "C#", "http://localhost:8000", "I'm here", "50%"])
def test_given_ordinary_string_when_emitted_then_it_is_plain(text: str) -> None:
    assert is_plain_safe(text)
    assert _round_trip(text) == f"key: {text}\n"


@pytest.mark.parametrize("text", ["yes", "null", "1.0", "#tag", ": x", " lead", "3.1"])
def test_given_string_that_reads_as_something_else_when_emitted_then_double_quoted(
    text: str,
) -> None:
    assert scalar_text(text).startswith('"')


def test_given_multiline_text_when_emitted_then_literal_block_with_right_chomping() -> None:
    assert _round_trip("a\nb\n") == "key: |\n  a\n  b\n"
    assert _round_trip("a\nb") == "key: |-\n  a\n  b\n"
    assert _round_trip("a\n\n") == 'key: "a\\n\\n"\n'


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "null"), (True, "true"), (False, "false"), (3, "3"), (1e-05, "1.0e-05"), (2.0, "2.0")],
)
def test_given_scalar_when_emitted_then_yaml_reads_same_type(value: Any, text: str) -> None:
    assert scalar_text(value) == text
    assert yaml.safe_load(_round_trip(value)) == {"key": value}


def test_given_nested_data_when_emitted_then_block_style_with_unindented_sequences() -> None:
    root = MapNode(entries=[("a", to_node({"b": [1, {"c": "d", "e": []}], "f": {}}))])

    assert emit_document(root) == "a:\n  b:\n  - 1\n  - c: d\n    e: []\n  f: {}\n"


def test_given_empty_scalar_when_emitted_then_key_has_no_value() -> None:
    root = MapNode(entries=[("pipeline", ScalarNode(None, empty=True)), ("x", ScalarNode(1))])

    assert emit_document(root) == "pipeline:\nx: 1\n"


def test_given_comments_at_paths_when_emitted_then_each_is_placed_at_its_node() -> None:
    root = MapNode(
        entries=[
            ("nlu", to_node([{"intent": "greet", "examples": "- hi\n"}])),
            ("after", to_node({"k": "v"})),
        ],
        blank_between=True,
    )
    attach_comments(
        root,
        [
            Comment((), "before", ("# header",)),
            Comment(("nlu",), "before", ("# above nlu",)),
            Comment(("nlu",), "inline", ("# on nlu",)),
            Comment(("nlu", 0), "before", ("# above item",)),
            Comment(("nlu", 0), "inline", ("# on item",)),
            Comment(("nlu", 0, "examples"), "before", ("# above examples",)),
            Comment(("nlu", 0, "examples"), "inline", ("# on examples",)),
            Comment(("nlu",), "after", ("# after nlu",)),
            Comment(("after", "k"), "inline", ("# on k",)),
            Comment(("after", "missing", 3), "before", ("# falls back",)),
        ],
    )

    assert emit_document(root) == (
        "# header\n"
        "# above nlu\n"
        "nlu:  # on nlu\n"
        "# above item\n"
        "- intent: greet  # on item\n"
        "  # above examples\n"
        "  examples: |  # on examples\n"
        "    - hi\n"
        "# after nlu\n"
        "\n"
        "# falls back\n"
        "after:\n"
        "  k: v  # on k\n"
    )


def test_given_comment_inside_flow_node_when_attached_then_it_goes_on_the_flow_node() -> None:
    root = MapNode(entries=[("x", to_node([1, 2], flow=True))])
    attach_comments(root, [Comment(("x", 1), "inline", ("# two",))])

    assert emit_document(root) == "x: [1, 2]  # two\n"


def test_given_sequence_of_sequences_when_emitted_then_valid_compact_yaml() -> None:
    value = [[1, [2, 3]], [], [{"a": [4]}]]
    root = MapNode(entries=[("x", SeqNode(items=[to_node(v) for v in value]))])

    assert yaml.safe_load(emit_document(root)) == {"x": value}


def _random_text(rng: random.Random) -> str:
    if rng.random() < 0.4:
        return rng.choice(TRICKY)
    alphabet = "ab -:#,[]{}?!&*|>'\"%@`\\\n\t.019yn~=<é😀\u2028"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth < 3 and roll < 0.2:
        return {_random_text(rng): _random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    if depth < 3 and roll < 0.4:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if roll < 0.5:
        return rng.choice([None, True, False, 0, -7, 1.5, 1e-7, 1e300])
    return _random_text(rng)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, MapNode):
        for key, child in node.entries:
            found += _paths(child, (*path, key))
    elif isinstance(node, SeqNode):
        for index, child in enumerate(node.items):
            found += _paths(child, (*path, index))
    return found


def test_given_random_documents_with_comments_when_emitted_then_data_reads_back_unchanged() -> None:
    rng = random.Random(7)
    for _ in range(1500):
        data = {_random_text(rng) or "k": _random_value(rng) for _ in range(3)}
        root = MapNode(
            entries=[(k, to_node(v, flow=rng.random() < 0.2)) for k, v in data.items()],
            blank_between=rng.random() < 0.5,
        )
        paths = _paths(root)
        comments = [
            Comment(rng.choice(paths), rng.choice(["before", "inline", "after"]), (f"# c{i}",))
            for i in range(rng.randint(0, 5))
        ]
        attach_comments(root, comments)
        document = emit_document(root)

        assert yaml.load(document, Loader=yaml.CSafeLoader) == data, document
        assert document.count("# c") == len(comments), document
        assert emit_document(root) == document
