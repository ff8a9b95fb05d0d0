"""A changed password ends the user's sessions, whatever changed it (users.passwords)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from conftest import PASSWORD
from users.models import AuthSession, User

pytestmark = pytest.mark.django_db


def test_a_password_set_and_saved_ends_every_session(user: User, client_for) -> None:
    """What `manage.py changepassword` does (set_password, save): both devices are logged out."""
    phone, laptop = client_for(user), client_for(user)
    assert phone.get("/api/user/current/").status_code == 200
    user.set_password("an entirely new one")
    user.save()
    for device in (phone, laptop):
        assert device.get("/api/user/current/").status_code == 401
        assert device.post("/api/auth/refresh/", {"refresh": device.tokens.refresh}).status_code == 401
    assert not AuthSession.objects.filter(user=user).exists()
    again = APIClient().post("/api/auth/", {"username": user.username, "password": "an entirely new one"})
    assert again.status_code == 200


def test_the_admins_password_form_ends_the_users_sessions(user: User, make_user, client_for) -> None:
    device = client_for(user)
    staff = Client()
    staff.force_login(make_user(is_staff=True, is_superuser=True))
    new = "Zq8!mV3#pL-new"
    response = staff.post(f"/admin/users/user/{user.pk}/password/", {"password1": new, "password2": new})
    assert response.status_code == 302, response.content[:500]
    assert device.get("/api/user/current/").status_code == 401
    assert APIClient().post("/api/auth/", {"username": user.username, "password": PASSWORD}).status_code == 401


def test_other_saves_leave_the_sessions_alone(user: User, client_for) -> None:
    device = client_for(user)
    user.first_name = "Renamed"
    user.save()
    assert device.get("/api/user/current/").status_code == 200
