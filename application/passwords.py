"""A maximum password length for Django's password validation (AUTH_PASSWORD_VALIDATORS).

Hashing and the similarity check cost time in proportion to the password's length: a megabyte-long password
would tie up a worker. The API's serializers refuse longer passwords before any hashing (`password_field`); this
validator covers every other way a password is set (admin, createsuperuser).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import (
    MinimumLengthValidator,
    NumericPasswordValidator,
    get_default_password_validators,
)
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers


def max_length() -> int:
    return settings.CONSTANTS.PASSWORD_MAX_LENGTH


class MaximumLengthValidator:
    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > max_length():
            raise ValidationError(self.get_help_text(), code="password_too_long")

    def get_help_text(self) -> str:
        return _("Your password must contain at most %(max_length)d characters.") % {"max_length": max_length()}


# A password is taken as typed: spaces around it are part of it (as in Django's own forms), not trimmed away.
_AS_TYPED = {"trim_whitespace": False, "style": {"input_type": "password"}}


def password_field(**kwargs: Any) -> serializers.CharField:
    """A password input whose length is checked before validation or hashing looks at it."""
    return serializers.CharField(max_length=max_length(), **_AS_TYPED, **kwargs)


class NewPasswordField(serializers.CharField):
    """A password being chosen (registration): `validate_password` runs on it in the serializer's validate()."""


def new_password_field(**kwargs: Any) -> NewPasswordField:
    return NewPasswordField(max_length=max_length(), **_AS_TYPED, **kwargs)


class NewPasswordSchema(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    """What the configured validators ask of a new password that a schema can say: their minimum length, and not
    only digits (no NUL either, as in any text). Being too common or too like the user's names is not a pattern:
    the description says it."""

    target_class = NewPasswordField

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        validators = get_default_password_validators()
        minimum = max((v.min_length for v in validators if isinstance(v, MinimumLengthValidator)), default=1)
        digits = "\\d" if any(isinstance(v, NumericPasswordValidator) for v in validators) else ""
        pattern = f"^[^\\x00]*[^\\x00{digits}][^\\x00]*$"
        # Under allOf: drf-spectacular writes its own `minLength: 1` beside what an extension maps.
        return {
            "type": "string",
            "allOf": [{"type": "string", "minLength": minimum, "maxLength": max_length(), "pattern": pattern}],
            "description": "Not a common password, nor one like the username, names or e-mail",
        }
