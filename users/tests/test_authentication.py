from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from application.model_fields import table_fields
from users.authentication import VALIDATED, ValidatedTokens, user_by_session
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
        assert all(getattr(user, f.attname) == getattr(expected, f.attname) for f in table_fields(User))

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


class TestValidatedTokens:
    """The process keeps tokens it validated until they expire; the session check still runs every request."""

    def test_a_known_token_of_a_revoked_session_is_refused(self, make_user, client_for) -> None:
        from rest_framework.test import APIClient

        from users.services import session_start

        user = make_user()
        access = session_start(user).access
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        assert client.get("/api/health/db/").status_code == 200
        assert VALIDATED.get(access.encode()) is not None  # validated once, kept
        AuthSession.objects.filter(user=user).delete()
        assert client.get("/api/health/db/").status_code == 401

    def test_an_expired_token_is_not_served_from_memory(self, make_user, monkeypatch: pytest.MonkeyPatch) -> None:
        from rest_framework_simplejwt.exceptions import InvalidToken

        from users.authentication import JWTAuthentication
        from users.services import session_start

        access = session_start(make_user()).access
        raw = access.encode()
        JWTAuthentication().get_validated_token(raw)
        assert VALIDATED.get(raw) is not None
        later = time.time() + 2 * 3600
        monkeypatch.setattr(time, "time", lambda: later)
        monkeypatch.setattr("rest_framework_simplejwt.tokens.aware_utcnow", lambda: timezone.now() + timedelta(hours=2))
        assert VALIDATED.get(raw) is None
        with pytest.raises(InvalidToken):
            JWTAuthentication().get_validated_token(raw)

    def test_the_oldest_go_first(self) -> None:
        tokens = ValidatedTokens(size=2)
        for n in range(3):
            tokens.add(f"t{n}".encode(), object())  # type: ignore[arg-type]
        assert [key[1] for key in tokens.entries] == [b"t1", b"t2"]
