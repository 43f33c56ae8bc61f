"""Roles per assistant as small DRF permission classes that compose with ``&``, ``|`` and ``~``.

The assistant comes from the URL (``view.assistant_lookup_kwarg``, ``assistant_pk`` by default).
:class:`IsAssistantMember` answers 404 to anybody who is not a member, so that the assistant's
existence does not leak; the role classes then say who may write:

- viewers read everything;
- annotators also write NLU data (intents, examples and spans, synonyms, regexes, lookups) and
  stories and rules;
- admins write everything: the domain, the config, members, imports, deletion.

A superuser acts as admin of every assistant.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from annotation.models import Role
from annotation.selectors.items import AssistantAccess, assistant_access

_CACHE_ATTR = "_parley_assistant_access"


def request_assistant_access(request: Request, view: Any) -> AssistantAccess | None:
    """The assistant named in the URL with the user's role on it, looked up once per request."""
    kwarg = getattr(view, "assistant_lookup_kwarg", "assistant_pk")
    assistant_id = getattr(view, "kwargs", {}).get(kwarg)
    if assistant_id is None:
        return None
    cache: dict[str, AssistantAccess | None] | None = getattr(request, _CACHE_ATTR, None)
    if cache is None:
        cache = {}
        setattr(request, _CACHE_ATTR, cache)
    key = str(assistant_id)
    if key not in cache:
        cache[key] = assistant_access(user=request.user, assistant_id=assistant_id)
    return cache[key]


class IsAssistantMember(BasePermission):
    """The user has a role on the assistant; anybody else is told it does not exist (404)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        access = request_assistant_access(request, view)
        if access is None or access.role is None:
            raise NotFound("No such assistant.")
        return True


class _HasRole(BasePermission):
    role: Role

    def has_permission(self, request: Request, view: Any) -> bool:
        access = request_assistant_access(request, view)
        return access is not None and access.role == self.role


class IsAssistantAdmin(_HasRole):
    message = "Only the assistant's admins may do this."
    role = Role.ADMIN


class IsAssistantAnnotator(_HasRole):
    message = "Only the assistant's annotators and admins may do this."
    role = Role.ANNOTATOR


class IsAssistantViewer(_HasRole):
    role = Role.VIEWER


class IsReadOnly(BasePermission):
    """A request that changes nothing (GET, HEAD, OPTIONS)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS


# Members read; annotators and admins write (NLU data, stories and rules).
AnnotatorsWrite = IsAssistantMember & (IsReadOnly | IsAssistantAnnotator | IsAssistantAdmin)
# Members read; only admins write (domain, config, members, the assistant itself).
AdminsWrite = IsAssistantMember & (IsReadOnly | IsAssistantAdmin)
# Admins only, reads included (imports that replace data).
AdminsOnly = IsAssistantMember & IsAssistantAdmin
