"""The assistant a ``/bots/<assistant>/`` URL names: by name, or by id when no name matches."""

from __future__ import annotations

from django.db import connection

from annotation.models import Asset, Assistant
from annotation.plain_rows import fetch_instances, model_columns
from training.serving import ENDPOINTS_YML


def bot_assistant(key: str) -> Assistant | None:
    # one plain statement: every message of the REST channel looks its assistant up, with its
    # endpoints.yml (``training.serving.ENDPOINTS_YML``: a custom action needs the URL)
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
