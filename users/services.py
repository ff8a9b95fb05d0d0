"""Every write on users and their sessions. Each function is one transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import AuthenticationFailed, NotFound, PermissionDenied, ValidationError
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from centrifugo.access import disconnect_after_commit
from uploads.cleanup import delete_files_on_commit, delete_with_files
from users.models import AuthSession, User
from users.tokens import GENERATION_CLAIM, SESSION_CLAIM, TokenPair, token_pair_for_session

_UNSET: Any = object()


def _save_unique(user: User) -> None:
    """Save; two sign-ups (or renames) to one username or e-mail at once both pass the serializer's check, and the
    second one's row breaks the unique constraint: it gets the check's 400, not a 500."""
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) or ""
        if "email" in constraint:
            raise ValidationError({"email": [_("A user with that email already exists.")]}) from exc
        if "username" in constraint:
            raise ValidationError({"username": [User._meta.get_field("username").error_messages["unique"]]}) from exc
        raise


def _invalid_token() -> AuthenticationFailed:
    return AuthenticationFailed(_("Token is invalid or expired"), code="token_not_valid")


@transaction.atomic
def user_register(
    *,
    username: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    bio: str | None = None,
    avatar: UploadedFile | None = None,
    email: str | None = None,
    status: str = "",
    language: str = User.Language.EN,
) -> User:
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        bio=bio,
        email=email or None,
        status=status,
        language=language,
    )
    password_validation.validate_password(password, user)
    user.set_password(password)
    if avatar is not None:
        user.avatar = avatar
    _save_unique(user)
    return user


def user_check_own(actor: User, user: User) -> None:
    """The rule of every change to an account: only its owner makes it (403)."""
    if user.pk != actor.pk:
        raise PermissionDenied(_("You can only change or delete your own account."))


@transaction.atomic
def user_update(*, actor: User, user: User, avatar: UploadedFile | None = _UNSET, **fields: Any) -> User:
    """Change your own profile fields (403 for somebody else's); `avatar=None` removes the avatar."""
    user_check_own(actor, user)
    return _profile_change(user, avatar, fields)


@transaction.atomic
def user_moderate_update(*, user_id: Any, avatar: UploadedFile | None = _UNSET, **fields: Any) -> User:
    """Change any account's fields (moderators, through the admin) as its owner's change does: the unique checks,
    and a replaced avatar's file removed after commit."""
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    return _profile_change(user, avatar, fields)


def _profile_change(user: User, avatar: UploadedFile | None, fields: dict[str, Any]) -> User:
    old_avatar = user.avatar.name if user.avatar else None
    for name, value in fields.items():
        setattr(user, name, value)
    if avatar is not _UNSET:
        user.avatar = avatar
    _save_unique(user)
    new_avatar = user.avatar.name if user.avatar else None
    if old_avatar and old_avatar != new_avatar:
        delete_files_on_commit((user.avatar.storage, old_avatar))
    return user


@transaction.atomic
def user_remove(user: User) -> None:
    """The last step of an account's deletion (accounts.services.account_delete, after every other app let go of
    the user): the user row goes, and its sessions with it, so every token it had is refused from now on. Its
    avatar, and the files of every row the deletion cascades to, are removed from storage after commit. Its
    realtime connections are closed then too (their tokens would have kept them open for up to an hour)."""
    user_id = user.pk
    delete_with_files(user)
    disconnect_after_commit(user_id)


def user_touch_presence(user: User, *, force: bool = False, now: datetime | None = None) -> None:
    """Record that the user was seen; throttled so that most requests write nothing."""
    now = now or timezone.now()
    if not force and user.last_online_at > now - settings.CONSTANTS.PRESENCE_WRITE_THROTTLE:
        return
    User.objects.filter(pk=user.pk).update(last_online_at=now)
    user.last_online_at = now


@transaction.atomic
def session_start(user: User) -> TokenPair:
    """Log in: a new session and its first token pair. Expired sessions of the user are pruned here."""
    now = timezone.now()
    AuthSession.objects.filter(user=user, expires_at__lte=now).delete()
    session = AuthSession.objects.create(
        user=user, expires_at=now + settings.CONSTANTS.REFRESH_TOKEN_LIFETIME, refreshed_at=now
    )
    return token_pair_for_session(session)


@transaction.atomic
def session_refresh(raw_refresh: str) -> TokenPair:
    """Rotate: the session's generation moves on, so the old refresh and access tokens stop working."""
    claims = _refresh_claims(raw_refresh)
    session = (
        AuthSession.objects.select_for_update()
        .filter(id=claims[SESSION_CLAIM], user_id=claims["user_id"], expires_at__gt=timezone.now())
        .first()
    )
    if session is None or session.generation != claims[GENERATION_CLAIM]:
        raise _invalid_token()
    now = timezone.now()
    session.generation += 1
    session.refreshed_at = now
    session.expires_at = now + settings.CONSTANTS.REFRESH_TOKEN_LIFETIME
    session.save(update_fields=["generation", "refreshed_at", "expires_at"])
    return token_pair_for_session(session)


@transaction.atomic
def session_end(raw_refresh: str) -> None:
    """Log out one session: its refresh token and every access token issued for it are refused from now on.

    Idempotent: a well-signed refresh token of a session that is already gone ends nothing and is no error."""
    claims = _refresh_claims(raw_refresh)
    session_revoke(session_id=claims[SESSION_CLAIM], user_id=claims["user_id"])


@transaction.atomic
def sessions_end_all(user: User) -> None:
    """Log the user out everywhere (after a password change: users.passwords): every session's refresh and access
    tokens are refused from now on, and the user's realtime connections are closed once this commits."""
    ended, _ = AuthSession.objects.filter(user=user).delete()
    if ended:
        disconnect_after_commit(user.pk)


@transaction.atomic
def session_revoke(*, session_id: Any, user_id: Any) -> None:
    """Log out the session an access token belongs to (logout by Bearer token or access cookie)."""
    try:
        session_id, user_id = uuid.UUID(str(session_id)), uuid.UUID(str(user_id))
    except ValueError as exc:  # claims we never issue, in a well-signed token: as invalid as a bad signature
        raise _invalid_token() from exc
    AuthSession.objects.filter(id=session_id, user_id=user_id).delete()


def _refresh_claims(raw_refresh: str) -> dict[str, Any]:
    try:
        # simplejwt annotates its argument as a Token, but documents and parses the encoded string.
        token = RefreshToken(raw_refresh)  # type: ignore[arg-type]
        payload = token.payload
        # Claims we never issue in a well-signed token (an `exp` beyond the platform's dates, ids that are no
        # uuids, a generation that is no number) make it as invalid as a bad signature, not a 400 or a 500.
        return {
            "user_id": uuid.UUID(str(payload["user_id"])),
            SESSION_CLAIM: uuid.UUID(str(payload[SESSION_CLAIM])),
            GENERATION_CLAIM: int(payload[GENERATION_CLAIM]),
        }
    except (TokenError, KeyError, TypeError, ValueError, OverflowError) as exc:
        raise _invalid_token() from exc
