"""Bearer JWT authentication that also enforces session revocation and refreshes presence."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.tokens import Token

from users.models import User
from users.services import user_touch_presence
from users.tokens import GENERATION_CLAIM, SESSION_CLAIM


class JWTAuthentication(authentication.JWTAuthentication):
    """An access token is valid only while its session exists with the token's generation.

    The session check is a join in the same single query that loads the user, so revocation costs nothing
    extra per request. The presence write happens at most once per throttle window per user.
    """

    def get_user(self, validated_token: Token) -> User:
        try:
            user_id = validated_token["user_id"]
            session_id = validated_token[SESSION_CLAIM]
            generation = validated_token[GENERATION_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        user = User.objects.filter(
            id=user_id,
            auth_sessions__id=session_id,
            auth_sessions__generation=generation,
            auth_sessions__expires_at__gt=timezone.now(),
        ).first()
        if user is None or not user.is_active:
            raise AuthenticationFailed(_("Token is invalid or expired"), code="token_not_valid")
        user_touch_presence(user)
        return user
