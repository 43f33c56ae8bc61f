"""The NLU examples held out of training for evaluation: a stable split that keeps every label."""

from __future__ import annotations

from training.engine.data import DomainSpec, EngineConfig, NluData, NluExample, TrainingData
from training.holdout import MIN_EXAMPLES, is_held_out, split_nlu


def data(examples: list[NluExample]) -> TrainingData:
    return TrainingData(EngineConfig(), DomainSpec(), NluData(tuple(examples)))


def examples(intent: str, count: int) -> list[NluExample]:
    return [NluExample(f"{intent} example number {i}", intent) for i in range(count)]


def test_given_no_share_then_nothing_is_held_out() -> None:
    everything = data(examples("greet", 50))

    assert split_nlu(everything, 0) == (everything, ())


def test_given_a_share_then_about_that_many_are_held_out_and_never_trained() -> None:
    train, held = split_nlu(data(examples("greet", 400)), 20)

    assert 50 < len(held) < 110
    assert not set(held) & set(train.nlu.examples)
    assert len(held) + len(train.nlu.examples) == 400
    assert all(is_held_out(example, 20) for example in held)


def test_given_new_examples_then_the_old_ones_keep_their_side() -> None:
    _, before = split_nlu(data(examples("greet", 100)), 20)
    _, after = split_nlu(data(examples("greet", 200)), 20)

    assert set(before) <= set(after)


def test_given_small_intents_then_every_label_keeps_training_examples() -> None:
    small = examples("rare", MIN_EXAMPLES - 1)
    train, held = split_nlu(data([*small, *examples("greet", 40)]), 50)

    assert not [e for e in held if e.intent == "rare"]
    assert {e.intent for e in train.nlu.examples} == {"rare", "greet"}
    # even an intent whose every example would fall out keeps one
    unlucky = [NluExample(f"text {i}", "unlucky") for i in range(200)]
    picked = [e for e in unlucky if is_held_out(e, 50)][:MIN_EXAMPLES]
    train, _ = split_nlu(data(picked), 50)
    assert [e.intent for e in train.nlu.examples] == ["unlucky"]
