"""Tokens for scripts and other programs: ``Authorization: Token <key>``."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.api.views.base import AUTHENTICATION

_TokenSerializer = inline_serializer(
    "TokenResponse", fields={"token": serializers.CharField(), "username": serializers.CharField()}
)


class TokenView(APIView):
    """POST a username and password for your API token; DELETE to revoke it."""

    authentication_classes = AUTHENTICATION

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(
        tags=["auth"],
        operation_id="auth_token_create",
        request=AuthTokenSerializer,
        responses={200: _TokenSerializer},
    )
    def post(self, request: Request) -> Response:
        payload = AuthTokenSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        user = payload.validated_data["user"]
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key, "username": user.get_username()})

    @extend_schema(tags=["auth"], request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        Token.objects.filter(user=cast(Any, request.user)).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
