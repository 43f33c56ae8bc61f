"""The assistant's Training page: train or fine-tune, live progress, jobs, the model registry.

A shell like the studio's other pages; ``static/frontend/js/training.js`` fills it through the
training API and follows progress over ``ws/assistants/<id>/training/``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from frontend.access import PageAccess, assistant_page


@assistant_page()
def training(request: HttpRequest, access: PageAccess) -> HttpResponse:
    context = access.context("training")
    context["page_data"] = {
        **context["page_data"],
        "socket": f"/ws/assistants/{access.assistant.pk}/training/",
    }
    return render(request, "frontend/training.html", context)
