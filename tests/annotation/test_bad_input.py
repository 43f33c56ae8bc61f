"""Bad input gets a clear error that says what and where, and changes nothing stored.

Each case imports a broken copy of the bundled demo assistant *over* an existing assistant
(replace=True) and checks the error, then that every row of the existing assistant is as it was.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from annotation import models as m
from annotation.rasa_io.errors import ArchiveError, ProjectError
from annotation.services.project_import import assistant_import_from_path
from tests.annotation.dump import exact_dump

DEMO = Path(__file__).resolve().parents[2] / "annotation" / "demo" / "concertbot"

pytestmark = pytest.mark.django_db


@pytest.fixture
def existing() -> m.Assistant:
    return assistant_import_from_path(name="concerts", path=DEMO)


def _broken_copy(tmp_path: Path, relative: str, content: bytes) -> Path:
    root = tmp_path / "project"
    shutil.copytree(DEMO, root)
    (root / relative).write_bytes(content)
    return root


def _assert_refused_unchanged(
    assistant: m.Assistant, path: Path, *, file: str, line: int | None, words: str
) -> ProjectError:
    before = exact_dump(assistant)
    with pytest.raises(ProjectError) as raised:
        assistant_import_from_path(name=assistant.name, path=path, replace=True)
    problems = raised.value.problems
    located = [p for p in problems if p.file == file and (line is None or p.line == line)]
    assert located, f"no problem at {file}:{line} in {[p.as_dict() for p in problems]}"
    assert any(words in p.message for p in located), [p.message for p in located]
    assert exact_dump(assistant) == before
    return raised.value


DOMAIN_HEAD = b'version: "3.1"\n'

YAML_CASES: dict[str, tuple[str, bytes, int, str]] = {
    # name: (file, content, line of the problem, words the message must say)
    "malformed_yaml": ("domain.yml", DOMAIN_HEAD + b"intents: [greet, goodbye\n", 3, "YAML"),
    "wrong_type": ("domain.yml", DOMAIN_HEAD + b"intents: 5\n", 2, "list"),
    "unknown_key": ("domain.yml", DOMAIN_HEAD + b"intens:\n- greet\n", 2, "intens"),
    "intent_defined_twice": (
        "domain.yml",
        DOMAIN_HEAD + b"intents:\n- greet\n- goodbye\n- greet\n",
        5,
        "greet",
    ),
    "non_utf8": (
        "data/nlu.yml",
        b'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - caf\xe9\n',
        5,
        "UTF-8",
    ),
    "alias_bomb": (
        "data/nlu.yml",
        b'version: "3.1"\n'
        + b"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + b"".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n".encode()
            for i in range(8)
        ),
        0,
        "alias",
    ),
}


@pytest.mark.parametrize("case", sorted(YAML_CASES))
def test_given_a_broken_file_when_importing_over_an_assistant_then_located_error_nothing_changed(
    case: str, existing: m.Assistant, tmp_path: Path
) -> None:
    file, content, line, words = YAML_CASES[case]
    root = _broken_copy(tmp_path, file, content)
    _assert_refused_unchanged(existing, root, file=file, line=line or None, words=words)


def test_given_an_unknown_key_when_importing_then_the_error_suggests_the_right_key(
    existing: m.Assistant, tmp_path: Path
) -> None:
    file, content, line, _ = YAML_CASES["unknown_key"]
    error = _assert_refused_unchanged(
        existing, _broken_copy(tmp_path, file, content), file=file, line=line, words="intens"
    )
    assert any(p.suggestion and "intents" in p.suggestion for p in error.problems)


def test_given_an_intent_defined_twice_when_importing_then_both_lines_are_named(
    existing: m.Assistant, tmp_path: Path
) -> None:
    file, content, line, _ = YAML_CASES["intent_defined_twice"]
    error = _assert_refused_unchanged(
        existing, _broken_copy(tmp_path, file, content), file=file, line=line, words="greet"
    )
    message = next(p.message for p in error.problems if p.line == line)
    assert "3" in message  # the first definition's line


def _zip_of(root: Path, extra: Callable[[zipfile.ZipFile], None]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(root.rglob("*")):
            if file.is_file():
                archive.write(file, f"concertbot/{file.relative_to(root).as_posix()}")
        extra(archive)
    return buffer.getvalue()


def _assert_archive_refused(assistant: m.Assistant, archive: Path, words: str) -> None:
    before = exact_dump(assistant)
    with pytest.raises(ArchiveError) as raised:
        assistant_import_from_path(name=assistant.name, path=archive, replace=True)
    assert words in str(raised.value)
    assert raised.value.problems[0].file == archive.name
    assert exact_dump(assistant) == before


def test_given_an_archive_whose_paths_escape_when_importing_then_refused_nothing_written(
    existing: m.Assistant, tmp_path: Path
) -> None:
    archive = tmp_path / "escape.zip"
    archive.write_bytes(_zip_of(DEMO, lambda z: z.writestr("../../evil.txt", "owned")))
    _assert_archive_refused(existing, archive, "escape")
    assert not (tmp_path.parent / "evil.txt").exists()


def test_given_a_tar_with_an_absolute_path_when_importing_then_refused(
    existing: m.Assistant, tmp_path: Path
) -> None:
    archive = tmp_path / "absolute.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(DEMO, arcname="concertbot")
        info = tarfile.TarInfo("/tmp/parley-evil.txt")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"owned"))
    _assert_archive_refused(existing, archive, "absolute path")


def test_given_an_archive_expanding_past_the_limit_when_importing_then_refused(
    existing: m.Assistant, tmp_path: Path, settings: Any
) -> None:
    settings.MAX_ARCHIVE_BYTES = 2_000_000
    archive = tmp_path / "bomb.zip"
    archive.write_bytes(_zip_of(DEMO, lambda z: z.writestr("data/zeros.txt", b"\0" * 5_000_000)))
    assert archive.stat().st_size < 200_000  # small on disk, large once expanded
    _assert_archive_refused(existing, archive, "expands to more than")


def test_given_an_upload_over_the_size_limit_when_posted_then_413_and_nothing_changed(
    existing: m.Assistant, tmp_path: Path, settings: Any, client: Client
) -> None:
    settings.MAX_UPLOAD_BYTES = 10_000
    admin = User.objects.create_user("boss", password="pw-123456")
    m.Membership.objects.create(assistant=existing, user=admin, role=m.Role.ADMIN)
    client.force_login(admin)
    before = exact_dump(existing)
    payload = _zip_of(DEMO, lambda z: z.writestr("data/noise.txt", os.urandom(50_000)))

    response = client.post(
        f"/api/v1/assistants/{existing.pk}/import/",
        {"file": io.BytesIO(payload)},
    )

    assert response.status_code == 413
    assert response.json()["code"] == "upload_too_large"
    assert exact_dump(existing) == before


def test_given_a_span_outside_the_text_when_posted_then_400_naming_the_field_nothing_stored(
    existing: m.Assistant, client: Client
) -> None:
    annotator = User.objects.create_user("ann", password="pw-123456")
    m.Membership.objects.create(assistant=existing, user=annotator, role=m.Role.ANNOTATOR)
    client.force_login(annotator)
    intent = existing.intents.filter(in_domain=True).first()
    assert intent is not None
    before = exact_dump(existing)

    response = client.post(
        f"/api/v1/assistants/{existing.pk}/examples/",
        {
            "intent": intent.name,
            "text": "hello there",
            "spans": [{"start": 6, "end": 40, "entity": "city", "value": "there"}],
        },
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "spans" in response.json()["errors"]
    assert exact_dump(existing) == before
