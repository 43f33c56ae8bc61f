from __future__ import annotations

import time

import pytest

from annotation.rasa_io.errors import ProjectError
from annotation.rasa_io.yaml_source import load_yaml, resolve_scalar


def test_given_yaml_when_loaded_then_nodes_keep_lines_and_values() -> None:
    source = load_yaml("f.yml", b'a: 1\nb:\n  - x\n  - "y"\nc: yes\nd: 2021-01-01\n')
    root = source.root
    assert root is not None
    assert root.to_python() == {"a": 1, "b": ["x", "y"], "c": "yes", "d": "2021-01-01"}
    b = root.get("b")
    assert b is not None
    assert [item.line for item in b.items()] == [3, 4]
    assert [key.line for key, _ in root.pairs()] == [1, 2, 5, 6]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("null", None),
        ("~", None),
        ("true", True),
        ("False", False),
        ("on", "on"),
        ("12", 12),
        ("-3", -3),
        ("0x1f", 31),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("3.1", 3.1),
        ("abc", "abc"),
    ],
)
def test_given_plain_scalar_when_resolved_then_yaml_1_2_core_schema(
    text: str, value: object
) -> None:
    assert resolve_scalar(text) == value


def test_given_comments_when_loaded_then_only_real_comments_are_found() -> None:
    text = (
        "# header\n"
        "a: 'x # not'  # inline a\n"
        "b: |\n"
        "  # inside the block\n"
        "  - c#d\n"
        "# after b\n"
        'c: "#quoted"\n'
        "d: e#f\n"
    )
    source = load_yaml("f.yml", text.encode())
    found = [(c.line, c.text, c.whole_line) for c in source.comments.comments]
    assert found == [(1, "# header", True), (2, "# inline a", False), (6, "# after b", True)]
    index = source.comments
    assert [c.text for c in index.take_between(1, 5)] == ["# header"]
    assert index.take_between(1, 5) == []  # handed out once
    inline = index.take_inline(2)
    assert inline is not None and inline.text == "# inline a"
    assert index.take_inline(2) is None


def test_given_malformed_yaml_when_loaded_then_problem_has_file_and_line() -> None:
    with pytest.raises(ProjectError) as caught:
        load_yaml("data/nlu.yml", b"a: 1\nb: [1, 2\nc: 3\n")
    problem = caught.value.problems[0]
    assert problem.file == "data/nlu.yml"
    assert problem.code == "yaml_syntax"
    assert problem.line >= 2


def test_given_bad_indentation_when_loaded_then_line_of_the_problem() -> None:
    with pytest.raises(ProjectError) as caught:
        load_yaml("domain.yml", b"intents:\n  - greet\n bad: x\n")
    assert caught.value.problems[0].line == 3


def test_given_non_utf8_when_loaded_then_line_of_first_bad_byte() -> None:
    with pytest.raises(ProjectError) as caught:
        load_yaml("data/nlu.yml", b"a: 1\nb: 2\nc: caf\xe9\n")
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.code) == ("data/nlu.yml", 3, "not_utf8")


def test_given_control_character_when_loaded_then_line_is_reported() -> None:
    with pytest.raises(ProjectError) as caught:
        load_yaml("x.yml", b"a: 1\nb: \x01\n")
    assert caught.value.problems[0].line == 2


def test_given_alias_bomb_when_loaded_then_refused_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, 10):
        prev = chr(ord("a") + n - 1)
        name = chr(ord("a") + n)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    started = time.monotonic()
    with pytest.raises(ProjectError) as caught:
        load_yaml("bomb.yml", "\n".join(lines).encode())
    assert time.monotonic() - started < 5
    problem = caught.value.problems[0]
    assert problem.code == "yaml_alias_bomb"
    assert "aliases expand past" in problem.message
    assert problem.file == "bomb.yml"


def test_given_small_aliases_when_loaded_then_expanded() -> None:
    source = load_yaml("x.yml", b"a: &x {k: 1}\nb: *x\n")
    assert source.root is not None
    assert source.root.to_python() == {"a": {"k": 1}, "b": {"k": 1}}


def test_given_duplicate_keys_when_loaded_then_both_lines_named() -> None:
    with pytest.raises(ProjectError) as caught:
        load_yaml("domain.yml", b"slots:\n  a: {type: text}\n  a: {type: bool}\n")
    problem = caught.value.problems[0]
    assert problem.line == 3
    assert "line 2" in problem.message


def test_given_empty_file_when_loaded_then_no_root() -> None:
    assert load_yaml("x.yml", b"# only a comment\n").root is None


def test_given_bom_and_crlf_when_loaded_then_lines_match() -> None:
    source = load_yaml("x.yml", "\ufeffa: 1\r\n# c\r\nb: 2\r\n".encode())
    assert source.root is not None
    assert [k.line for k, _ in source.root.pairs()] == [1, 3]
    assert [c.line for c in source.comments.comments] == [2]
