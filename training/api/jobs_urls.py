"""URLs of training jobs, training settings and the model registry (``training.api.jobs``);
``training.api.urls`` adds them to the app's patterns."""

from __future__ import annotations

from django.urls import URLPattern, path

from training.api import jobs as views

ASSISTANT = "assistants/<int:assistant_pk>"
JOB = f"{ASSISTANT}/training/jobs/<int:pk>"
MODEL = f"{ASSISTANT}/models/<str:model_id>"

urlpatterns: list[URLPattern] = [
    path(f"{ASSISTANT}/training/jobs/", views.JobListView.as_view(), name="training-jobs"),
    path(f"{JOB}/", views.JobDetailView.as_view(), name="training-job"),
    path(f"{JOB}/cancel/", views.JobCancelView.as_view(), name="training-job-cancel"),
    path(
        f"{ASSISTANT}/training/finetune-check/",
        views.FinetuneCheckView.as_view(),
        name="training-finetune-check",
    ),
    path(f"{ASSISTANT}/training/settings/", views.SettingsView.as_view(), name="training-settings"),
    path(f"{ASSISTANT}/models/", views.ModelListView.as_view(), name="models"),
    path(f"{ASSISTANT}/models/disk/", views.ModelDiskView.as_view(), name="models-disk"),
    path(f"{ASSISTANT}/models/prune/", views.ModelPruneView.as_view(), name="models-prune"),
    path(f"{MODEL}/", views.ModelDetailView.as_view(), name="model"),
    path(f"{MODEL}/activate/", views.ModelActivateView.as_view(), name="model-activate"),
    path(f"{MODEL}/tags/", views.ModelTagsView.as_view(), name="model-tags"),
    path(f"{MODEL}/download/", views.ModelDownloadView.as_view(), name="model-download"),
]
