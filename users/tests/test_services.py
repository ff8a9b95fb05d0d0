"""The user services' own rules, beside the API's checks (a service must be safe for any caller)."""

from __future__ import annotations

import pytest
from rest_framework.exceptions import ValidationError

from users.models import User
from users.services import user_register, user_update


def test_a_username_taken_meanwhile_is_a_400_not_a_500(db: None) -> None:
    """Two sign-ups with one name at once both pass the serializer's check; the second row breaks the constraint."""
    user_register(username="twin", password="a long passphrase 1")
    with pytest.raises(ValidationError) as raised:
        user_register(username="twin", password="a long passphrase 2")
    assert raised.value.detail == {"username": ["A user with that username already exists."]}
    assert User.objects.filter(username="twin").count() == 1


def test_an_email_taken_meanwhile_is_a_400_on_email(db: None) -> None:
    user_register(username="first", password="a long passphrase 1", email="same@example.com")
    second = user_register(username="second", password="a long passphrase 2")
    with pytest.raises(ValidationError) as raised:
        user_update(actor=second, user=second, email="same@example.com")
    assert raised.value.detail == {"email": ["A user with that email already exists."]}
    assert User.objects.get(pk=second.pk).email is None


def test_a_rename_to_a_taken_username_is_a_400(db: None) -> None:
    user_register(username="taken", password="a long passphrase 1")
    other = user_register(username="other", password="a long passphrase 2")
    with pytest.raises(ValidationError) as raised:
        user_update(actor=other, user=other, username="taken")
    assert set(raised.value.detail) == {"username"}
