"""Reads of the NLU inbox."""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import Exists, Func, OuterRef, QuerySet, TextField

from annotation.models import Assistant, Example, InboxItem, InboxStatus, TextKey

InboxOrder = Literal["confidence", "-confidence", "time", "-time"]

_ORDERS: dict[str, tuple[str, ...]] = {
    "confidence": ("confidence", "id"),
    "-confidence": ("-confidence", "-id"),
    "time": ("latest_at", "id"),
    "-time": ("-latest_at", "-id"),
}


class _Plain(Func):
    """The value itself; on SQLite without its column affinity, as SQLite uses an expression
    index only when the other side of ``=`` has none (``|| ''`` drops it)."""

    template = "%(expressions)s"
    output_field = TextField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, template="(%(expressions)s || '')", **extra)


def inbox_list(
    *,
    assistant: Assistant,
    status: str = InboxStatus.OPEN,
    order: InboxOrder = "confidence",
    q: str | None = None,
    intent: str | None = None,
) -> QuerySet[InboxItem]:
    """The assistant's inbox items with ``status``, least certain first by default.

    Messages that became examples some other way (typed in, imported) are left out: an
    ``EXISTS`` on the examples' text index (``example_text_key``), which compares the first
    200 characters, lower-cased and stripped, with the item's ``text_key``."""
    examples = (
        Example.objects.filter(assistant=assistant)
        .annotate(text_key=TextKey("text"))
        .filter(text_key=_Plain(OuterRef("text_key")))
    )
    items = InboxItem.objects.filter(assistant=assistant, status=status).filter(~Exists(examples))
    if q:
        items = items.filter(text__icontains=q)
    if intent:
        items = items.filter(intent=intent)
    return items.order_by(*_ORDERS[order])
