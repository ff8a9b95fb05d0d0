from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from users.models import User
from users.tests.helpers import jpeg_with_exif, png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_user) -> Client:
    client = Client()
    client.force_login(make_user(is_staff=True, is_superuser=True))
    return client


def _change_form(staff: Client, user: User, **changes: Any) -> dict[str, Any]:
    """The user's change form as the admin shows it, with `changes` applied (inline management forms included)."""
    response = staff.get(f"/admin/users/user/{user.pk}/change/")
    form = response.context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        if field.disabled or name == "avatar":
            continue
        value = form.initial.get(name)
        if name in {"groups", "user_permissions"}:
            data[name] = [getattr(item, "pk", item) for item in value or []]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({management.add_prefix(key): value for key, value in management.initial.items()})
    data.update(changes)
    return data


def test_an_avatar_set_in_the_admin_is_checked_and_re_encoded_as_the_apis(staff: Client, make_user) -> None:
    # The admin stored the upload as it came: EXIF (a camera, a place) kept, 2000 px wide.
    user = make_user()
    response = staff.post(f"/admin/users/user/{user.pk}/change/", _change_form(staff, user, avatar=jpeg_with_exif()))
    assert response.status_code == 302
    user.refresh_from_db()
    stored = user.avatar.read()
    assert b"SecretCameraMaker" not in stored
    assert max(Image.open(io.BytesIO(stored)).size) <= 1024

    not_an_image = io.BytesIO(b"<html>hello</html>")
    not_an_image.name = "me.png"
    response = staff.post(f"/admin/users/user/{user.pk}/change/", _change_form(staff, user, avatar=not_an_image))
    assert response.status_code == 200 and response.context["adminform"].form.errors["avatar"]


def test_an_avatar_replaced_in_the_admin_removes_the_old_file(
    staff: Client, make_user, django_capture_on_commit_callbacks
) -> None:
    user = make_user()
    user.avatar = png_upload()
    user.save()
    old = user.avatar.name
    storage = user.avatar.storage
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            f"/admin/users/user/{user.pk}/change/", _change_form(staff, user, first_name="Renamed", avatar=png_upload())
        )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.first_name == "Renamed" and user.avatar.name != old
    assert not storage.exists(old)
