from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client


@pytest.mark.django_db
def test_given_signed_in_user_when_opening_api_docs_then_no_asset_comes_from_a_cdn(
    client: Client,
) -> None:
    client.force_login(User.objects.create_user("reader", password="pw-123456"))
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert external == []
