from __future__ import annotations

from training.engine.messages import Token
from training.engine.nn.tagging import LabeledSpan, TagScheme, token_span


def test_given_bilou_scheme_when_encoding_then_begin_inside_last_and_unit_tags() -> None:
    scheme = TagScheme(("city", "date"))
    spans = [LabeledSpan(0, 2, "city"), LabeledSpan(4, 4, "date")]

    ids = scheme.encode(spans, 5)

    assert [scheme.tags[i] for i in ids] == ["B-city", "I-city", "L-city", "O", "U-date"]


def test_given_encoded_spans_when_decoding_then_the_same_spans_come_back() -> None:
    scheme = TagScheme(("city", "date"))
    spans = [LabeledSpan(0, 1, "city"), LabeledSpan(2, 2, "date"), LabeledSpan(4, 6, "city")]

    assert scheme.decode(scheme.encode(spans, 8)) == spans


def test_given_io_scheme_when_round_tripping_then_adjacent_tokens_merge() -> None:
    scheme = TagScheme(("city",), bilou=False)
    ids = scheme.encode([LabeledSpan(1, 2, "city")], 4)

    assert ids == [0, 1, 1, 0]
    assert scheme.decode(ids) == [LabeledSpan(1, 2, "city")]


def test_given_an_inside_tag_without_begin_when_decoding_then_a_span_still_opens() -> None:
    scheme = TagScheme(("city",))
    inside, last = scheme.tags.index("I-city"), scheme.tags.index("L-city")

    assert scheme.decode([0, inside, last]) == [LabeledSpan(1, 2, "city")]


def test_given_tokens_when_locating_characters_then_overlapping_tokens_are_found() -> None:
    tokens = [Token("fly", 0, 3), Token("to", 4, 6), Token("new", 7, 10), Token("york", 11, 15)]

    assert token_span(tokens, 7, 15) == (2, 3)
    assert token_span(tokens, 3, 4) is None


def test_given_bilou_tags_when_building_penalties_then_only_well_formed_pairs_are_free() -> None:
    scheme = TagScheme(("city", "date"))
    tag = {name: i for i, name in enumerate(scheme.tags)}

    penalties = scheme.transition_penalties()

    assert penalties[tag["B-city"], tag["L-city"]] == 0
    assert penalties[tag["I-city"], tag["I-city"]] == 0
    assert penalties[tag["L-city"], tag["U-date"]] == 0
    assert penalties[tag["O"], tag["B-date"]] == 0
    assert penalties[tag["B-city"], tag["O"]] < -1000
    assert penalties[tag["B-city"], tag["L-date"]] < -1000
    assert penalties[tag["O"], tag["I-city"]] < -1000
    assert not TagScheme(("city",), bilou=False).transition_penalties().any()
