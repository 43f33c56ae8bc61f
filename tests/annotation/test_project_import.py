"""Importing a project into the database: all of it, in one transaction, or nothing."""

from __future__ import annotations

import dataclasses
import shutil
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from annotation import models as m
from annotation.rasa_io import types as t
from annotation.rasa_io.errors import ArchiveError, ProjectError
from annotation.selectors.project_export import assistant_project
from annotation.services import project_import
from annotation.services.errors import AssistantExistsError, AssistantNameError
from annotation.services.project_import import assistant_import, assistant_import_from_path
from tests.annotation.dump import exact_dump, row_counts
from tests.annotation.sample_project import NLU, sample_project
from tests.conftest import RASA_PROJECTS
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

MOODBOT = RASA_PROJECTS / "moodbot-3.6"
needs_projects = pytest.mark.skipif(not MOODBOT.is_dir(), reason="shared projects absent")


def _break_a_span(project: t.Project) -> t.Project:
    """The same project with an annotation past the end of an example's text."""
    nlu = list(project.nlu)
    block = nlu[0]
    assert isinstance(block, t.IntentBlock)
    bad = t.Example("hi", (t.EntityAnnotation(0, 9, "name", "hi"),), origin=t.Origin(NLU, 7))
    nlu[0] = dataclasses.replace(block, examples=(*block.examples, bad))
    return dataclasses.replace(project, nlu=tuple(nlu))


# ------------------------------------------------------------------------------- content


def test_given_a_project_when_imported_then_reading_it_back_gives_the_same_project() -> None:
    project = sample_project()

    assistant = assistant_import(name="travel", project=project)

    assert assistant_project(assistant=assistant) == project
    assert assistant.source_format == "3.1"


def test_given_a_project_when_imported_then_rows_keep_file_position_line_and_comments() -> None:
    assistant = assistant_import(name="travel", project=sample_project())

    greet = m.Intent.objects.get(assistant=assistant, name="greet")
    assert greet.file is not None and greet.file.path == "domain.yml"
    assert (greet.position, greet.line) == (0, 3)
    assert greet.comments == [{"path": [], "where": "before", "lines": ["# hello"]}]
    lookup = m.LookupTable.objects.get(assistant=assistant)
    assert lookup.position == 5  # its place among all NLU items
    files = list(m.ProjectFile.objects.filter(assistant=assistant).values_list("path", "position"))
    assert files[:2] == [("config.yml", 0), ("domain.yml", 1)]
    span = m.EntitySpan.objects.filter(assistant=assistant).order_by("id").first()
    assert span is not None
    assert span.example.text[span.start : span.end] == "Köln"


def test_given_an_intent_only_nlu_names_when_imported_then_stored_outside_the_domain() -> None:
    assistant = assistant_import(name="travel", project=sample_project())

    affirm = m.Intent.objects.get(assistant=assistant, name="affirm")
    assert affirm.in_domain is False
    assert affirm.examples.count() == 1
    domain_intents = assistant_project(assistant=assistant).domain.intents
    assert "affirm" not in [i.name for i in domain_intents]


def test_given_an_empty_name_when_importing_then_refused() -> None:
    with pytest.raises(AssistantNameError):
        assistant_import(name=" ", project=sample_project())
    assert not m.Assistant.objects.exists()


# -------------------------------------------------------------------- refuse and replace


def test_given_an_existing_name_when_importing_without_replace_then_refused() -> None:
    assistant = assistant_import(name="travel", project=sample_project())
    before = exact_dump(assistant)

    with pytest.raises(AssistantExistsError) as raised:
        assistant_import(name="travel", project=sample_project(stories=5))

    assert raised.value.code == "assistant_exists"
    assert "pass replace" in str(raised.value)
    assert exact_dump(assistant) == before


def test_given_an_existing_name_when_importing_with_replace_then_data_replaced_row_kept() -> None:
    first = assistant_import(name="travel", project=sample_project(stories=1))
    membership = MembershipFactory.create(assistant=first)

    second = assistant_import(name="travel", project=sample_project(stories=4), replace=True)

    assert second.pk == first.pk
    assert m.Assistant.objects.count() == 1
    assert m.Membership.objects.get().pk == membership.pk
    assert m.Story.objects.filter(assistant=second, kind="story", is_test=False).count() == 4
    assert assistant_project(assistant=second) == sample_project(stories=4)


def test_given_replace_when_the_name_is_new_then_the_assistant_is_created() -> None:
    assistant = assistant_import(name="fresh", project=sample_project(), replace=True)
    assert assistant_project(assistant=assistant) == sample_project()


# ----------------------------------------------------------------------------- atomicity


def test_given_a_span_past_the_text_when_importing_then_a_problem_at_its_line() -> None:
    with pytest.raises(ProjectError) as raised:
        assistant_import(name="travel", project=_break_a_span(sample_project()))

    problem = raised.value.problems[0]
    assert (problem.file, problem.line, problem.code) == (NLU, 7, "entity_span_outside_text")
    assert not m.Assistant.objects.exists()


def test_given_a_duplicate_domain_name_when_importing_then_a_problem_names_it() -> None:
    project = sample_project()
    domain = dataclasses.replace(
        project.domain, actions=(*project.domain.actions, project.domain.actions[0])
    )
    with pytest.raises(ProjectError) as raised:
        assistant_import(name="travel", project=dataclasses.replace(project, domain=domain))
    assert raised.value.problems[0].code == "duplicate_name"
    assert "action_count" in raised.value.problems[0].message


def test_given_a_constraint_violation_mid_import_when_replacing_then_old_data_intact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assistant = assistant_import(name="travel", project=sample_project())
    before, counts = exact_dump(assistant), row_counts(assistant)
    # let the bad span reach the database: the trigger must refuse it
    monkeypatch.setattr(project_import, "project_problems", lambda project: [])

    with pytest.raises(ProjectError) as raised:
        assistant_import(name="travel", project=_break_a_span(sample_project()), replace=True)

    assert raised.value.problems[0].code == "constraint_violation"
    assert "nothing was imported" in raised.value.problems[0].message
    assert row_counts(assistant) == counts
    assert exact_dump(assistant) == before


def test_given_a_project_error_in_the_middle_when_replacing_then_old_data_intact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assistant = assistant_import(name="travel", project=sample_project())
    before = exact_dump(assistant)

    def fail(self: Any) -> None:
        raise ProjectError(t.Problem("error", "boom", "stories went wrong", "data/x.yml", 3))

    monkeypatch.setattr(project_import._ProjectStore, "_stories", fail)
    with pytest.raises(ProjectError):
        assistant_import(name="travel", project=sample_project(stories=3), replace=True)

    assert exact_dump(assistant) == before
    assert m.Assistant.objects.get().source_format == "3.1"


def test_given_a_failing_first_import_when_it_fails_then_no_assistant_is_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(project_import, "project_problems", lambda project: [])
    with pytest.raises(ProjectError):
        assistant_import(name="travel", project=_break_a_span(sample_project()))
    assert not m.Assistant.objects.exists()
    assert not m.Intent.objects.exists()


# ---------------------------------------------------------------------- folders, archives


@needs_projects
def test_given_a_project_folder_when_imported_then_its_examples_are_stored() -> None:
    assistant = assistant_import_from_path(name="mood", path=MOODBOT)
    assert m.Example.objects.filter(assistant=assistant).count() > 10
    assert m.Story.objects.filter(assistant=assistant).exists()
    assert m.ProjectFile.objects.filter(assistant=assistant, path="domain.yml").exists()


@needs_projects
@pytest.mark.parametrize("suffix", [".zip", ".tar.gz", ".tgz", ".tar"])
def test_given_an_archive_when_imported_then_same_as_the_folder(
    tmp_path: Path, suffix: str
) -> None:
    archive = tmp_path / f"moodbot{suffix}"
    if suffix == ".zip":
        with zipfile.ZipFile(archive, "w") as zf:
            for file in sorted(MOODBOT.rglob("*")):
                if file.is_file():
                    zf.write(file, f"moodbot/{file.relative_to(MOODBOT).as_posix()}")
    else:
        with tarfile.open(archive, "w" if suffix == ".tar" else "w:gz") as tf:
            tf.add(MOODBOT, arcname="moodbot")
    from_folder = assistant_import_from_path(name="folder", path=MOODBOT)

    from_archive = assistant_import_from_path(name="archive", path=archive)

    assert assistant_project(assistant=from_archive) == assistant_project(assistant=from_folder)


def test_given_an_upload_over_the_limit_when_imported_then_refused_before_extraction(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("domain.yml", "x" * 5000)
    settings.MAX_UPLOAD_BYTES = 100

    def never(*args: object, **kwargs: object) -> Path:
        raise AssertionError("extracted an archive over the upload limit")

    monkeypatch.setattr(project_import, "extract_archive", never)

    with pytest.raises(ArchiveError) as raised:
        assistant_import_from_path(name="big", path=archive)

    assert raised.value.problems[0].code == "upload_too_large"
    assert "PARLEY_MAX_UPLOAD_MB" in raised.value.problems[0].message
    assert not m.Assistant.objects.exists()


def test_given_a_file_that_is_no_archive_when_imported_then_a_clear_error(
    tmp_path: Path,
) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(ProjectError) as raised:
        assistant_import_from_path(name="x", path=other)
    assert raised.value.problems[0].code == "unsupported_file"
    with pytest.raises(ProjectError) as raised:
        assistant_import_from_path(name="x", path=tmp_path / "missing")
    assert raised.value.problems[0].code == "path_not_found"


@needs_projects
def test_given_an_unreadable_project_when_importing_with_replace_then_nothing_changes(
    tmp_path: Path,
) -> None:
    assistant = assistant_import_from_path(name="mood", path=MOODBOT)
    before = exact_dump(assistant)
    broken = tmp_path / "broken"
    shutil.copytree(MOODBOT, broken)
    (broken / "domain.yml").write_text(
        'version: "3.1"\nintents:\n- greet\nintnets:\n- bye\n', encoding="utf-8"
    )

    with pytest.raises(ProjectError) as raised:
        assistant_import_from_path(name="mood", path=broken, replace=True)

    assert any(p.file == "domain.yml" and p.line for p in raised.value.problems)
    assert exact_dump(assistant) == before


@needs_projects
def test_given_an_existing_name_when_importing_a_path_then_refused_before_reading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assistant_import_from_path(name="mood", path=MOODBOT)

    def never(path: Path) -> t.Project:
        raise AssertionError("read a project for a name that is taken")

    monkeypatch.setattr(project_import, "read_project", never)
    with pytest.raises(AssistantExistsError):
        assistant_import_from_path(name="mood", path=MOODBOT)
