from __future__ import annotations

import uuid

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from application.schema import ERROR_RESPONSES
from users import selectors, services
from users.auth_serializers import CredentialsSerializer
from users.models import User
from users.serializers import (
    CurrentUserSerializer,
    RefreshSerializer,
    RegisterSerializer,
    TokenPairSerializer,
    UserSerializer,
    UserUpdateSerializer,
)


class PublicAuthView(APIView):
    """Endpoints that take credentials in the body: a stale Authorization header must not get in the way, and
    failures are 401 with a Bearer challenge (so clients go to the login screen), not 403."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_scope = "auth"

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class RegisterView(PublicAuthView):
    @extend_schema(
        summary="Register a user",
        request={"application/json": RegisterSerializer, "multipart/form-data": RegisterSerializer},
        responses={201: CurrentUserSerializer, **ERROR_RESPONSES},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return Response(CurrentUserSerializer(user, context={"request": request}).data, status=201)


def authenticate_credentials(request: Request) -> User:
    """The user for a username-or-e-mail and password, or the one 401 that does not tell which part was wrong."""
    serializer = CredentialsSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    user = authenticate(request._request, **serializer.validated_data)
    if user is None:
        raise AuthenticationFailed(_("No active account found with the given credentials"), code="no_active_account")
    return user


class LoginView(PublicAuthView):
    @extend_schema(
        summary="Log in by username or e-mail: get an access and a refresh token",
        description="`username` takes a username or an e-mail address (case-insensitive); `email` is an alias. "
        "Wrong credentials are one 401 `no_active_account`, whether or not the account exists.",
        request=CredentialsSerializer,
        responses={200: TokenPairSerializer, **ERROR_RESPONSES},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        user = authenticate_credentials(request)
        return Response(services.session_start(user).as_dict())


class RefreshView(PublicAuthView):
    @extend_schema(
        summary="Rotate tokens: the old access and refresh tokens stop working",
        request=RefreshSerializer,
        responses={200: TokenPairSerializer, **ERROR_RESPONSES},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(services.session_refresh(serializer.validated_data["refresh"]).as_dict())


class CurrentUserView(APIView):
    @extend_schema(summary="The current user", responses={200: CurrentUserSerializer, **ERROR_RESPONSES})
    def get(self, request: Request) -> Response:
        return Response(CurrentUserSerializer(request.user, context={"request": request}).data)


class UserDetailView(APIView):
    def _target(self, request: Request, user_id: uuid.UUID, *, write: bool):
        user = selectors.user_get(user_id)
        if write and user.pk != request.user.pk:
            raise PermissionDenied(_("You can only change or delete your own account."))
        return user

    def _serialize(self, request: Request, user) -> dict:
        serializer_class = CurrentUserSerializer if user.pk == request.user.pk else UserSerializer
        return serializer_class(user, context={"request": request}).data

    @extend_schema(summary="A user", responses={200: UserSerializer, **ERROR_RESPONSES})
    def get(self, request: Request, user_id: uuid.UUID) -> Response:
        return Response(self._serialize(request, self._target(request, user_id, write=False)))

    @extend_schema(
        summary="Change your own profile (`avatar` empty or null removes it)",
        request={"application/json": UserUpdateSerializer, "multipart/form-data": UserUpdateSerializer},
        responses={200: CurrentUserSerializer, **ERROR_RESPONSES},
    )
    def patch(self, request: Request, user_id: uuid.UUID) -> Response:
        user = self._target(request, user_id, write=True)
        serializer = UserUpdateSerializer(user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(user, **serializer.validated_data)
        return Response(self._serialize(request, user))

    @extend_schema(summary="Delete your own account", responses={204: None, **ERROR_RESPONSES})
    def delete(self, request: Request, user_id: uuid.UUID) -> Response:
        services.user_delete(self._target(request, user_id, write=True))
        return Response(status=status.HTTP_204_NO_CONTENT)


class OnlineView(APIView):
    @extend_schema(summary="Mark yourself online now", responses={200: OpenApiResponse(description="Empty body")})
    def head(self, request: Request) -> Response:
        services.user_touch_presence(request.user, force=True)
        return Response(status=status.HTTP_200_OK)


class UserListView(generics.ListAPIView):
    serializer_class = UserSerializer

    @extend_schema(
        summary="Search users",
        parameters=[OpenApiParameter("search", str, description="Matches username, first_name, last_name")],
        responses={200: UserSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.user_list(search=self.request.query_params.get("search", "").strip())
