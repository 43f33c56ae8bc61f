from __future__ import annotations

import random

import pytest

from annotation.rasa_io.markup import parse_markup, render_markup
from annotation.rasa_io.types import EntityAnnotation as E


@pytest.mark.parametrize(
    ("markup", "plain", "entities"),
    [
        ("hello there", "hello there", ()),
        ("hey [Berlin](city) now", "hey Berlin now", (E(4, 10, "city", "Berlin"),)),
        ("[NYC](city:New York City)", "NYC", (E(0, 3, "city", "New York City"),)),
        (
            'fly to [LA]{"entity": "city", "role": "to", "value": "Los Angeles"}',
            "fly to LA",
            (E(7, 9, "city", "Los Angeles", role="to"),),
        ),
        (
            '[Bonn][{"entity":"city"},{"entity":"location","group":"1"}] x',
            "Bonn x",
            (E(0, 4, "city", "Bonn"), E(0, 4, "location", "Bonn", group="1")),
        ),
        ("see [1] or [a [b](x)", "see [1] or [a b", (E(14, 15, "x", "b"),)),
        ("[ünï](e) [2](n)", "ünï 2", (E(0, 3, "e", "ünï"), E(4, 5, "n", "2"))),
    ],
)
def test_given_markup_when_parsed_then_plain_text_and_spans(
    markup: str, plain: str, entities: tuple[E, ...]
) -> None:
    assert parse_markup(markup) == (plain, entities)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("[a](city", "missing ')'"),
        ("[a]{bad json}", "bad JSON"),
        ('[a]{"value": "x"}', '"entity"'),
        ('[a]{"entity": "x", "colour": 1}', "unknown key"),
        ("[a][1, 2]", "JSON object"),
        ("[a]()", "no entity name"),
        ('[a]{"entity": "x"', "bad JSON"),
    ],
)
def test_given_broken_markup_when_parsed_then_value_error(bad: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_markup(bad)


def test_given_entities_when_rendered_then_simple_json_and_list_forms() -> None:
    text = "fly from Bonn to LA"
    entities = [
        E(9, 13, "city", "Bonn"),
        E(9, 13, "place", "Bonn"),
        E(17, 19, "city", "Los Angeles", role="to"),
    ]
    rendered = render_markup(text, entities)
    assert rendered == (
        'fly from [Bonn][{"entity": "city"}, {"entity": "place"}] to '
        '[LA]{"entity": "city", "value": "Los Angeles", "role": "to"}'
    )
    assert render_markup("a b", [E(0, 1, "x", "a")]) == "a b".replace("a", "[a](x)", 1)


@pytest.mark.parametrize(
    ("text", "entities"),
    [
        ("abc", [E(0, 2, "x", "ab"), E(1, 3, "y", "bc")]),  # overlap
        ("abc", [E(0, 9, "x", "abc")]),  # out of range
        ("a]b", [E(0, 3, "x", "a]b")]),  # bracket in the entity text
        ("[a](b) literal", []),  # plain text that reads back as markup
    ],
)
def test_given_unwritable_entities_when_rendered_then_value_error(
    text: str, entities: list[E]
) -> None:
    with pytest.raises(ValueError):
        render_markup(text, entities)


def _random_case(rng: random.Random) -> tuple[str, tuple[E, ...]]:
    words = ["hi", "Bonn", "New York", "ünï", "a:b", "(x)", "{y}", '"q"', "1", "-"]
    parts: list[str] = []
    entities: list[E] = []
    length = 0
    for _ in range(rng.randint(0, 6)):
        if parts:
            parts.append(" ")
            length += 1
        word = rng.choice(words)
        if rng.random() < 0.5:
            for _ in range(rng.randint(1, 2)):
                entity = rng.choice(["city", "a:b", "x(y)", "e"])
                value = rng.choice([word, "other", "v)al"])
                role = rng.choice([None, "from", "to"])
                group = rng.choice([None, None, "1"])
                entities.append(E(length, length + len(word), entity, value, role, group))
        parts.append(word)
        length += len(word)
    return "".join(parts), tuple(entities)


def test_given_random_examples_when_rendered_then_parse_gives_them_back() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        text, entities = _random_case(rng)
        assert parse_markup(render_markup(text, entities)) == (text, entities)
