"""The side-by-side A/B of the servers (``bench.ab_serve``): its ratios and machine reading."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.ab_serve import machine_cpu_seconds, main, pair_ratios


def test_given_pairs_when_compared_then_the_median_and_range_of_their_ratios() -> None:
    base = [{"cpu": 4.0}, {"cpu": 5.0}, {"cpu": 0.0}, {"cpu": 6.0}]
    new = [{"cpu": 3.0}, {"cpu": 5.0}, {"cpu": 1.0}, {"cpu": 3.0}]

    # the pair whose base measured nothing is left out
    assert pair_ratios(base, new, "cpu") == {"median": 0.75, "min": 0.5, "max": 1.0}
    assert pair_ratios([], [], "cpu") == {}


def test_given_the_machine_when_read_twice_then_its_busy_time_only_grows() -> None:
    first = machine_cpu_seconds()
    sum(i * i for i in range(200_000))

    assert machine_cpu_seconds() >= first > 0


def test_given_a_folder_that_is_not_parley_when_run_then_it_says_so(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="is not a checkout of Parley"):
        main(["--base", str(tmp_path), "--pairs", "1"])
