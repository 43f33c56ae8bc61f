from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from training.engine.cache import CacheCorrupted, TrainingCache

MB = 1024 * 1024


def state_dir(tmp_path: Path, name: str, content: bytes = b"weights") -> Path:
    directory = tmp_path / "states" / name
    (directory / "sub").mkdir(parents=True)
    (directory / "sub" / "weights.bin").write_bytes(content)
    return directory


def store(cache: TrainingCache, tmp_path: Path, key: str, output: object = None) -> None:
    cache.store(key, node=f"node_{key}", state_dir=state_dir(tmp_path, key), output=output)


def stored_then_broken(tmp_path: Path) -> TrainingCache:
    """A cache whose entry ``a`` lost its state file behind its back."""
    cache = TrainingCache(tmp_path / "cache")
    store(cache, tmp_path, "a", "output")
    (tmp_path / "cache" / "entries" / "a" / "state" / "sub" / "weights.bin").unlink()
    return cache


def test_given_a_stored_entry_when_looked_up_then_its_state_output_and_metrics_come_back(
    tmp_path: Path,
) -> None:
    cache = TrainingCache(tmp_path / "cache")
    cache.store(
        "abc",
        node="3_Classifier",
        state_dir=state_dir(tmp_path, "abc"),
        output={"tokens": [1, 2]},
        metrics={"accuracy": 0.5},
    )

    entry = cache.lookup("abc")
    assert entry is not None
    cache.restore_state(entry, tmp_path / "restored")

    assert entry.node == "3_Classifier"
    assert entry.metrics == {"accuracy": 0.5}
    assert cache.load_output(entry) == {"tokens": [1, 2]}
    assert (tmp_path / "restored" / "sub" / "weights.bin").read_bytes() == b"weights"
    assert cache.lookup("missing") is None
    assert cache.size() == entry.size > 0


def test_given_a_full_cache_when_storing_then_the_least_recently_used_entry_is_evicted(
    tmp_path: Path,
) -> None:
    cache = TrainingCache(tmp_path / "cache", max_mb=1)
    big = b"x" * (MB // 3)
    store(cache, tmp_path, "a", big)
    store(cache, tmp_path, "b", big)
    assert cache.lookup("a") is not None  # a is now more recently used than b

    store(cache, tmp_path, "c", big)

    assert cache.lookup("b") is None
    assert cache.lookup("a") is not None
    assert cache.lookup("c") is not None
    assert cache.size() <= MB
    assert not (tmp_path / "cache" / "entries" / "b").exists()


def test_given_max_mb_0_in_the_environment_then_the_cache_is_disabled(tmp_path: Path) -> None:
    cache = TrainingCache.from_env(
        {"PARLEY_CACHE_DIR": str(tmp_path / "cache"), "PARLEY_CACHE_MAX_MB": "0"}
    )

    store(cache, tmp_path, "a", "output")

    assert not cache.enabled
    assert cache.lookup("a") is None
    assert not (tmp_path / "cache").exists()


def test_given_the_environment_when_read_then_directory_and_limit_are_used(
    tmp_path: Path,
) -> None:
    cache = TrainingCache.from_env(
        {"PARLEY_CACHE_DIR": str(tmp_path / "c"), "PARLEY_CACHE_MAX_MB": "2.5"}
    )
    default = TrainingCache.from_env({"PARLEY_CACHE_DIR": str(tmp_path / "d")})

    assert cache.directory == tmp_path / "c" and cache.max_bytes == int(2.5 * MB)
    assert default.max_bytes == 1024 * MB
    assert (tmp_path / "c" / "index.sqlite").is_file()
    with pytest.raises(ValueError, match="PARLEY_CACHE_MAX_MB"):
        TrainingCache.from_env({"PARLEY_CACHE_DIR": str(tmp_path), "PARLEY_CACHE_MAX_MB": "lots"})


def test_given_a_deleted_state_file_when_looked_up_then_the_entry_is_dropped(
    tmp_path: Path,
) -> None:
    cache = stored_then_broken(tmp_path)

    assert cache.lookup("a") is None
    assert cache.fingerprints() == []


def test_given_a_truncated_output_when_looked_up_then_the_entry_is_dropped(
    tmp_path: Path,
) -> None:
    cache = TrainingCache(tmp_path / "cache")
    store(cache, tmp_path, "a", list(range(1000)))
    pickled = tmp_path / "cache" / "entries" / "a" / "output.pickle"
    pickled.write_bytes(pickled.read_bytes()[:20])

    assert cache.lookup("a") is None
    assert cache.fingerprints() == []


def test_given_a_garbled_output_of_the_same_size_when_loaded_then_cache_corrupted(
    tmp_path: Path,
) -> None:
    cache = TrainingCache(tmp_path / "cache")
    store(cache, tmp_path, "a", list(range(1000)))
    pickled = tmp_path / "cache" / "entries" / "a" / "output.pickle"
    pickled.write_bytes(b"\x00" * pickled.stat().st_size)
    entry = cache.lookup("a")
    assert entry is not None

    with pytest.raises(CacheCorrupted):
        cache.load_output(entry)


def test_given_a_deleted_entry_folder_when_looked_up_then_none(tmp_path: Path) -> None:
    cache = TrainingCache(tmp_path / "cache")
    store(cache, tmp_path, "a", "output")
    entry = cache.lookup("a")
    assert entry is not None
    cache.drop("a")

    with pytest.raises(CacheCorrupted):
        cache.restore_state(entry, tmp_path / "restored")
    assert cache.lookup("a") is None


def _store_many(directory: str, prefix: str, source: str) -> None:
    cache = TrainingCache(Path(directory))
    for index in range(15):
        # both processes also write the shared keys
        for key in (f"{prefix}{index}", f"shared{index}"):
            cache.store(key, node=key, state_dir=Path(source), output=[index] * 100)
            assert cache.lookup(key) is not None


def test_given_a_whole_entry_when_stored_again_then_its_folder_stays_in_place(
    tmp_path: Path,
) -> None:
    """Replacing it would leave a moment without it, in which another process's lookup would
    drop the entry as broken (two processes storing the same node at once)."""
    cache = TrainingCache(tmp_path / "cache")
    store(cache, tmp_path, "a", "output")
    folder = tmp_path / "cache" / "entries" / "a"
    inode = folder.stat().st_ino

    cache.store("a", node="node_a", state_dir=state_dir(tmp_path, "again"), output="output")

    assert folder.stat().st_ino == inode
    entry = cache.lookup("a")
    assert entry is not None
    assert cache.load_output(entry) == "output"


def test_given_a_broken_entry_folder_when_stored_again_then_it_is_replaced(
    tmp_path: Path,
) -> None:
    cache = stored_then_broken(tmp_path)

    cache.store("a", node="node_a", state_dir=state_dir(tmp_path, "again"), output="output")

    entry = cache.lookup("a")
    assert entry is not None
    cache.restore_state(entry, tmp_path / "restored")
    assert (tmp_path / "restored" / "sub" / "weights.bin").read_bytes() == b"weights"


def test_given_two_processes_storing_at_once_then_every_entry_is_intact(tmp_path: Path) -> None:
    source = state_dir(tmp_path, "state")
    # spawned, not forked: the suite's process has threads (SQLite's checkpointer, servers'
    # pools) and a child forked while one held SQLite's lock hung in sqlite3.connect for good
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_store_many, args=(str(tmp_path / "cache"), prefix, str(source)))
        for prefix in ("p", "q")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert [worker.exitcode for worker in workers] == [0, 0]
    cache = TrainingCache(tmp_path / "cache")
    assert len(cache.fingerprints()) == 45
    for key in cache.fingerprints():
        entry = cache.lookup(key)
        assert entry is not None
        assert cache.load_output(entry) == [int(key.lstrip("pqshared"))] * 100
    assert list((tmp_path / "cache" / "tmp").iterdir()) == []
