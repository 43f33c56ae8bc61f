from __future__ import annotations

from pathlib import Path

from tests.training.engine.components.featurizer_helpers import banking77_data, nlu_data
from training.engine.component import TrainContext, TrainInputs, component_class
from training.engine.components.tokenizers import WhitespaceTokenizer, tokenize
from training.engine.messages import Message


def spans(text: str, language: str = "en") -> list[tuple[str, int, int]]:
    return [(token.text, token.start, token.end) for token in tokenize(text, language)]


def test_given_a_sentence_when_tokenized_then_words_keep_their_offsets() -> None:
    assert spans("Hello, my friend!") == [("Hello", 0, 5), ("my", 7, 9), ("friend", 10, 16)]


def test_given_joiners_inside_words_when_tokenized_then_the_word_stays_whole() -> None:
    texts = [token for token, _, _ in spans("I don't pay 3.5 by e-mail to a@b.com, ok?")]
    assert texts == ["I", "don't", "pay", "3.5", "by", "e-mail", "to", "a@b.com", "ok"]


def test_given_a_possessive_and_commas_when_tokenized_then_split_where_entities_end() -> None:
    texts = [token for token, _, _ in spans("add Anna's song, 1,000 times in Meers,MP")]
    assert texts == ["add", "Anna", "'s", "song", "1,000", "times", "in", "Meers", "MP"]


def test_given_punctuation_runs_when_tokenized_then_they_are_dropped() -> None:
    assert spans("wait... (really) $50?!") == [
        ("wait", 0, 4),
        ("really", 9, 15),
        ("50", 18, 20),
    ]


def test_given_combining_marks_when_tokenized_then_words_are_not_split() -> None:
    assert [text for text, _, _ in spans("नमस्ते e\u0301te\u0301")] == ["नमस्ते", "e\u0301te\u0301"]


def test_given_only_punctuation_when_tokenized_then_one_token_and_blank_gives_none() -> None:
    assert spans("  ?!  ") == [("?!", 2, 4)]
    assert spans("   ") == []


def test_given_a_language_without_spaces_when_tokenized_then_each_character_is_a_token() -> None:
    assert [text for text, _, _ in spans("我要买iPhone 12\uff0c谢谢\uff01", "zh")] == [
        "我",
        "要",
        "买",
        "iPhone",
        "12",
        "谢",
        "谢",
    ]


def test_given_a_chinese_config_when_trained_then_process_uses_the_stored_language(
    tmp_path: Path,
) -> None:
    tokenizer = WhitespaceTokenizer({})
    output = tokenizer.train(TrainInputs(nlu_data(["你好"], language="zh")), TrainContext("0"))
    assert [token.text for token in output[0]] == ["你", "好"]
    tokenizer.persist(tmp_path)
    loaded = WhitespaceTokenizer.load({}, tmp_path)
    msg = Message("谢谢你")
    loaded.process(msg)
    assert [token.text for token in msg.tokens] == ["谢", "谢", "你"]


def test_given_examples_when_trained_then_one_token_tuple_per_example_in_order() -> None:
    data = nlu_data(["hi there", "bye", "hi there"])
    output = WhitespaceTokenizer({}).train(TrainInputs(data), TrainContext("0"))
    assert isinstance(output, tuple)
    assert [[token.text for token in tokens] for tokens in output] == [
        ["hi", "there"],
        ["bye"],
        ["hi", "there"],
    ]


def test_given_the_intent_split_flag_when_splitting_an_intent_then_it_uses_the_symbol() -> None:
    flagged = WhitespaceTokenizer({"intent_tokenization_flag": True, "intent_split_symbol": "+"})
    assert flagged.split_intent("greet+ask") == ("greet", "ask")
    assert WhitespaceTokenizer({}).split_intent("greet+ask") == ("greet+ask",)


def test_given_the_rasa_name_when_looked_up_then_the_tokenizer_is_registered() -> None:
    assert component_class("WhitespaceTokenizer") is WhitespaceTokenizer


def test_given_banking77_when_tokenized_then_every_example_gets_tokens() -> None:
    data = banking77_data()
    output = WhitespaceTokenizer({}).train(TrainInputs(data), TrainContext("0"))
    assert len(output) == len(data.nlu.examples)
    assert all(tokens for tokens in output)
    for example, tokens in zip(data.nlu.examples, output, strict=True):
        assert all(example.text[t.start : t.end] == t.text for t in tokens)
