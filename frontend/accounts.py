"""Members of an assistant (admins add people and set roles) and the user's API token.

Plain forms posted back to these views, which call the annotation services; no script needed.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.authtoken.models import Token

from annotation.models import Membership, Role
from annotation.selectors.items import membership_list
from annotation.services import items as services
from annotation.services.errors import AnnotationError
from frontend.access import PageAccess, assistant_page


def _set_password_link(request: HttpRequest, user: Any) -> str:
    """Django's password-reset confirmation link: valid until the password is set."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return request.build_absolute_uri(path)


def _member_action(request: HttpRequest, access: PageAccess) -> str | None:
    """Carry out the posted change; the error message to show, if it failed."""
    action = request.POST.get("action")
    role = request.POST.get("role", "")
    if role and role not in Role.values:
        return f"{role!r} is not a role."
    try:
        if action == "add":
            login = request.POST.get("login", "").strip()
            if not login:
                return "Type a username or an e-mail address."
            if "@" in login:
                membership = services.membership_invite(
                    assistant=access.assistant, email=login, role=role or Role.VIEWER
                )
                user = membership.user
                if not user.has_usable_password():
                    messages.success(
                        request,
                        f"Invited {login} as {membership.role}. Send them this link to choose "
                        f"a password: {_set_password_link(request, user)}",
                    )
                    return None
            else:
                services.membership_create(
                    assistant=access.assistant, username=login, role=role or Role.VIEWER
                )
            messages.success(request, f"Added {login} as {role or Role.VIEWER}.")
            return None
        membership = get_object_or_404(
            Membership, assistant=access.assistant, pk=request.POST.get("membership") or 0
        )
        if action == "role":
            services.membership_update(membership=membership, role=role)
            messages.success(request, f"{membership.user.get_username()} is now {role}.")
        elif action == "remove":
            services.membership_delete(membership=membership)
            messages.success(request, f"Removed {membership.user.get_username()}.")
        else:
            return "Unknown action."
    except AnnotationError as exc:
        return exc.message
    return None


@assistant_page(admin_only=True)
def members(request: HttpRequest, access: PageAccess) -> HttpResponse:
    error = None
    if request.method == "POST":
        error = _member_action(request, access)
        if error is None:
            return redirect("frontend:members", assistant_id=access.assistant.pk)
    context: dict[str, Any] = {
        **access.context("members"),
        "members": membership_list(assistant=access.assistant),
        "roles": Role.choices,
        "error": error,
        "form": request.POST if error else {},
    }
    return render(request, "frontend/members.html", context, status=400 if error else 200)


@login_required
def api_token(request: HttpRequest) -> HttpResponse:
    user = cast(Any, request.user)
    if request.method == "POST":
        had_one, _ = Token.objects.filter(user=user).delete()
        if request.POST.get("action") != "revoke":
            Token.objects.create(user=user)
            messages.success(
                request,
                "A new token was made; the old one no longer works."
                if had_one
                else "Your token is ready.",
            )
        else:
            messages.success(request, "Your token was revoked.")
        return redirect("frontend:api-token")
    token = Token.objects.filter(user=user).first()
    return render(request, "frontend/api_token.html", {"token": token})
