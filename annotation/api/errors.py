"""API errors as JSON with a stable ``code`` and the details (file, line, field).

Every error body has ``code`` (stable, for programs) and ``message`` (for people), plus:

- ``problems`` (``[{severity, code, message, file, line, suggestion}]``) for a project that
  cannot be read or imported (``ProjectError``, ``ArchiveError``);
- ``errors`` for invalid input: DRF's validation details, keyed by field name
  (``{"spans": [{}, {"end": ["..."]}]}``; errors about no one field under ``non_field_errors``).

``AnnotationError`` from the services maps to 409 for a name that is taken
(``AssistantExistsError``), to the error's ``http_status`` when it has one, else to 400.
A database constraint that still fails (a concurrent write) is a 409 ``conflict``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from annotation.rasa_io.errors import ProjectError
from annotation.services.errors import AnnotationError, AssistantExistsError


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = _first_message(value)
            if inner:
                return inner if key == api_settings.NON_FIELD_ERRORS_KEY else f"{key}: {inner}"
        return ""
    if isinstance(detail, list):
        for value in detail:
            inner = _first_message(value)
            if inner:
                return inner
        return ""
    return str(detail)


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ProjectError):
        return Response(
            {
                "code": exc.code,
                "message": str(exc),
                "problems": [p.as_dict() for p in exc.problems],
            },
            status=400,
        )
    if isinstance(exc, AnnotationError):
        status = 409 if isinstance(exc, AssistantExistsError) else getattr(exc, "http_status", 400)
        details = getattr(exc, "details", None) or {}  # e.g. the names a story lacks
        return Response({"code": exc.code, "message": exc.message, **details}, status=status)
    if isinstance(exc, IntegrityError):
        return Response(
            {
                "code": "conflict",
                "message": "The change conflicts with the assistant's data; reload and retry.",
            },
            status=409,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        errors = detail if isinstance(detail, dict) else {api_settings.NON_FIELD_ERRORS_KEY: detail}
        response.data = {
            "code": "invalid",
            "message": _first_message(errors) or "The request is not valid.",
            "errors": errors,
        }
    else:
        response.data = {"code": _code(exc), "message": str(exc.detail)}
    return response
