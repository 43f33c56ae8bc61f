"""API errors as JSON with a stable ``code`` and the details (file, line, field)."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from annotation.rasa_io.errors import ProjectError


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
    return drf_exception_handler(exc, context)
