"""The assistant a ``/bots/<assistant>/`` URL names: by name, or by id when no name matches."""

from __future__ import annotations

from django.db.models import Q

from annotation.models import Assistant


def bot_assistant(key: str) -> Assistant | None:
    match = Q(name=key) | Q(pk=int(key)) if key.isdigit() else Q(name=key)
    found = sorted(Assistant.objects.filter(match), key=lambda a: a.name != key)
    return found[0] if found else None
