from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from application.passwords import password_field
from uploads.fields import ImageUploadField
from users.models import User

LANGUAGE_HELP = (
    "The language of the API's messages for this user's requests (default `en`); the browser's Accept-Language "
    "never changes it"
)


def _max_length(name: str) -> int:
    return getattr(settings.CONSTANTS, name)


class UserSerializer(serializers.ModelSerializer):
    """The contract's user object."""

    is_online = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "bio", "avatar", "last_online_at", "is_online"]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_is_online(self, user: User) -> bool:
        return user.is_online


# The columns UserSerializer reads, in its field order (`is_online` is derived from `last_online_at`).
USER_COLUMNS = ("id", "username", "first_name", "last_name", "bio", "avatar", "last_online_at")


class UserDicts:
    """UserSerializer's output built from plain column values, each user once per response.

    Lists that repeat users (a chat's members, every message's `was_read_by` in a large group) read the columns
    with `.values_list(*USER_COLUMNS)` instead of building User instances and running DRF's field machinery per
    user; `users.tests` pins that the dicts equal UserSerializer's. `request` makes avatar URLs absolute, as
    DRF's FileField does.
    """

    def __init__(self, request: Any = None) -> None:
        self.request = request
        self.cache: dict[Any, dict[str, Any]] = {}
        # One `now` per response: users.json_sql gives PostgreSQL the same threshold.
        self.online_since = timezone.now() - settings.CONSTANTS.ONLINE_WINDOW
        self._datetime = serializers.DateTimeField()
        self.storage = User._meta.get_field("avatar").storage
        # DRF's DateTimeField looks the zone up for every value; it is the same for the whole response.
        iso = api_settings.DATETIME_FORMAT is not None and api_settings.DATETIME_FORMAT.lower() == ISO_8601
        self.zone = timezone.get_current_timezone() if iso and settings.USE_TZ else None

    @classmethod
    def of(cls, context: dict[str, Any]) -> UserDicts:
        """The one instance of a serializer context (shared by nested serializers that copy the context)."""
        users = context.get("user_dicts")
        if users is None:
            users = context["user_dicts"] = cls(context.get("request"))
        return users

    def file_url(self, storage: Any, name: str | None) -> str | None:
        """A stored file's URL as DRF's FileField renders it (None when empty)."""
        if not name:
            return None
        url = storage.url(name)
        return self.request.build_absolute_uri(url) if self.request is not None else url

    def datetime(self, value: Any) -> str | None:
        """DRF's DateTimeField representation (ISO 8601 in the current zone, `Z` for UTC)."""
        if self.zone is None or not value or value.tzinfo is None:
            return self._datetime.to_representation(value)
        try:
            text = value.astimezone(self.zone).isoformat()
        except OverflowError:
            return self._datetime.to_representation(value)
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    def from_values(
        self,
        pk: Any,
        username: str,
        first_name: str,
        last_name: str,
        bio: str | None,
        avatar: str | None,
        last_online_at: Any,
    ) -> dict[str, Any]:
        data = self.cache.get(pk)
        if data is None:
            data = self.cache[pk] = {
                "id": str(pk),
                "username": username,
                "first_name": first_name,
                "last_name": last_name,
                "bio": bio,
                "avatar": self.file_url(self.storage, avatar),
                "last_online_at": self.datetime(last_online_at),
                "is_online": last_online_at >= self.online_since,
            }
        return data

    def from_user(self, user: User | None) -> dict[str, Any] | None:
        if user is None:
            return None
        data = self.cache.get(user.pk)
        if data is None:
            data = self.from_values(
                user.pk,
                user.username,
                user.first_name,
                user.last_name,
                user.bio,
                user.avatar.name if user.avatar else None,
                user.last_online_at,
            )
        return data


class CurrentUserSerializer(UserSerializer):
    """The user as seen by themself: adds the private fields."""

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "email", "status", "language"]
        read_only_fields = fields


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
    password = password_field(write_only=True)
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


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
