"""Input of the user endpoints (their output is users.shapes)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from application.passwords import new_password_field
from uploads.fields import ImageUploadField
from users.models import User

LANGUAGE_HELP = (
    "The language of the API's messages for this user's requests (default `en`); the browser's Accept-Language "
    "never changes it"
)


def _max_length(name: str) -> int:
    return getattr(settings.CONSTANTS, name)


class ProfileFieldsMixin(serializers.Serializer):
    """Length limits from Constants, checked at request time (production narrows them)."""

    LIMITS = {
        "username": "USERNAME_MAX_LENGTH",
        "first_name": "NAME_MAX_LENGTH",
        "last_name": "NAME_MAX_LENGTH",
        "bio": "BIO_MAX_LENGTH",
        "status": "STATUS_MAX_LENGTH",
    }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = {}
        for field, limit_name in self.LIMITS.items():
            value = attrs.get(field)
            limit = _max_length(limit_name)
            if value and len(value) > limit:
                errors[field] = [_("Ensure this field has no more than %(limit)d characters.") % {"limit": limit}]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class RegisterSerializer(ProfileFieldsMixin, serializers.ModelSerializer):
    password = new_password_field(write_only=True)
    avatar = ImageUploadField()
    bio = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    email = serializers.EmailField(required=False, allow_null=True, allow_blank=True)

    class Meta:
        model = User
        fields = ["username", "password", "first_name", "last_name", "bio", "avatar", "email", "status", "language"]
        extra_kwargs = {
            "first_name": {"required": False},
            "last_name": {"required": False},
            "status": {"required": False},
            "language": {"required": False, "help_text": LANGUAGE_HELP},
        }

    def validate_email(self, value: str | None) -> str | None:
        if value and User.objects.filter(email__iexact=value).exists():
            raise serializers.ValidationError(_("A user with that email already exists."))
        return value or None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        candidate = User(**{k: v for k, v in attrs.items() if k not in {"password", "avatar"}})
        try:
            password_validation.validate_password(attrs["password"], candidate)
        except Exception as exc:  # django ValidationError: reported on the password field
            raise serializers.ValidationError({"password": list(getattr(exc, "messages", [str(exc)]))}) from exc
        return attrs


class UserUpdateSerializer(ProfileFieldsMixin, serializers.ModelSerializer):
    avatar = ImageUploadField()
    bio = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    email = serializers.EmailField(required=False, allow_null=True, allow_blank=True)

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "bio", "avatar", "email", "status", "language"]
        extra_kwargs = {"language": {"help_text": LANGUAGE_HELP}}

    def validate_email(self, value: str | None) -> str | None:
        if value and User.objects.filter(email__iexact=value).exclude(pk=self.instance.pk).exists():
            raise serializers.ValidationError(_("A user with that email already exists."))
        return value or None


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField()
