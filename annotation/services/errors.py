"""Errors the annotation services raise: a stable ``code`` and a message a user can act on."""

from __future__ import annotations


class AnnotationError(Exception):
    """Base of the annotation services' errors."""

    code = "annotation_error"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class AssistantExistsError(AnnotationError):
    """An import named an assistant that exists, without asking to replace it."""

    code = "assistant_exists"

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"An assistant named {name!r} exists; pass replace to overwrite it")


class AssistantNameError(AnnotationError):
    """An assistant name that cannot be stored (empty or too long)."""

    code = "invalid_assistant_name"
