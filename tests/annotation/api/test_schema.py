"""The OpenAPI schema is generated from the code."""

from __future__ import annotations

from typing import Any

import yaml
from rest_framework.test import APIClient


def test_given_the_api_when_fetching_the_schema_then_the_endpoints_are_described(
    db: Any,
) -> None:
    response = APIClient().get("/api/schema/")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    paths = schema["paths"]
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/assistants/",
        "/api/v1/assistants/{id}/",
        "/api/v1/assistants/import/",
        "/api/v1/assistants/{assistant_pk}/import/",
        "/api/v1/assistants/{assistant_pk}/export/",
        "/api/v1/assistants/{assistant_pk}/validate/",
        "/api/v1/assistants/{assistant_pk}/examples/",
        "/api/v1/assistants/{assistant_pk}/examples/{id}/",
        "/api/v1/assistants/{assistant_pk}/stories/",
        "/api/v1/assistants/{assistant_pk}/responses/",
        "/api/v1/assistants/{assistant_pk}/members/",
        "/api/v1/assistants/{assistant_pk}/config/",
        "/api/v1/assistants/{assistant_pk}/domain-settings/",
    ):
        assert path in paths, path
    example_params = {
        p["name"] for p in paths["/api/v1/assistants/{assistant_pk}/examples/"]["get"]["parameters"]
    }
    assert {"intent", "entity", "q", "page", "page_size"} <= example_params
    assert (
        "multipart/form-data"
        in paths["/api/v1/assistants/import/"]["post"]["requestBody"]["content"]
    )


def test_given_the_schema_generator_when_generating_then_there_are_no_warnings(
    db: Any, capsys: Any
) -> None:
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)

    assert not GENERATOR_STATS._warn_cache
    assert not GENERATOR_STATS._error_cache
