"""``/api/v1/assistants/<id>/training/`` and ``/models/``: training jobs, the fine-tune check,
training settings, and the model registry.

Members read; annotators and admins start and cancel trainings; admins activate, tag, upload,
delete and prune models and change the training settings. Errors are JSON with a stable
``code``; a refused fine-tune answers 409 with every difference the checker found.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.api.pagination import PageNumberPagination
from annotation.api.permissions import AdminsWrite, AnnotatorsWrite
from annotation.api.views.base import AUTHENTICATION, AssistantScopedMixin
from training import jobs, registry
from training.evaluation import model_comparison
from training.models import JobKind, ModelVersion, TrainingJob, TrainingSettings

TAG = "training"
BULKY_NLU_KEYS = frozenset({"per_intent", "confusion"})


# --------------------------------------------------------------------------- serializers


class JobSerializer(serializers.ModelSerializer[TrainingJob]):
    started_by = serializers.CharField(source="started_by.username", default=None)
    model_id = serializers.CharField(source="model_version.model_id", default=None)

    class Meta:
        model = TrainingJob
        fields = [
            "id",
            "kind",
            "state",
            "progress",
            "epoch_fraction",
            "started_by",
            "created_at",
            "started_at",
            "finished_at",
            "heartbeat_at",
            "cancel_requested",
            "error",
            "human_readable_error",
            "details",
            "model_id",
            "activated",
        ]
        read_only_fields = fields


class JobDetailSerializer(JobSerializer):
    class Meta(JobSerializer.Meta):
        fields = [*JobSerializer.Meta.fields, "log"]
        read_only_fields = fields


class JobStartSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=JobKind.choices)
    epoch_fraction = serializers.FloatField(
        required=False, allow_null=True, min_value=0.01, max_value=1.0, default=None
    )


class ModelVersionSerializer(serializers.ModelSerializer[ModelVersion]):
    parent_model_id = serializers.CharField(read_only=True)
    started_by = serializers.CharField(source="started_by.username", default=None)
    active = serializers.SerializerMethodField()

    class Meta:
        model = ModelVersion
        fields = [
            "model_id",
            "parent_model_id",
            "kind",
            "data_fingerprint",
            "config_fingerprint",
            "metrics",
            "size_bytes",
            "created_at",
            "started_by",
            "tags",
            "archive_name",
            "fine_tune_count",
            "origin",
            "active",
        ]
        read_only_fields = fields

    def get_active(self, version: ModelVersion) -> bool:
        return bool(version.model_id == self.context.get("active_model_id"))

    def to_representation(self, instance: ModelVersion) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        nlu = (data.get("metrics") or {}).get("nlu")
        if self.context.get("brief") and isinstance(nlu, dict):
            # per intent figures grow with the intents: lists show the headline, details all
            brief = {key: value for key, value in nlu.items() if key not in BULKY_NLU_KEYS}
            data["metrics"] = {**data["metrics"], "nlu": brief}
        return data


class ModelDetailSerializer(ModelVersionSerializer):
    comparison_with_active = serializers.SerializerMethodField()

    class Meta(ModelVersionSerializer.Meta):
        fields = [*ModelVersionSerializer.Meta.fields, "comparison_with_active"]
        read_only_fields = fields

    def get_comparison_with_active(self, version: ModelVersion) -> dict[str, Any] | None:
        """This model's figures against the active model's; none for the active model itself."""
        active: ModelVersion | None = self.context.get("active_version")
        if active is None or active.model_id == version.model_id:
            return None
        return model_comparison(new=version, old=active)


class ModelTagsSerializer(serializers.Serializer[Any]):
    tags = serializers.ListField(
        child=serializers.CharField(max_length=registry.MAX_TAG_LENGTH, allow_blank=True),
        max_length=registry.MAX_TAGS,
    )


class UploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField()


class SettingsSerializer(serializers.ModelSerializer[TrainingSettings]):
    epoch_fraction = serializers.FloatField(min_value=0.01, max_value=1.0, required=False)
    nlu_holdout_percent = serializers.IntegerField(min_value=0, max_value=50, required=False)

    class Meta:
        model = TrainingSettings
        fields = [
            "epoch_fraction",
            "finetune_limit",
            "keep_models",
            "activate_only_if_not_worse",
            "schedule",
            "nlu_holdout_percent",
        ]


def _error(error: jobs.JobError | registry.RegistryError, **extra: Any) -> Response:
    return Response({"code": error.code, "message": str(error), **extra}, status=error.http_status)


def _refusal(refused: jobs.FinetuneNotPossible) -> Response:
    verdict = refused.verdict.as_dict()
    return _error(
        refused,
        differences=verdict["differences"],
        allowed_changes=verdict["allowed_changes"],
        summary=verdict["summary"],
    )


# ----------------------------------------------------------------------------------- views


class _TrainingView(AssistantScopedMixin, APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated, AnnotatorsWrite]

    def job(self, pk: int) -> TrainingJob:
        try:
            return jobs.training_job_get(assistant=self.assistant, job_id=pk)
        except TrainingJob.DoesNotExist as missing:
            raise Http404("No such job.") from missing


class _ModelsView(AssistantScopedMixin, APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated, AdminsWrite]

    def version(self, model_id: str) -> ModelVersion:
        version = (
            registry.model_version_list(assistant=self.assistant).filter(model_id=model_id).first()
        )
        if version is None:
            raise Http404("No such model.")
        return version

    def serialize(self, value: Any, *, many: bool = False, brief: bool = False) -> Any:
        context = {
            "active_model_id": registry.active_model_id(assistant=self.assistant),
            "brief": brief,
        }
        return ModelVersionSerializer(value, many=many, context=context).data


class JobListView(_TrainingView):
    @extend_schema(tags=[TAG], responses=JobSerializer(many=True))
    def get(self, request: Request, assistant_pk: int) -> Response:
        paginator = PageNumberPagination()
        page: list[TrainingJob] | None = paginator.paginate_queryset(
            jobs.training_job_list(assistant=self.assistant), request, view=self
        )
        return paginator.get_paginated_response(JobSerializer(page, many=True).data)

    @extend_schema(tags=[TAG], request=JobStartSerializer, responses={201: JobSerializer})
    def post(self, request: Request, assistant_pk: int) -> Response:
        body = JobStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            job = jobs.training_job_start(
                assistant=self.assistant,
                kind=body.validated_data["kind"],
                user=request.user,
                epoch_fraction=body.validated_data["epoch_fraction"],
            )
        except jobs.FinetuneNotPossible as refused:
            return _refusal(refused)
        except jobs.JobError as error:
            return _error(error)
        return Response(JobSerializer(job).data, status=201)


class JobDetailView(_TrainingView):
    @extend_schema(tags=[TAG], responses=JobDetailSerializer)
    def get(self, request: Request, assistant_pk: int, pk: int) -> Response:
        return Response(JobDetailSerializer(self.job(pk)).data)


class JobCancelView(_TrainingView):
    @extend_schema(tags=[TAG], request=None, responses=JobSerializer)
    def post(self, request: Request, assistant_pk: int, pk: int) -> Response:
        try:
            job = jobs.training_job_cancel(job=self.job(pk))
        except jobs.JobError as error:
            return _error(error)
        return Response(JobSerializer(job).data)


class FinetuneCheckView(_TrainingView):
    @extend_schema(tags=[TAG], responses=dict)
    def get(self, request: Request, assistant_pk: int) -> Response:
        assistant = self.assistant
        verdict = jobs.training_finetune_check(assistant=assistant).as_dict()
        since = jobs.finetunes_since_full(assistant=assistant)
        limit = registry.training_settings_get(assistant=assistant).finetune_limit
        return Response(
            {
                "possible": verdict["allowed"],
                "summary": verdict["summary"],
                "differences": verdict["differences"],
                "allowed_changes": verdict["allowed_changes"],
                "finetunes_since_full": since,
                "finetune_limit": limit,
                "recommend_full": since >= limit,
            }
        )


class SettingsView(AssistantScopedMixin, APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated, AdminsWrite]

    @extend_schema(tags=[TAG], responses=SettingsSerializer)
    def get(self, request: Request, assistant_pk: int) -> Response:
        found = registry.training_settings_get(assistant=self.assistant)
        return Response(SettingsSerializer(found).data)

    @extend_schema(tags=[TAG], request=SettingsSerializer, responses=SettingsSerializer)
    def patch(self, request: Request, assistant_pk: int) -> Response:
        found = registry.training_settings_get(assistant=self.assistant)
        body = SettingsSerializer(found, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        body.save()
        return Response(body.data)


class ModelListView(_ModelsView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(tags=[TAG], responses=ModelVersionSerializer(many=True))
    def get(self, request: Request, assistant_pk: int) -> Response:
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            registry.model_version_list(assistant=self.assistant), request, view=self
        )
        return paginator.get_paginated_response(self.serialize(page, many=True, brief=True))

    @extend_schema(tags=[TAG], request=UploadSerializer, responses={201: ModelVersionSerializer})
    def post(self, request: Request, assistant_pk: int) -> Response:
        body = UploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            version = registry.model_version_upload(
                assistant=self.assistant, file=body.validated_data["file"], user=request.user
            )
        except registry.RegistryError as error:
            return _error(error)
        return Response(self.serialize(version), status=201)


class ModelDetailView(_ModelsView):
    @extend_schema(tags=[TAG], responses=ModelDetailSerializer)
    def get(self, request: Request, assistant_pk: int, model_id: str) -> Response:
        version = self.version(model_id)
        active_id = registry.active_model_id(assistant=self.assistant)
        active = (
            ModelVersion.objects.filter(assistant=self.assistant, model_id=active_id).first()
            if active_id
            else None
        )
        context = {"active_model_id": active_id, "active_version": active}
        return Response(ModelDetailSerializer(version, context=context).data)

    @extend_schema(tags=[TAG], responses={204: None})
    def delete(self, request: Request, assistant_pk: int, model_id: str) -> Response:
        try:
            registry.model_version_delete(version=self.version(model_id))
        except registry.RegistryError as error:
            return _error(error)
        return Response(status=204)


class ModelActivateView(_ModelsView):
    @extend_schema(tags=[TAG], request=None, responses=ModelVersionSerializer)
    def post(self, request: Request, assistant_pk: int, model_id: str) -> Response:
        try:
            version = registry.model_version_activate(version=self.version(model_id))
        except registry.RegistryError as error:
            return _error(error)
        return Response(self.serialize(version))


class ModelTagsView(_ModelsView):
    @extend_schema(tags=[TAG], request=ModelTagsSerializer, responses=ModelVersionSerializer)
    def put(self, request: Request, assistant_pk: int, model_id: str) -> Response:
        body = ModelTagsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            version = registry.model_version_tag(
                version=self.version(model_id), tags=body.validated_data["tags"]
            )
        except registry.RegistryError as error:
            return _error(error)
        return Response(self.serialize(version))


class ModelDownloadView(_ModelsView):
    @extend_schema(tags=[TAG], responses={(200, "application/gzip"): bytes})
    def get(self, request: Request, assistant_pk: int, model_id: str) -> FileResponse:
        version = self.version(model_id)
        path = registry.archive_path(version)
        if not path.is_file():
            raise Http404("The model's archive is missing.")
        return FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=version.archive_name,
            content_type="application/gzip",
        )


class ModelDiskView(_ModelsView):
    @extend_schema(tags=[TAG], responses=dict)
    def get(self, request: Request, assistant_pk: int) -> Response:
        return Response(registry.models_disk_use(assistant=self.assistant).as_dict())


class ModelPruneView(_ModelsView):
    @extend_schema(tags=[TAG], request=None, responses=dict)
    def post(self, request: Request, assistant_pk: int) -> Response:
        deleted = registry.models_prune(assistant=self.assistant)
        return Response({"deleted": deleted})
