"""`/api/user/{id}/`: a profile (yours with your private fields), its change, and the account's deletion."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import account_delete
from application.schema import ERROR_RESPONSES
from application.shapes import RenderContext
from users import selectors, services
from users.models import User
from users.serializers import UserUpdateSerializer
from users.shapes import CurrentUserShape, UserShape


def _profile(request: Request, user: User) -> Response:
    shape = CurrentUserShape if user.pk == request.user.pk else UserShape
    return Response(shape.render(user, RenderContext()))


class UserDetailView(APIView):
    @extend_schema(
        summary="A user (yourself: with your private fields, as `GET /api/user/current/`)",
        responses={200: UserShape.serializer(), **ERROR_RESPONSES},
    )
    def get(self, request: Request, user_id: uuid.UUID) -> Response:
        return _profile(request, selectors.user_get(user_id))

    @extend_schema(
        summary="Change your own profile (`avatar` empty or null removes it)",
        request={"application/json": UserUpdateSerializer, "multipart/form-data": UserUpdateSerializer},
        responses={200: CurrentUserShape.serializer(), **ERROR_RESPONSES},
    )
    def patch(self, request: Request, user_id: uuid.UUID) -> Response:
        user = selectors.user_get(user_id)
        services.user_check_own(request.user, user)  # before the body's files are decoded
        serializer = UserUpdateSerializer(user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return _profile(request, services.user_update(actor=request.user, user=user, **serializer.validated_data))

    @extend_schema(summary="Delete your own account", responses={204: None, **ERROR_RESPONSES})
    def delete(self, request: Request, user_id: uuid.UUID) -> Response:
        account_delete(actor=request.user, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
