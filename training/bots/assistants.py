"""The assistant a ``/bots/<assistant>/`` URL names: by name, or by id when no name matches."""

from __future__ import annotations

from django.db import connection

from annotation.models import Asset, Assistant
from annotation.plain_rows import fetch_instances, model_columns

# The instance ``bot_assistant`` returns carries its ``endpoints.yml`` (bytes, or None without
# one) under this attribute, as a queryset's ``annotate`` would: a turn that runs a custom action
# needs the action server's URL, and on PostgreSQL a statement of its own was a round trip more.
ENDPOINTS_YML = "parley_endpoints_yml"


def bot_assistant(key: str) -> Assistant | None:
    # one plain statement: every message of the REST channel looks its assistant up
    quote = connection.ops.quote_name
    table = quote(Assistant._meta.db_table)
    if key.isdigit():
        where, params = f"{quote('name')} = %s OR {quote('id')} = %s", [key, int(key)]
    else:
        where, params = f"{quote('name')} = %s", [key]
    endpoints = (
        f"(SELECT s.{quote('content')} FROM {quote(Asset._meta.db_table)} s"
        f" WHERE s.{quote('assistant_id')} = {table}.{quote('id')}"
        f" AND s.{quote('path')} = 'endpoints.yml')"
    )
    rows = fetch_instances(
        Assistant,
        f"SELECT {model_columns(Assistant, table)}, {endpoints} FROM {table} WHERE {where}",
        params,
    )
    for assistant, (content,) in rows:
        setattr(assistant, ENDPOINTS_YML, None if content is None else bytes(content))
    found = sorted((assistant for assistant, _ in rows), key=lambda a: a.name != key)
    return found[0] if found else None  # the name first
