from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from annotation.selectors import assistant_list_for_user


@login_required
def assistant_list(request: HttpRequest) -> HttpResponse:
    assistants = assistant_list_for_user(user=request.user)
    return render(request, "frontend/assistant_list.html", {"assistants": assistants})
