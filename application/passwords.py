"""A maximum password length for Django's password validation (AUTH_PASSWORD_VALIDATORS).

Hashing and the similarity check cost time in proportion to the password's length: a megabyte-long password
would tie up a worker. The API's serializers refuse longer passwords before any hashing (`password_field`); this
validator covers every other way a password is set (admin, createsuperuser).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers


def max_length() -> int:
    return settings.CONSTANTS.PASSWORD_MAX_LENGTH


class MaximumLengthValidator:
    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > max_length():
            raise ValidationError(self.get_help_text(), code="password_too_long")

    def get_help_text(self) -> str:
        return _("Your password must contain at most %(max_length)d characters.") % {"max_length": max_length()}


def password_field(**kwargs: Any) -> serializers.CharField:
    """A password input whose length is checked before validation or hashing looks at it."""
    return serializers.CharField(max_length=max_length(), style={"input_type": "password"}, **kwargs)
