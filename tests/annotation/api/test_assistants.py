"""Assistants and their members through the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework.test import APIClient

from annotation.models import Assistant, Intent, Membership, Role
from tests.annotation.api.conftest import api_url
from tests.factories import AssistantFactory, UserFactory, member


def test_given_memberships_when_listing_assistants_then_only_mine_are_listed_with_my_role(
    assistant: Assistant, people: dict[str, Any], client_for: Callable[..., APIClient]
) -> None:
    AssistantFactory(name="someone-elses")

    body = client_for(people["annotator"]).get("/api/v1/assistants/").json()

    assert body["count"] == 1
    assert body["results"][0]["name"] == "pizzabot"
    assert body["results"][0]["role"] == "annotator"


def test_given_a_superuser_when_listing_assistants_then_all_are_listed(
    assistant: Assistant, client_for: Callable[..., APIClient]
) -> None:
    AssistantFactory(name="someone-elses")
    root = UserFactory(username="root", is_superuser=True, is_staff=True)

    body = client_for(root).get("/api/v1/assistants/").json()

    assert [a["name"] for a in body["results"]] == ["pizzabot", "someone-elses"]
    assert {a["role"] for a in body["results"]} == {"admin"}


def test_given_a_user_when_creating_an_assistant_then_they_become_its_admin(
    db: Any, client_for: Callable[..., APIClient]
) -> None:
    user = UserFactory(username="creator")

    response = client_for(user).post(
        "/api/v1/assistants/", {"name": "newbot", "description": "d"}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["role"] == "admin"
    created = Assistant.objects.get(name="newbot")
    assert Membership.objects.get(assistant=created, user=user).role == Role.ADMIN


def test_given_a_taken_name_when_creating_then_400_names_the_field(
    assistant: Assistant, admin_client: APIClient
) -> None:
    response = admin_client.post("/api/v1/assistants/", {"name": "pizzabot"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "name" in response.json()["errors"]


def test_given_an_admin_when_updating_and_deleting_then_the_assistant_changes_and_goes(
    assistant: Assistant, admin_client: APIClient
) -> None:
    patched = admin_client.patch(api_url(assistant), {"name": "pastabot"}, format="json")
    got = admin_client.get(api_url(assistant))
    deleted = admin_client.delete(api_url(assistant))

    assert patched.json()["name"] == "pastabot"
    assert got.json()["role"] == "admin"
    assert deleted.status_code == 204
    assert not Assistant.objects.filter(pk=assistant.pk).exists()
    assert not Intent.objects.filter(assistant_id=assistant.pk).exists()


def test_given_an_admin_when_managing_members_then_invite_change_and_remove_work(
    assistant: Assistant, people: dict[str, Any], admin_client: APIClient
) -> None:
    url = api_url(assistant, "members")

    invited = admin_client.post(url, {"username": "otto", "role": "annotator"}, format="json")
    member_id = invited.json()["id"]
    changed = admin_client.patch(api_url(assistant, "members", member_id), {"role": "viewer"})
    listed = admin_client.get(url).json()
    removed = admin_client.delete(api_url(assistant, "members", member_id))

    assert invited.status_code == 201
    assert invited.json()["username"] == "otto"
    assert changed.json()["role"] == "viewer"
    assert [m["username"] for m in listed["results"]] == ["ada", "ann", "otto", "vic"]
    assert removed.status_code == 204
    assert not Membership.objects.filter(pk=member_id).exists()


def test_given_bad_invitations_when_inviting_then_errors_have_codes(
    assistant: Assistant, people: dict[str, Any], admin_client: APIClient
) -> None:
    url = api_url(assistant, "members")

    unknown = admin_client.post(url, {"username": "nobody", "role": "viewer"}, format="json")
    twice = admin_client.post(url, {"username": "vic", "role": "viewer"}, format="json")
    bad_role = admin_client.post(url, {"username": "otto", "role": "boss"}, format="json")

    assert (unknown.status_code, unknown.json()["code"]) == (400, "user_not_found")
    assert (twice.status_code, twice.json()["code"]) == (409, "already_member")
    assert bad_role.status_code == 400
    assert "role" in bad_role.json()["errors"]


def test_given_the_last_admin_when_demoting_or_removing_them_then_400(
    assistant: Assistant, people: dict[str, Any], admin_client: APIClient
) -> None:
    mine = Membership.objects.get(assistant=assistant, user=people["admin"])

    demoted = admin_client.patch(api_url(assistant, "members", mine.pk), {"role": "viewer"})
    removed = admin_client.delete(api_url(assistant, "members", mine.pk))

    assert (demoted.status_code, demoted.json()["code"]) == (400, "last_admin")
    assert (removed.status_code, removed.json()["code"]) == (400, "last_admin")


def test_given_two_admins_when_one_leaves_then_it_is_allowed(
    assistant: Assistant, people: dict[str, Any], admin_client: APIClient
) -> None:
    other = member(assistant, Role.ADMIN, username="second")
    theirs = Membership.objects.get(assistant=assistant, user=other)

    assert admin_client.delete(api_url(assistant, "members", theirs.pk)).status_code == 204


def test_given_a_member_of_another_assistant_when_addressing_its_member_then_404(
    assistant: Assistant, admin_client: APIClient
) -> None:
    other = AssistantFactory()
    stranger = Membership.objects.get(user=member(other, Role.ADMIN))

    response = admin_client.delete(api_url(assistant, "members", stranger.pk))

    assert response.status_code == 404
