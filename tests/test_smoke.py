from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_given_anonymous_user_when_opening_home_then_redirected_to_login(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_given_login_page_when_opened_then_it_renders(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Sign in" in response.content
