"""Writes for external identities (YandexID): register, log in or link a user from a provider's profile.

Part of users' services (the HackSoft split); kept in its own module because the provider flow is self-contained.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from rest_framework.exceptions import AuthenticationFailed

from application.errors import Conflict
from users.models import ExternalIdentity, User
from users.oauth import ExternalProfile, download_avatar
from users.services import session_start
from users.tokens import TokenPair


def external_login(profile: ExternalProfile) -> tuple[User, TokenPair, bool]:
    """Log in the user registered (or linked) with this external account, or register a new one.

    Returns the user, a new session's tokens and whether the user was created. An existing account with the
    profile's e-mail is never taken over (409 `oauth_email_in_use`): its owner links YandexID explicitly while
    logged in (external_identity_link). The avatar is downloaded before the transaction, never inside it.
    """
    identity = _identity(profile)
    if identity is not None:
        return identity.user, _external_session(identity.user), False
    if profile.email and User.objects.filter(email__iexact=profile.email).exists():
        raise _email_in_use()
    avatar = download_avatar(profile)
    try:
        user = _external_user_create(profile, avatar)
    except IntegrityError:
        # The same first login, twice at once: the other request created the user.
        identity = _identity(profile)
        if identity is None:
            raise
        return identity.user, _external_session(identity.user), False
    return user, session_start(user), True


@transaction.atomic
def external_identity_link(user: User, profile: ExternalProfile) -> ExternalIdentity:
    """Link an external account to the logged-in user, who proved both (their session and the provider's token)."""
    identity = ExternalIdentity.objects.select_for_update().filter(provider=profile.provider, uid=profile.uid).first()
    if identity is not None:
        if identity.user_id != user.pk:
            raise Conflict(_("This YandexID account is linked to another user."), code="oauth_identity_in_use")
        return identity
    if ExternalIdentity.objects.filter(provider=profile.provider, user=user).exists():
        raise Conflict(_("Another YandexID account is already linked to you."), code="oauth_already_linked")
    return ExternalIdentity.objects.create(provider=profile.provider, uid=profile.uid, user=user, email=profile.email)


def _email_in_use() -> Conflict:
    return Conflict(
        _("An account with this e-mail already exists. Log in with your password and link YandexID in your profile."),
        code="oauth_email_in_use",
    )


def _identity(profile: ExternalProfile) -> ExternalIdentity | None:
    return ExternalIdentity.objects.select_related("user").filter(provider=profile.provider, uid=profile.uid).first()


def _external_session(user: User) -> TokenPair:
    if not user.is_active:
        raise AuthenticationFailed(_("No active account found with the given credentials"), code="no_active_account")
    return session_start(user)


@transaction.atomic
def _external_user_create(profile: ExternalProfile, avatar: UploadedFile | None) -> User:
    limits = settings.CONSTANTS
    user = User(
        first_name=profile.first_name[: limits.NAME_MAX_LENGTH],
        last_name=profile.last_name[: limits.NAME_MAX_LENGTH],
        email=profile.email or None,
    )
    user.set_unusable_password()
    if avatar is not None:
        user.avatar = avatar
    for attempt in range(5):
        user.username = _free_username(profile.login or profile.provider, random_suffix=attempt > 0)
        try:
            with transaction.atomic():
                user.save()
            break
        except IntegrityError:
            if ExternalIdentity.objects.filter(provider=profile.provider, uid=profile.uid).exists() or attempt == 4:
                raise
            if profile.email and User.objects.filter(email__iexact=profile.email).exists():
                raise _email_in_use() from None  # someone registered with this e-mail meanwhile
            user._state.adding = True
    ExternalIdentity.objects.create(provider=profile.provider, uid=profile.uid, user=user, email=profile.email)
    return user


_USERNAME_JUNK = re.compile(r"[^\w.@+-]")


def _free_username(login: str, *, random_suffix: bool = False) -> str:
    """The login if it is free, else the login with the smallest free number (login2, login3…)."""
    limit = settings.CONSTANTS.USERNAME_MAX_LENGTH
    base = _USERNAME_JUNK.sub("", login)[:limit] or "user"
    if random_suffix:
        suffix = get_random_string(6, "abcdefghijklmnopqrstuvwxyz0123456789")
        return f"{base[: limit - len(suffix)]}{suffix}"
    stem = base[: limit - 4]
    taken = set(User.objects.filter(username__istartswith=stem).values_list("username", flat=True))
    taken_lower = {name.lower() for name in taken}
    if base.lower() not in taken_lower:
        return base
    for number in range(2, 10_000):
        suffix = str(number)
        candidate = f"{base[: limit - len(suffix)]}{suffix}"
        if candidate.lower() not in taken_lower:
            return candidate
    return _free_username(login, random_suffix=True)
