"""UserDicts (the fast path of lists of users) must produce exactly UserSerializer's output."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIRequestFactory

from messages.serializers import as_json
from users.models import User
from users.serializers import USER_COLUMNS, UserDicts, UserSerializer


def _users(make_user) -> list[User]:
    online = make_user(bio="about me")
    offline = make_user(first_name="", last_name="", bio=None, last_online_at=timezone.now() - timedelta(days=3))
    pictured = make_user(bio="", avatar="avatars/some/picture.png")
    return [online, offline, pictured]


def test_dicts_from_values_equal_user_serializer(make_user) -> None:
    users = _users(make_user)
    for request in (APIRequestFactory().get("/api/chats/"), None):
        context = {"request": request} if request else {}
        expected = UserSerializer(User.objects.filter(pk__in=[u.pk for u in users]), many=True, context=context).data
        rows = User.objects.filter(pk__in=[u.pk for u in users]).values_list(*USER_COLUMNS)
        dicts = UserDicts(request)
        produced = [dicts.from_values(*row) for row in rows]
        assert produced == [dict(data) for data in expected]
        assert as_json(produced) == as_json(expected)
        instances = list(User.objects.filter(pk__in=[u.pk for u in users]))
        assert [d["is_online"] for d in produced] == [u.is_online for u in instances] == [True, False, True]
        # Instances take the same path.
        fresh = UserDicts(request)
        assert [fresh.from_user(u) for u in instances] == produced
        assert fresh.from_user(None) is None


def test_absolute_avatar_url(make_user) -> None:
    user = make_user(avatar="avatars/x/y.png")
    request = APIRequestFactory().get("/")
    data = UserDicts(request).from_user(user)
    assert data["avatar"] == UserSerializer(user, context={"request": request}).data["avatar"]
    assert data["avatar"].startswith("http")
    assert data["avatar"].endswith("/avatars/x/y.png")


def test_each_user_built_once(make_user) -> None:
    user = make_user()
    dicts = UserDicts()
    assert dicts.from_user(user) is dicts.from_values(*User.objects.filter(pk=user.pk).values_list(*USER_COLUMNS)[0])


def test_datetimes_as_drf_writes_them() -> None:
    import datetime
    import zoneinfo

    from rest_framework import serializers

    moscow = zoneinfo.ZoneInfo("Europe/Moscow")
    values = [
        datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.UTC),
        datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.UTC),
        datetime.datetime(2024, 5, 6, 7, 8, 9, 5, tzinfo=moscow),
        timezone.now(),
        None,
    ]
    for zone in ("UTC", "Europe/Moscow"):
        with timezone.override(zone):
            field, dicts = serializers.DateTimeField(), UserDicts()
            assert [dicts.datetime(v) for v in values] == [field.to_representation(v) for v in values]
