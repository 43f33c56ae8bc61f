"""Token and session authentication."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from annotation.models import Assistant


def test_given_a_username_and_password_when_asking_for_a_token_then_it_works_as_header(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    client = APIClient()

    response = client.post(
        "/api/v1/auth/token/", {"username": "vic", "password": "secret-pass"}, format="json"
    )
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listed = client.get("/api/v1/assistants/")

    assert response.status_code == 200
    assert listed.status_code == 200
    assert [a["name"] for a in listed.json()["results"]] == ["pizzabot"]


def test_given_a_wrong_password_when_asking_for_a_token_then_400(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "vic", "password": "nope"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_given_a_bad_token_when_calling_then_401_with_a_challenge(assistant: Assistant) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    response = client.get("/api/v1/assistants/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_given_a_token_when_revoking_it_then_it_stops_working(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/", {"username": "vic", "password": "secret-pass"}, format="json"
    ).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert client.get("/api/v1/assistants/").status_code == 401


def test_given_a_session_login_when_calling_then_it_is_authenticated(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    client = APIClient()
    assert client.login(username="ann", password="secret-pass")

    assert client.get(f"/api/v1/assistants/{assistant.pk}/intents/").status_code == 200
