from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from application.constants import Constants
from uploads.paths import UnguessablePath


class User(AbstractUser):
    """A messenger user. Column sizes are the generous development limits; production narrows them in
    validation (application/constants.py), so both modes share one schema."""

    class Language(models.TextChoices):
        # The API's language for this user's requests (application/middleware.py); never taken from the browser.
        EN = "en", "English"
        RU = "ru", "Russian"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True, null=True, blank=True)
    bio = models.TextField(null=True, blank=True, max_length=Constants.BIO_MAX_LENGTH)
    status = models.CharField(max_length=Constants.STATUS_MAX_LENGTH, blank=True, default="")
    avatar = models.ImageField(upload_to=UnguessablePath("avatars"), null=True, blank=True)
    last_online_at = models.DateTimeField(default=timezone.now, db_index=True)
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.EN)

    class Meta:
        ordering = ["username"]

    @property
    def is_online(self) -> bool:
        # Derived, never stored: "seen within the online window" (5 minutes).
        return self.last_online_at >= timezone.now() - settings.CONSTANTS.ONLINE_WINDOW


class AuthSession(models.Model):
    """One login (a device). Tokens carry its id and generation: a refresh bumps the generation, which makes
    both the old refresh and the old access token invalid; logout or user deletion removes the row.

    Authentication reads this row joined to the user in the one query it needs anyway."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="auth_sessions")
    generation = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    refreshed_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "expires_at"], name="authsession_user_expiry_idx")]

    def __str__(self) -> str:
        return f"session {self.id} of {self.user_id}"


class ExternalIdentity(models.Model):
    """An account at an outside identity provider (YandexID) that logs in as a user here.

    Created when a user registers through the provider, or when a logged-in user links the provider explicitly;
    never by matching e-mail addresses (see docs/accounts.md)."""

    class Provider(models.TextChoices):
        YANDEX = "yandex", "YandexID"

    provider = models.CharField(max_length=32, choices=Provider.choices)
    uid = models.CharField(max_length=255)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="external_identities")
    # the provider's e-mail when the identity was created or linked (informational; never used to match)
    email = models.EmailField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "uid"], name="external_identity_provider_uid_uniq"),
            models.UniqueConstraint(fields=["provider", "user"], name="external_identity_provider_user_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.uid} -> {self.user_id}"
