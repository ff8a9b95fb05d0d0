from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from users.authentication import user_by_session
from users.models import AuthSession, User

pytestmark = pytest.mark.django_db


def orm_lookup(user_id: object, session_id: object, generation: int) -> User | None:
    """What the hand-written query must answer: the ORM filter it replaces."""
    return User.objects.filter(
        id=user_id,
        auth_sessions__id=session_id,
        auth_sessions__generation=generation,
        auth_sessions__expires_at__gt=timezone.now(),
    ).first()


class TestUserBySession:
    @pytest.fixture
    def session(self, make_user) -> AuthSession:
        other = make_user()  # another user with a session of their own must not match
        AuthSession.objects.create(user=other, generation=3, expires_at=timezone.now() + timedelta(hours=1))
        owner = make_user()
        return AuthSession.objects.create(user=owner, generation=3, expires_at=timezone.now() + timedelta(hours=1))

    def test_the_live_session_finds_its_user_with_every_field(self, session: AuthSession) -> None:
        user = user_by_session(session.user_id, session.id, 3)
        assert user == orm_lookup(session.user_id, session.id, 3) == session.user
        expected = User.objects.get(pk=session.user_id)
        assert all(getattr(user, f.attname) == getattr(expected, f.attname) for f in User._meta.concrete_fields)

    @pytest.mark.parametrize(
        "change",
        ["old generation", "newer generation", "expired", "another user's session", "unknown session", "garbage"],
    )
    def test_anything_else_finds_nobody(self, session: AuthSession, change: str) -> None:
        user_id, session_id, generation = session.user_id, session.id, 3
        if change == "old generation":
            generation = 2
        elif change == "newer generation":
            generation = 4
        elif change == "expired":
            AuthSession.objects.filter(pk=session.pk).update(expires_at=timezone.now())
        elif change == "another user's session":
            session_id = AuthSession.objects.exclude(user_id=user_id).values_list("pk", flat=True).first()
        elif change == "unknown session":
            session_id = uuid.uuid4()
        elif change == "garbage":
            user_id = "not-a-uuid"
        assert user_by_session(user_id, session_id, generation) is None
        if change != "garbage":
            assert orm_lookup(user_id, session_id, generation) is None
