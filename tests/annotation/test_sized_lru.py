"""``SizedLru``: what the serving path keeps between messages, bounded by total size."""

from __future__ import annotations

from annotation.sized_lru import SizedLru


def test_given_more_than_its_capacity_when_kept_then_the_least_recently_used_go() -> None:
    kept: SizedLru[str] = SizedLru(capacity=10)
    kept.put("a", "A", 4)
    kept.put("b", "B", 4)
    assert kept.get("a") == "A"  # now used after b
    kept.put("c", "C", 4)

    assert kept.get("b") is None
    assert kept.get("a") == "A" and kept.get("c") == "C"
    kept.put("too big", "T", 11)
    assert kept.get("too big") is None
    assert len(kept) == 2


def test_given_a_value_replaced_or_popped_then_its_size_is_given_back() -> None:
    kept: SizedLru[str] = SizedLru(capacity=10)
    kept.put("a", "A", 9)
    kept.put("a", "A2", 2)  # replaced: 2 in all now
    kept.put("b", "B", 8)
    assert kept.get("a") == "A2" and kept.get("b") == "B"

    assert kept.pop("a") == "A2"
    assert kept.pop("a") is None  # taken: one user at a time
    kept.put("c", "C", 2)
    assert len(kept) == 2 and kept.get("b") == "B"

    kept.clear()
    assert len(kept) == 0
    kept.put("d", "D", 10)
    assert kept.get("d") == "D"
