"""A whole assistant in and out as a Rasa project: import an archive, export a .zip, validate.

An upload is checked against ``settings.MAX_UPLOAD_BYTES`` before it is read (413), saved to
a temporary folder under a name that says what kind of archive it is, and handed to the import
service; nothing is stored unless the whole import succeeds."""

from __future__ import annotations

import re
import tarfile
import zipfile
from collections import Counter
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.api import serializers as s
from annotation.api.filters import ValidateParams, query_params
from annotation.api.permissions import AdminsOnly, IsAssistantMember
from annotation.api.views.base import AUTHENTICATION, AssistantScopedMixin
from annotation.rasa_io.errors import ArchiveError
from annotation.rasa_io.types import Problem
from annotation.selectors.project_export import assistant_export_zip
from annotation.selectors.validation import assistant_validate
from annotation.services import items as services

# room for the multipart envelope and the other form fields around the file
_FORM_OVERHEAD = 64 * 1024


class UploadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "upload_too_large"
    default_detail = "The upload is too large."


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _too_large(size: int) -> UploadTooLarge:
    limit = settings.MAX_UPLOAD_BYTES
    return UploadTooLarge(
        f"The upload is {_megabytes(size)}; at most {_megabytes(limit)} may be uploaded "
        "(PARLEY_MAX_UPLOAD_MB)."
    )


def refuse_large_request(request: Request) -> None:
    """413 before the body is read when the request announces more than an upload may be."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.MAX_UPLOAD_BYTES + _FORM_OVERHEAD:
        raise _too_large(length)


def _archive_suffix(upload: UploadedFile) -> str:
    """The archive's kind from its content (the name may lie): ``.zip`` or ``.tar.gz``."""
    upload.seek(0)
    if zipfile.is_zipfile(upload):
        return ".zip"
    upload.seek(0)
    try:
        with tarfile.open(fileobj=upload, mode="r:*"):
            return ".tar.gz"
    except (tarfile.TarError, EOFError, OSError):
        pass
    finally:
        upload.seek(0)
    raise ArchiveError(
        Problem(
            severity="error",
            code="unsupported_archive",
            message="The upload is not a .zip or .tar.gz archive of a Rasa project.",
            file=upload.name or "",
            suggestion="Zip the project folder (with config.yml and domain.yml) and upload that.",
        )
    )


def save_upload(upload: UploadedFile, folder: Path) -> Path:
    """Write the upload into ``folder`` under a safe name with the right archive suffix."""
    if (upload.size or 0) > settings.MAX_UPLOAD_BYTES:
        raise _too_large(upload.size or 0)
    suffix = _archive_suffix(upload)
    target = folder / f"upload{suffix}"
    with target.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return target


def _name_from_upload(upload: UploadedFile) -> str:
    stem = re.sub(r"(\.tar\.gz|\.tgz|\.zip|\.tar)$", "", Path(upload.name or "").name, flags=re.I)
    return stem.strip() or "assistant"


_IMPORT_ERRORS = {
    400: OpenApiResponse(s.ErrorSerializer, description="The project has problems."),
    409: OpenApiResponse(s.ErrorSerializer, description="An assistant of that name exists."),
    413: OpenApiResponse(s.ErrorSerializer, description="The upload is too large."),
}


class AssistantImportView(APIView):
    """Import a Rasa project archive as a new assistant (or replace one you administer)."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=["assistants"],
        operation_id="assistants_import",
        request={"multipart/form-data": s.ImportSerializer},
        responses={201: s.AssistantSerializer, **_IMPORT_ERRORS},
    )
    def post(self, request: Request) -> Response:
        refuse_large_request(request)
        payload = s.ImportSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload: UploadedFile = payload.validated_data["file"]
        name = payload.validated_data.get("name") or _name_from_upload(upload)
        with TemporaryDirectory(prefix="parley-upload-") as tmp:
            path = save_upload(upload, Path(tmp))
            assistant = services.assistant_import_for_user(
                user=request.user,
                name=name,
                path=path,
                replace=payload.validated_data["replace"],
            )
        assistant.user_role = "admin"  # type: ignore[attr-defined]
        data = s.AssistantSerializer(assistant, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


class AssistantReimportView(AssistantScopedMixin, APIView):
    """Replace this assistant's data with a Rasa project archive (admins only)."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated, AdminsOnly]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=["assistants"],
        operation_id="assistants_reimport",
        request={"multipart/form-data": s.ReimportSerializer},
        responses={200: s.AssistantSerializer, **_IMPORT_ERRORS},
    )
    def post(self, request: Request, assistant_pk: int) -> Response:
        refuse_large_request(request)
        payload = s.ReimportSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with TemporaryDirectory(prefix="parley-upload-") as tmp:
            path = save_upload(payload.validated_data["file"], Path(tmp))
            assistant = services.assistant_reimport(assistant=self.assistant, path=path)
        assistant.user_role = "admin"  # type: ignore[attr-defined]
        return Response(s.AssistantSerializer(assistant, context={"request": request}).data)


class AssistantExportView(AssistantScopedMixin, APIView):
    """Download the assistant as a Rasa 3.1 project in a .zip."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated, IsAssistantMember]

    @extend_schema(
        tags=["assistants"],
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, assistant_pk: int) -> HttpResponse:
        assistant = self.assistant
        content = assistant_export_zip(assistant=assistant)
        filename = re.sub(r"[^A-Za-z0-9._-]+", "-", assistant.name).strip("-") or "assistant"
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{filename}.zip"'
        return response


class AssistantValidateView(AssistantScopedMixin, APIView):
    """Check the assistant's data the way ``rasa data validate`` would; problems point at the
    file and line of the exported project."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated, IsAssistantMember]

    @extend_schema(
        tags=["assistants"],
        parameters=[ValidateParams],
        responses={200: s.ValidationReportSerializer},
    )
    def get(self, request: Request, assistant_pk: int) -> Response:
        params: dict[str, Any] = query_params(request, ValidateParams)
        problems = assistant_validate(
            assistant=self.assistant, max_history=params.get("max_history")
        )
        counts = Counter(problem.severity for problem in problems)
        report = {
            "problems": [problem.as_dict() for problem in problems],
            "counts": {"error": counts.get("error", 0), "warning": counts.get("warning", 0)},
            "valid": counts.get("error", 0) == 0,
        }
        return Response(report)
