"""Who may see and change an assistant's pages: the same roles as the API.

A page under ``/assistants/<assistant_id>/`` needs a signed-in member; anybody else is told the
assistant does not exist (404), as the API does. Templates get the role and what it allows, so
that a viewer sees no edit controls (the API refuses their writes anyway).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from annotation.models import Assistant, Role
from annotation.selectors.items import assistant_access


@dataclass(frozen=True)
class PageAccess:
    """The assistant of a page and what the signed-in user may do on it."""

    assistant: Assistant
    role: Role

    @property
    def can_annotate(self) -> bool:
        """Write NLU data, stories and rules, conversation reviews, the inbox."""
        return self.role in (Role.ADMIN, Role.ANNOTATOR)

    @property
    def is_admin(self) -> bool:
        """Write the domain, the config and the members."""
        return self.role == Role.ADMIN

    def context(self, section: str) -> dict[str, Any]:
        return {
            "assistant": self.assistant,
            "role": self.role.value,
            "can_annotate": self.can_annotate,
            "is_admin": self.is_admin,
            "section": section,
            # what the page's script needs (read from a json_script element)
            "page_data": {
                "assistantId": self.assistant.pk,
                "assistantName": self.assistant.name,
                "role": self.role.value,
                "canAnnotate": self.can_annotate,
                "isAdmin": self.is_admin,
                "api": f"/api/v1/assistants/{self.assistant.pk}/",
                "base": f"/assistants/{self.assistant.pk}/",
            },
        }


PageView = Callable[..., HttpResponse]


def assistant_page(*, admin_only: bool = False) -> Callable[[PageView], PageView]:
    """Decorate a view taking ``(request, access, **kwargs)`` for ``<assistant_id>`` URLs."""

    def decorate(view: PageView) -> PageView:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, assistant_id: int, **kwargs: Any) -> HttpResponse:
            found = assistant_access(user=request.user, assistant_id=assistant_id)
            if found is None or found.role is None:
                raise Http404("No such assistant.")
            access = PageAccess(assistant=found.assistant, role=found.role)
            if admin_only and not access.is_admin:
                raise PermissionDenied("Only the assistant's admins may do this.")
            return view(request, access, **kwargs)

        return wrapper

    return decorate
