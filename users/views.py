from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from application.pagination import page_or_offset_paginator
from application.schema import ERROR_RESPONSES, LIMIT_OFFSET_PARAMETERS, PAGE_PARAMETERS, head_only, paginated
from application.shapes import RenderContext
from application.throttling import CredentialThrottles
from users import selectors, services
from users.auth_serializers import CredentialsSerializer
from users.models import User
from users.serializers import RefreshSerializer, RegisterSerializer
from users.shapes import CurrentUserShape, TokenPairShape, UserShape


class PublicAuthView(CredentialThrottles, APIView):
    """Endpoints that take credentials in the body: a stale Authorization header must not get in the way, and
    failures are 401 with a Bearer challenge (so clients go to the login screen), not 403. Throttled per client
    address and per account (application/throttling.py)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class RegisterView(PublicAuthView):
    @extend_schema(
        summary="Register a user",
        request={"application/json": RegisterSerializer, "multipart/form-data": RegisterSerializer},
        responses={201: CurrentUserShape.serializer(), **ERROR_RESPONSES},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return Response(CurrentUserShape.render(user, RenderContext()), status=201)


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
        responses={200: TokenPairShape.serializer(), **ERROR_RESPONSES},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        user = authenticate_credentials(request)
        return Response(TokenPairShape.render(services.session_start(user), RenderContext()))


class RefreshView(PublicAuthView):
    @extend_schema(
        summary="Rotate tokens: the old access and refresh tokens stop working",
        request=RefreshSerializer,
        responses={200: TokenPairShape.serializer(), **ERROR_RESPONSES},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tokens = services.session_refresh(serializer.validated_data["refresh"])
        return Response(TokenPairShape.render(tokens, RenderContext()))


class CurrentUserView(APIView):
    @extend_schema(summary="The current user", responses={200: CurrentUserShape.serializer(), **ERROR_RESPONSES})
    def get(self, request: Request) -> Response:
        return Response(CurrentUserShape.render(request.user, RenderContext()))


head_only(
    "/api/user/online/",
    operation_id="user_online_head",
    summary="Mark yourself online now (HEAD only: other methods are 405)",
    tag="user",
    responses={
        "200": "Empty body; your `last_online_at` is now",
        "401": "Missing, invalid, expired or revoked token",
        "405": "A method other than HEAD",
    },
)


class OnlineView(APIView):
    def head(self, request: Request) -> Response:
        services.user_touch_presence(request.user, force=True)
        return Response(status=status.HTTP_200_OK)


class UserListView(APIView):
    @extend_schema(
        summary="Search users",
        parameters=[
            OpenApiParameter("search", str, description="Matches username, first_name, last_name"),
            *PAGE_PARAMETERS,
            *LIMIT_OFFSET_PARAMETERS,
        ],
        responses={200: paginated(UserShape.serializer(), "PaginatedUserList"), **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        users = selectors.user_list(search=request.query_params.get("search", "").strip())
        paginator = page_or_offset_paginator(request)
        page = paginator.paginate_queryset(users, request, view=self)
        return paginator.get_paginated_response(UserShape.render_many(page, RenderContext()))
