"""Reads of an assistant's data. Views, serializers and commands call these."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from annotation.models import Assistant


def assistant_list_for_user(*, user: Any) -> QuerySet[Assistant]:
    """Assistants the user may see: all of them for a superuser, else those with a membership."""
    assistants = Assistant.objects.order_by("name")
    if getattr(user, "is_superuser", False):
        return assistants
    return assistants.filter(memberships__user=user).distinct()
