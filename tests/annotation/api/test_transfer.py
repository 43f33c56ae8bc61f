"""Import an archive, export a .zip, validate: end to end through the API, on real projects."""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from annotation.models import Assistant, Example, Intent, Membership, Role
from tests.annotation.api.conftest import api_url
from tests.conftest import rasa_project_dirs
from tests.factories import UserFactory

PROJECTS = rasa_project_dirs()
needs_projects = pytest.mark.skipif(not PROJECTS, reason="../shared/data/rasa-projects is absent")


def zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def zip_files(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, text)
    return buffer.getvalue()


def upload(content: bytes, name: str = "project.zip") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/zip")


def project(name: str) -> Path:
    found = [p for p in PROJECTS if p.name == name]
    if not found:
        pytest.skip(f"{name} is not among the shared projects")
    return found[0]


@pytest.fixture
def user(db: Any) -> Any:
    return UserFactory(username="importer")


@pytest.fixture
def client(user: Any, client_for: Callable[..., APIClient]) -> APIClient:
    return client_for(user)


@needs_projects
@pytest.mark.parametrize("folder", PROJECTS, ids=[p.name for p in PROJECTS])
def test_given_a_real_project_zip_when_importing_then_201_and_the_importer_is_admin(
    folder: Path, user: Any, client: APIClient
) -> None:
    response = client.post(
        "/api/v1/assistants/import/",
        {"file": upload(zip_folder(folder)), "name": folder.name},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == folder.name
    assert body["role"] == "admin"
    assistant = Assistant.objects.get(pk=body["id"])
    assert Membership.objects.get(assistant=assistant, user=user).role == Role.ADMIN
    assert client.get(api_url(assistant, "intents")).json()["count"] > 0


@needs_projects
def test_given_an_imported_project_when_exporting_then_a_zip_attachment_comes_back(
    client: APIClient,
) -> None:
    body = client.post(
        "/api/v1/assistants/import/",
        {"file": upload(zip_folder(project("moodbot-3.6")), "moodbot.zip")},
        format="multipart",
    ).json()

    response = client.get(api_url(body["id"], "export"))

    assert body["name"] == "moodbot"
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="moodbot.zip"'
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "domain.yml" in names
    assert "config.yml" in names


@needs_projects
def test_given_an_imported_project_when_validating_then_problems_and_counts_come(
    client: APIClient,
) -> None:
    body = client.post(
        "/api/v1/assistants/import/",
        {"file": upload(zip_folder(project("formbot"))), "name": "formbot"},
        format="multipart",
    ).json()

    report = client.get(api_url(body["id"], "validate"), {"max_history": 5})
    bad = client.get(api_url(body["id"], "validate"), {"max_history": 0})

    assert report.status_code == 200, report.json()
    data = report.json()
    assert set(data) == {"problems", "counts", "valid"}
    assert data["counts"]["error"] == sum(p["severity"] == "error" for p in data["problems"])
    assert data["valid"] is (data["counts"]["error"] == 0)
    assert bad.status_code == 400
    assert "max_history" in bad.json()["errors"]


def test_given_a_project_with_an_unknown_key_when_importing_then_400_with_file_and_line(
    client: APIClient,
) -> None:
    files = {
        "config.yml": "recipe: default.v1\nlanguage: en\npipeline: []\npolicies: []\n",
        "domain.yml": 'version: "3.1"\nintents:\n  - greet\nrespones:\n  utter_hi:\n'
        "    - text: hi\n",
        "data/nlu.yml": 'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n',
    }

    response = client.post(
        "/api/v1/assistants/import/",
        {"file": upload(zip_files(files)), "name": "broken"},
        format="multipart",
    )

    assert response.status_code == 400, response.json()
    body = response.json()
    assert set(body) == {"code", "message", "problems"}
    located = [p for p in body["problems"] if p["file"] == "domain.yml"]
    assert located, body
    assert located[0]["line"] == 4
    assert set(located[0]) == {"severity", "code", "message", "file", "line", "suggestion"}
    assert not Assistant.objects.filter(name="broken").exists()


def test_given_something_that_is_not_an_archive_when_importing_then_400_invalid_archive(
    client: APIClient,
) -> None:
    response = client.post(
        "/api/v1/assistants/import/",
        {"file": upload(b"just some text", "notes.zip"), "name": "x"},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_archive"
    assert response.json()["problems"][0]["file"] == "notes.zip"


def test_given_no_file_when_importing_then_400_on_file(client: APIClient) -> None:
    response = client.post("/api/v1/assistants/import/", {"name": "x"}, format="multipart")

    assert response.status_code == 400
    assert "file" in response.json()["errors"]


@pytest.mark.parametrize("size", [2_000, 200_000])
def test_given_an_upload_over_the_limit_when_importing_then_413_and_nothing_is_written(
    size: int, client: APIClient, settings: Any
) -> None:
    settings.MAX_UPLOAD_BYTES = 1_000

    response = client.post(
        "/api/v1/assistants/import/",
        {"file": upload(b"x" * size), "name": "big"},
        format="multipart",
    )

    assert response.status_code == 413
    assert response.json()["code"] == "upload_too_large"
    assert "at most" in response.json()["message"]
    assert not Assistant.objects.exists()


@needs_projects
def test_given_an_existing_name_when_importing_without_replace_then_409(
    client: APIClient,
) -> None:
    content = zip_folder(project("moodbot-3.6"))
    first = client.post(
        "/api/v1/assistants/import/", {"file": upload(content), "name": "mood"}, format="multipart"
    )

    again = client.post(
        "/api/v1/assistants/import/", {"file": upload(content), "name": "mood"}, format="multipart"
    )

    assert first.status_code == 201
    assert again.status_code == 409
    assert again.json()["code"] == "assistant_exists"


@needs_projects
def test_given_an_existing_name_when_replacing_then_admins_may_and_others_may_not(
    client: APIClient, client_for: Callable[..., APIClient]
) -> None:
    mood = zip_folder(project("moodbot-3.6"))
    created = client.post(
        "/api/v1/assistants/import/", {"file": upload(mood), "name": "mood"}, format="multipart"
    ).json()
    Example.objects.filter(assistant_id=created["id"]).delete()
    stranger = client_for(UserFactory(username="stranger"))

    replaced = client.post(
        "/api/v1/assistants/import/",
        {"file": upload(mood), "name": "mood", "replace": "true"},
        format="multipart",
    )
    refused = stranger.post(
        "/api/v1/assistants/import/",
        {"file": upload(mood), "name": "mood", "replace": "true"},
        format="multipart",
    )

    assert replaced.status_code == 201, replaced.json()
    assert replaced.json()["id"] == created["id"]
    assert Example.objects.filter(assistant_id=created["id"]).exists()
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_assistant_admin"


@needs_projects
def test_given_an_assistant_when_reimporting_then_only_admins_replace_its_data(
    assistant: Assistant, people: dict[str, Any], client_for: Callable[..., APIClient]
) -> None:
    mood = zip_folder(project("moodbot-3.6"))
    url = api_url(assistant, "import")

    by_annotator = client_for(people["annotator"]).post(
        url, {"file": upload(mood)}, format="multipart"
    )
    by_outsider = client_for(people["outsider"]).post(
        url, {"file": upload(mood)}, format="multipart"
    )
    by_admin = client_for(people["admin"]).post(url, {"file": upload(mood)}, format="multipart")

    assert by_annotator.status_code == 403
    assert by_outsider.status_code == 404
    assert by_admin.status_code == 200, by_admin.json()
    assert by_admin.json()["name"] == "pizzabot"
    assert Intent.objects.filter(assistant=assistant, name="mood_great").exists()
    assert Membership.objects.filter(assistant=assistant).count() == 3


def test_given_an_assistant_made_in_the_api_when_exporting_and_validating_then_both_work(
    assistant: Assistant, people: dict[str, Any], client_for: Callable[..., APIClient]
) -> None:
    viewer = client_for(people["viewer"])

    exported = viewer.get(api_url(assistant, "export"))
    validated = viewer.get(api_url(assistant, "validate"))
    outsider = client_for(people["outsider"]).get(api_url(assistant, "export"))

    assert exported.status_code == 200
    assert zipfile.is_zipfile(io.BytesIO(exported.content))
    assert validated.status_code == 200
    assert outsider.status_code == 404
