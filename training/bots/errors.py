"""Errors in Rasa's shape: ``{version, status: "failure", message, reason, details, code}``."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

from training.runtime.action_server import RASA_SDK_VERSION
from training.serving import ServingError


def rasa_error_body(status: int, reason: str, message: str, details: Any = None) -> dict[str, Any]:
    return {
        "version": RASA_SDK_VERSION,
        "status": "failure",
        "message": message,
        "reason": reason,
        "details": details or {},
        "help": None,
        "code": status,
    }


def rasa_error(status: int, reason: str, message: str, details: Any = None) -> Response:
    return Response(rasa_error_body(status, reason, message, details), status=status)


def _reason(exc: exceptions.APIException) -> str:
    return type(exc).__name__


def rasa_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ServingError):
        return rasa_error(exc.http_status, exc.code, exc.message)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if not isinstance(exc, exceptions.APIException):
        return None
    status = exc.status_code
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        status = 401
    details = exc.detail if isinstance(exc, exceptions.ValidationError) else None
    message = str(exc.detail) if not isinstance(exc.detail, dict | list) else "Invalid request."
    response = rasa_error(status, _reason(exc), message, details)
    if status == 401:
        response["WWW-Authenticate"] = 'Token realm="api"'
    return response
