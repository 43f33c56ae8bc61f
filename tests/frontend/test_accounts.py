"""Members page (admins add people by username or e-mail and set roles) and the API token page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from annotation.models import Assistant, Membership, Role

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def members_url(assistant: Assistant) -> str:
    return f"/assistants/{assistant.pk}/members/"


@pytest.mark.parametrize("role", ["annotator", "viewer"])
def test_given_a_non_admin_when_opening_members_then_403(
    assistant: Assistant, people: dict[str, Any], role: str
) -> None:
    assert signed_in(people[role]).get(members_url(assistant)).status_code == 403


def test_given_an_admin_when_opening_members_then_every_member_is_listed_with_a_role(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    response = signed_in(people["admin"]).get(members_url(assistant))

    assert response.status_code == 200
    html = response.content.decode()
    for username in ("ada", "ann", "vic"):
        assert f"<strong>{username}</strong>" in html
    assert "<strong>otto</strong>" not in html


def test_given_an_admin_when_adding_a_user_by_email_then_they_become_a_member(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    response = signed_in(people["admin"]).post(
        members_url(assistant), {"action": "add", "login": "OTTO@example.org", "role": "annotator"}
    )

    assert response.status_code == 302
    membership = Membership.objects.get(assistant=assistant, user=people["outsider"])
    assert membership.role == Role.ANNOTATOR


def test_given_an_admin_when_adding_a_user_by_username_then_they_become_a_viewer_by_default(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    signed_in(people["admin"]).post(members_url(assistant), {"action": "add", "login": "otto"})

    assert Membership.objects.get(assistant=assistant, user=people["outsider"]).role == Role.VIEWER


def test_given_an_unknown_user_when_adding_then_the_error_shows_and_the_input_is_kept(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    response = signed_in(people["admin"]).post(
        members_url(assistant), {"action": "add", "login": "nobody-here", "role": "admin"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error"' in html
    assert 'value="nobody-here"' in html
    assert Membership.objects.filter(assistant=assistant).count() == 3


def test_given_a_new_email_when_inviting_then_an_account_and_a_set_password_link(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    admin = signed_in(people["admin"])

    response = admin.post(
        members_url(assistant),
        {"action": "add", "login": "new.person@example.org", "role": "annotator"},
        follow=True,
    )

    membership = Membership.objects.get(assistant=assistant, user__email="new.person@example.org")
    assert membership.role == Role.ANNOTATOR
    assert not membership.user.has_usable_password()
    html = response.content.decode()
    link = re.search(r"(http://testserver/accounts/reset/[^\s<\"]+)", html)
    assert link is not None, html
    # the invited person follows the link and chooses a password, then signs in
    invited = Client()
    form = invited.get(link[1], follow=True)
    assert form.status_code == 200
    done = invited.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-Long-pass-phrase-9", "new_password2": "a-Long-pass-phrase-9"},
    )
    assert done.status_code == 302
    assert Client().login(username="new.person@example.org", password="a-Long-pass-phrase-9")


def test_given_an_admin_when_changing_a_role_then_it_is_stored(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    membership = Membership.objects.get(assistant=assistant, user=people["viewer"])

    signed_in(people["admin"]).post(
        members_url(assistant), {"action": "role", "membership": membership.pk, "role": "admin"}
    )

    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


def test_given_the_last_admin_when_demoting_themselves_then_it_is_refused(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    membership = Membership.objects.get(assistant=assistant, user=people["admin"])

    response = signed_in(people["admin"]).post(
        members_url(assistant), {"action": "role", "membership": membership.pk, "role": "viewer"}
    )

    assert response.status_code == 400
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


def test_given_an_admin_when_removing_a_member_then_the_membership_is_gone(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    membership = Membership.objects.get(assistant=assistant, user=people["viewer"])

    signed_in(people["admin"]).post(
        members_url(assistant), {"action": "remove", "membership": membership.pk}
    )

    assert not Membership.objects.filter(pk=membership.pk).exists()


# ----------------------------------------------------------------------------------- token


def test_given_nobody_signed_in_when_opening_the_token_page_then_sign_in_first(
    client: Client,
) -> None:
    response = client.get("/account/token/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_given_a_user_with_a_token_when_opening_the_page_then_it_shows(
    people: dict[str, Any],
) -> None:
    token = Token.objects.create(user=people["viewer"])

    html = signed_in(people["viewer"]).get("/account/token/").content.decode()

    assert token.key in html


def test_given_a_token_when_regenerating_then_the_old_one_stops_working(
    people: dict[str, Any],
) -> None:
    old = Token.objects.create(user=people["viewer"]).key
    client = signed_in(people["viewer"])

    client.post("/account/token/", {"action": "regenerate"})

    new = Token.objects.get(user=people["viewer"]).key
    assert new != old
    assert new in client.get("/account/token/").content.decode()
    api = Client()
    assert api.get("/api/v1/assistants/", HTTP_AUTHORIZATION=f"Token {old}").status_code == 401
    assert api.get("/api/v1/assistants/", HTTP_AUTHORIZATION=f"Token {new}").status_code == 200


def test_given_a_token_when_revoking_then_the_user_has_none(people: dict[str, Any]) -> None:
    Token.objects.create(user=people["viewer"])

    signed_in(people["viewer"]).post("/account/token/", {"action": "revoke"})

    assert not Token.objects.filter(user=people["viewer"]).exists()
