"""The training-job and model-registry API: start, follow, cancel, fine-tune check and its
409, models listed, activated (serving switches), tagged, downloaded, uploaded, deleted, pruned."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from annotation import models as m
from annotation.models import Role
from annotation.services.project_import import assistant_import_from_path
from tests.factories import member
from tests.training.tiny_project import add_intent, write_tiny_project
from training.engine.archive import write_archive
from training.models import JobState, ModelVersion, TrainingJob
from training.registry import active_model_id
from training.services import assistant_models_dir
from training.serving import assistant_active_model

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def admin(tiny: m.Assistant) -> APIClient:
    return client_for(member(tiny, Role.ADMIN, username="ada"))


@pytest.fixture
def viewer(tiny: m.Assistant) -> APIClient:
    return client_for(member(tiny, Role.VIEWER, username="vic"))


def url(assistant: m.Assistant, rest: str) -> str:
    return f"/api/v1/assistants/{assistant.pk}/{rest}"


def fake_archive(directory: Path, model_id: str, created: datetime, **extra: Any) -> Path:
    """A real (node-less) archive the engine's reader accepts."""
    metadata = {"id": model_id, "created": created.isoformat(), "kind": "full", **extra}
    return write_archive(out_dir=directory, metadata=metadata, node_dirs={})


def train(client: APIClient, assistant: m.Assistant, capture: Any, **body: Any) -> Any:
    with capture(execute=True):
        response = client.post(url(assistant, "training/jobs/"), body, format="json")
    assert response.status_code == 201, response.content
    return client.get(url(assistant, f"training/jobs/{response.json()['id']}/")).json()


def test_given_an_admin_when_training_through_the_api_then_the_job_and_model_are_listed(
    tiny: m.Assistant, admin: APIClient, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    job = train(admin, tiny, django_capture_on_commit_callbacks, kind="full")

    assert job["state"] == JobState.SUCCEEDED
    assert job["progress"]["percent"] == 100.0
    assert job["started_by"] == "ada" and job["log"]
    jobs = admin.get(url(tiny, "training/jobs/")).json()
    assert [j["id"] for j in jobs["results"]] == [job["id"]]
    models = admin.get(url(tiny, "models/")).json()["results"]
    assert [(v["model_id"], v["active"], v["kind"]) for v in models] == [
        (job["model_id"], True, "full")
    ]
    check = admin.get(url(tiny, "training/finetune-check/")).json()
    assert check["possible"] is True and check["finetunes_since_full"] == 0

    finetuned = train(
        admin, tiny, django_capture_on_commit_callbacks, kind="finetune", epoch_fraction=0.5
    )
    assert finetuned["state"] == JobState.SUCCEEDED, finetuned["human_readable_error"]
    assert finetuned["epoch_fraction"] == 0.5
    detail = admin.get(url(tiny, f"models/{finetuned['model_id']}/")).json()
    assert detail["parent_model_id"] == job["model_id"] and detail["active"]


def test_given_a_changed_domain_when_fine_tuning_then_409_lists_the_differences(
    tiny: m.Assistant,
    admin: APIClient,
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
    tmp_path: Path,
) -> None:
    train(admin, tiny, django_capture_on_commit_callbacks, kind="full")
    changed = write_tiny_project(tmp_path / "changed")
    add_intent(changed)
    assistant_import_from_path(name="tiny", path=changed, replace=True)

    check = admin.get(url(tiny, "training/finetune-check/")).json()
    response = admin.post(url(tiny, "training/jobs/"), {"kind": "finetune"}, format="json")

    assert check["possible"] is False
    assert {"kind": "intent", "name": "thank", "change": "added"}.items() <= (
        check["differences"][0].items()
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "finetune_refused"
    assert [(d["kind"], d["name"]) for d in body["differences"]] == [("intent", "thank")]
    assert body["allowed_changes"]
    assert TrainingJob.objects.count() == 1


def test_given_a_viewer_when_starting_a_training_then_403(
    tiny: m.Assistant, viewer: APIClient
) -> None:
    response = viewer.post(url(tiny, "training/jobs/"), {"kind": "full"}, format="json")

    assert response.status_code == 403
    assert viewer.get(url(tiny, "training/jobs/")).status_code == 200


def test_given_a_queued_job_when_cancelled_through_the_api_then_it_is_cancelled_once(
    tiny: m.Assistant, admin: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        job = admin.post(url(tiny, "training/jobs/"), {"kind": "full"}, format="json").json()

    cancelled = admin.post(url(tiny, f"training/jobs/{job['id']}/cancel/"))
    again = admin.post(url(tiny, f"training/jobs/{job['id']}/cancel/"))

    assert cancelled.json()["state"] == JobState.CANCELLED
    assert again.status_code == 409 and again.json()["code"] == "job_finished"


def test_given_two_models_when_the_older_is_activated_then_serving_switches_at_once(
    tiny: m.Assistant, admin: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from training import serving

    directory = assistant_models_dir(assistant=tiny)
    fake_archive(directory, "aaa1", datetime(2026, 1, 1, tzinfo=UTC))
    fake_archive(directory, "bbb2", datetime(2026, 1, 2, tzinfo=UTC))
    monkeypatch.setattr(
        serving,
        "load_model",
        lambda path: type(
            "M", (), {"metadata": {"id": path.name.removesuffix(".tar.gz").rsplit("-", 1)[-1]}}
        )(),
    )
    served = assistant_active_model(assistant=tiny)
    assert served is not None and served.id == "bbb2"  # no pointer yet: the newest

    response = admin.post(url(tiny, "models/aaa1/activate/"))

    assert response.status_code == 200 and response.json()["active"] is True
    served = assistant_active_model(assistant=tiny)
    assert served is not None and served.id == "aaa1"
    models = admin.get(url(tiny, "models/")).json()["results"]
    assert [(v["model_id"], v["active"], v["origin"]) for v in models] == [
        ("bbb2", False, "disk"),
        ("aaa1", True, "disk"),
    ]


def test_given_the_active_model_when_deleted_then_409_and_another_can_be_deleted(
    tiny: m.Assistant, admin: APIClient
) -> None:
    directory = assistant_models_dir(assistant=tiny)
    old = fake_archive(directory, "aaa1", datetime(2026, 1, 1, tzinfo=UTC))
    fake_archive(directory, "bbb2", datetime(2026, 1, 2, tzinfo=UTC))

    refused = admin.delete(url(tiny, "models/bbb2/"))
    deleted = admin.delete(url(tiny, "models/aaa1/"))

    assert refused.status_code == 409 and refused.json()["code"] == "active_model"
    assert deleted.status_code == 204
    assert not old.exists()
    assert list(ModelVersion.objects.values_list("model_id", flat=True)) == ["bbb2"]
    disk = admin.get(url(tiny, "models/disk/")).json()
    assert disk["models"] == 1 and disk["active_model_id"] == "bbb2" and disk["bytes"] > 0


def test_given_a_model_when_tagged_and_downloaded_then_the_archive_comes_back(
    tiny: m.Assistant, admin: APIClient
) -> None:
    path = fake_archive(
        assistant_models_dir(assistant=tiny), "aaa1", datetime(2026, 1, 1, tzinfo=UTC)
    )

    tagged = admin.put(
        url(tiny, "models/aaa1/tags/"), {"tags": ["prod", " ", "prod"]}, format="json"
    )
    download = admin.get(url(tiny, "models/aaa1/download/"))

    assert tagged.json()["tags"] == ["prod"]
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == path.read_bytes()  # type: ignore[attr-defined]
    assert path.name in download["Content-Disposition"]


def test_given_an_archive_when_uploaded_then_it_is_registered_and_garbage_is_refused(
    tiny: m.Assistant, admin: APIClient, tmp_path: Path
) -> None:
    archive = fake_archive(tmp_path / "elsewhere", "ccc3", datetime(2026, 2, 1, tzinfo=UTC))
    garbage = io.BytesIO(b"not a tarball")
    garbage.name = "model.tar.gz"

    with archive.open("rb") as file:
        uploaded = admin.post(url(tiny, "models/"), {"file": file}, format="multipart")
    refused = admin.post(url(tiny, "models/"), {"file": garbage}, format="multipart")

    assert uploaded.status_code == 201, uploaded.content
    assert uploaded.json()["origin"] == "upload" and uploaded.json()["model_id"] == "ccc3"
    assert (assistant_models_dir(assistant=tiny) / archive.name).is_file()
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_archive"
    assert [p.name for p in assistant_models_dir(assistant=tiny).iterdir()] == [archive.name]


def test_given_a_retention_limit_when_pruned_then_old_untagged_models_go(
    tiny: m.Assistant, admin: APIClient
) -> None:
    directory = assistant_models_dir(assistant=tiny)
    for day, model_id in enumerate(["aaa1", "bbb2", "ccc3", "ddd4"], start=1):
        fake_archive(directory, model_id, datetime(2026, 1, day, tzinfo=UTC))
    admin.post(url(tiny, "models/aaa1/activate/"))
    admin.put(url(tiny, "models/bbb2/tags/"), {"tags": ["keep"]}, format="json")
    assert (
        admin.patch(url(tiny, "training/settings/"), {"keep_models": 1}, format="json").json()[
            "keep_models"
        ]
        == 1
    )

    pruned = admin.post(url(tiny, "models/prune/")).json()

    assert pruned["deleted"] == ["ccc3"]
    assert sorted(ModelVersion.objects.values_list("model_id", flat=True)) == [
        "aaa1",
        "bbb2",
        "ddd4",
    ]
    assert active_model_id(assistant=tiny) == "aaa1"


def test_given_the_settings_when_the_epoch_fraction_is_out_of_range_then_400(
    tiny: m.Assistant, admin: APIClient
) -> None:
    assert admin.get(url(tiny, "training/settings/")).json()["epoch_fraction"] == 0.2
    response = admin.patch(url(tiny, "training/settings/"), {"epoch_fraction": 2}, format="json")
    assert response.status_code == 400


def test_given_an_upload_limit_when_the_archive_is_larger_then_400_and_nothing_is_kept(
    tiny: m.Assistant, admin: APIClient, tmp_path: Path, settings: Any
) -> None:
    archive = fake_archive(tmp_path / "elsewhere", "ddd4", datetime(2026, 2, 1, tzinfo=UTC))
    settings.MAX_MODEL_UPLOAD_BYTES = archive.stat().st_size - 1

    with archive.open("rb") as file:
        response = admin.post(url(tiny, "models/"), {"file": file}, format="multipart")

    assert response.status_code == 400 and response.json()["code"] == "invalid_archive"
    assert "larger than" in response.json()["message"]
    assert list(assistant_models_dir(assistant=tiny).iterdir()) == []


def test_given_two_models_when_the_inactive_one_is_read_then_it_comes_compared_with_the_active(
    tiny: m.Assistant, admin: APIClient
) -> None:
    directory = assistant_models_dir(assistant=tiny)
    fake_archive(directory, "aaa1", datetime(2026, 1, 1, tzinfo=UTC))
    fake_archive(directory, "bbb2", datetime(2026, 1, 2, tzinfo=UTC))
    admin.post(url(tiny, "models/aaa1/activate/"))
    figures = {"greet": {"f1": 0.9, "support": 5}, "bye": {"f1": 0.8, "support": 5}}
    ModelVersion.objects.filter(model_id="aaa1").update(
        metrics={"nlu": {"intent_accuracy": 0.85, "per_intent": figures}}
    )
    worse = {**figures, "bye": {"f1": 0.5, "support": 5}}
    ModelVersion.objects.filter(model_id="bbb2").update(
        metrics={"nlu": {"intent_accuracy": 0.7, "per_intent": worse}}
    )

    new = admin.get(url(tiny, "models/bbb2/")).json()
    active = admin.get(url(tiny, "models/aaa1/")).json()

    comparison = new["comparison_with_active"]
    assert comparison["old_model_id"] == "aaa1" and comparison["new_model_id"] == "bbb2"
    assert comparison["figures"]["nlu.intent_accuracy"] == {
        "old": 0.85,
        "new": 0.7,
        "change": -0.15,
        "worse": True,
    }
    assert comparison["intents_worse"] == [{"intent": "bye", "old_f1": 0.8, "new_f1": 0.5}]
    assert new["metrics"]["nlu"]["per_intent"]["bye"]["f1"] == 0.5
    assert active["active"] is True and active["comparison_with_active"] is None
    listed = admin.get(url(tiny, "models/")).json()["results"]
    assert [v["metrics"]["nlu"] for v in listed] == [
        {"intent_accuracy": 0.7},
        {"intent_accuracy": 0.85},
    ]
