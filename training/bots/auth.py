"""API tokens as Rasa clients send them: ``?token=``, ``Authorization: Bearer`` or ``Token``."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.request import Request


class QueryTokenAuthentication(TokenAuthentication):
    """``?token=<key>``: Rasa's ``--auth-token`` query parameter, carrying a DRF token."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        key = request.query_params.get("token")
        if not key:
            return None
        return self.authenticate_credentials(key)


class BearerTokenAuthentication(TokenAuthentication):
    keyword = "Bearer"


BOT_AUTHENTICATION = [
    QueryTokenAuthentication,
    TokenAuthentication,
    BearerTokenAuthentication,
    SessionAuthentication,
]
