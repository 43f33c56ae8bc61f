"""Real Rasa projects survive read -> write ("3.1") -> read with identical content and layout."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from annotation.rasa_io.reader import read_files, read_project
from annotation.rasa_io.types import (
    EntityAnnotation,
    Example,
    IntentBlock,
    Project,
    ProjectFileInfo,
)
from annotation.rasa_io.writer import render_project
from tests.annotation.rasa_io.compare import strip_lines
from tests.conftest import SHARED_DATA, rasa_project_dirs

PROJECTS = rasa_project_dirs()
NLU_BENCHMARKS = [SHARED_DATA / "nlu" / name / "train.yml" for name in ("snips", "banking77")]
EMPTY_DOMAIN = b'version: "3.1"\n'


def _first_difference(left: Any, right: Any, path: str = "project") -> str | None:
    """Where two projects first differ, for a readable failure message."""
    if type(left) is not type(right):
        return f"{path}: {left!r} != {right!r}"
    if dataclasses.is_dataclass(left) and not isinstance(left, type):
        for f in dataclasses.fields(left):
            found = _first_difference(
                getattr(left, f.name), getattr(right, f.name), f"{path}.{f.name}"
            )
            if found:
                return found
        return None
    if isinstance(left, tuple | list):
        if len(left) != len(right):
            return f"{path}: {len(left)} items != {len(right)} items"
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            found = _first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        return None
    if left != right and not (left != left and right != right):  # NaN equals NaN here
        return f"{path}: {left!r} != {right!r}"
    return None


def _assert_same_content(original: Project, again: Project) -> None:
    left, right = strip_lines(original), strip_lines(again)
    assert left == right, _first_difference(left, right)


def _source_files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    }


@pytest.fixture(params=PROJECTS, ids=[p.name for p in PROJECTS])
def project_dir(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    return path


def test_projects_are_present(rasa_projects_dir: Path) -> None:
    assert PROJECTS, f"no Rasa projects under {rasa_projects_dir}"


def test_given_real_project_when_written_and_read_again_then_content_is_identical(
    project_dir: Path,
) -> None:
    original = read_project(project_dir)

    again = read_files(render_project(original))

    _assert_same_content(original, again)


def test_given_real_project_when_written_then_layout_is_kept(project_dir: Path) -> None:
    original = read_project(project_dir)

    rendered = render_project(original)
    again = read_files(rendered)

    assert list(rendered) == [info.path for info in original.files]
    assert set(rendered) == set(_source_files(project_dir))
    for before, after in zip(original.files, again.files, strict=True):
        assert after.path == before.path
        assert after.kind == before.kind
        assert [s for s in after.sections if s != "version"] == [
            s for s in before.sections if s != "version"
        ]


def test_given_real_project_when_written_then_yaml_files_say_version_31(project_dir: Path) -> None:
    original = read_project(project_dir)

    rendered = render_project(original)

    for info in read_files(rendered).files:
        if info.kind in ("domain", "data", "tests"):
            assert info.version == "3.1", info.path
            assert info.sections[0] == "version", info.path
            assert yaml.safe_load(rendered[info.path])["version"] == "3.1"


def test_given_real_project_when_written_then_assets_are_byte_identical(project_dir: Path) -> None:
    source = _source_files(project_dir)

    rendered = render_project(read_project(project_dir))

    for asset in read_project(project_dir).assets:
        assert rendered[asset.path] == source[asset.path]


def test_given_real_project_when_written_twice_then_output_is_a_fixed_point(
    project_dir: Path,
) -> None:
    first = render_project(read_project(project_dir))

    second = render_project(read_files(first))

    assert second == first


def test_given_real_project_when_written_then_comment_lines_are_kept(project_dir: Path) -> None:
    original = read_project(project_dir)

    rendered = render_project(original)

    def comment_lines(files: dict[str, bytes], info: ProjectFileInfo) -> list[str]:
        text = files[info.path].decode("utf-8")
        return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]

    source = _source_files(project_dir)
    for info in original.files:
        if info.kind != "asset":
            assert comment_lines(rendered, info) == comment_lines(source, info), info.path


# -------------------------------------------------------------------------- NLU benchmarks


@pytest.fixture(params=NLU_BENCHMARKS, ids=[p.parent.name for p in NLU_BENCHMARKS])
def nlu_file(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    return path


def _examples(project: Project) -> list[tuple[str, str, tuple[EntityAnnotation, ...]]]:
    return [
        (item.intent, example.text, example.entities)
        for item in project.nlu
        if isinstance(item, IntentBlock)
        for example in item.examples
    ]


def test_given_nlu_benchmark_when_written_and_read_again_then_examples_and_spans_survive(
    nlu_file: Path,
) -> None:
    original = read_files({"data/nlu.yml": nlu_file.read_bytes(), "domain.yml": EMPTY_DOMAIN})

    rendered = render_project(original)
    again = read_files(rendered)

    assert _examples(again) == _examples(original)
    assert len(_examples(original)) > 1000
    _assert_same_content(original, again)
    assert render_project(again) == rendered
    for intent, text, entities in _examples(again):
        for entity in entities:
            assert 0 <= entity.start < entity.end <= len(text), (intent, text)


@pytest.mark.slow
def test_given_100k_examples_when_rendered_then_it_takes_a_few_seconds_at_most() -> None:
    city = EntityAnnotation(8, 14, "city", "Berlin")
    blocks = tuple(
        IntentBlock(
            f"intent_{i}",
            tuple(
                Example(f"fly to Berlin now {i} {j}", (city,) if j % 2 else ()) for j in range(1000)
            ),
        )
        for i in range(100)
    )
    project = Project(nlu=blocks)

    rendered = render_project(project)

    assert rendered["data/nlu.yml"].count(b"\n    - ") == 100_000
