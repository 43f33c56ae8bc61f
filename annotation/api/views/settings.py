"""One-per-assistant settings: the training config (config.yml) and the domain's session
settings. Members read them; only admins write them."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from annotation.api import serializers as s
from annotation.api.permissions import AdminsWrite
from annotation.api.views.base import AUTHENTICATION, AssistantScopedMixin
from annotation.selectors import items as selectors
from annotation.services import items as services


class _SingletonView(AssistantScopedMixin, generics.GenericAPIView[Any]):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated, AdminsWrite]
    pagination_class = None

    def current(self) -> Any:
        raise NotImplementedError

    def store(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.current()).data)

    def _write(self, request: Request, *, partial: bool) -> Response:
        serializer = self.get_serializer(self.current(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        stored = self.store(dict(serializer.validated_data))
        return Response(self.get_serializer(stored).data)

    def put(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._write(request, partial=False)

    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._write(request, partial=True)


@extend_schema(tags=["config"])
class TrainingConfigView(_SingletonView):
    """The assistant's training config: language, pipeline, policies."""

    serializer_class = s.TrainingConfigSerializer

    def current(self) -> Any:
        return selectors.training_config_get(assistant=self.assistant)

    def store(self, data: dict[str, Any]) -> Any:
        return services.training_config_update(assistant=self.assistant, data=data)


@extend_schema(tags=["domain"])
class DomainSettingsView(_SingletonView):
    """The domain's session config, ``config`` block and ``e2e_actions``."""

    serializer_class = s.DomainSettingsSerializer

    def current(self) -> Any:
        return selectors.domain_settings_get(assistant=self.assistant)

    def store(self, data: dict[str, Any]) -> Any:
        return services.domain_settings_update(assistant=self.assistant, data=data)
