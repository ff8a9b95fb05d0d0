"""Fixtures shared by every app's tests. Tests run on PostgreSQL (scripts/test.sh starts a throwaway cluster)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from users.models import User
from users.services import session_start

# Playwright fixtures driving Debian's Chromium (browser, new_context, context, page, console_errors); the realtime
# stack (Redis, Centrifugo, the relay, nginx, centrifuge-python clients), shared by every app's tests.
pytest_plugins = ["application.tests.browser", "centrifugo.tests.stack"]

PASSWORD = "correct-horse-battery-staple"
_counter = itertools.count(1)


@pytest.fixture(scope="session")
def db_sessions_closed(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Set up before live servers, nginx, the relay and the browser, so it is torn down after them: waits until
    their database sessions (e.g. a live-server thread kept alive by a keep-alive connection of nginx or Chromium)
    are gone, so the test database can be dropped."""
    yield
    with django_db_blocker.unblock():
        wait_for_other_sessions()


def wait_for_other_sessions(*, busy_only: bool = False, timeout: float = 10) -> None:
    """Wait (at most `timeout` s) until no other session is connected to the test database, or with `busy_only`,
    until none is running a statement or holding a transaction open."""
    from django.db import connection

    busy = " AND state IN ('active', 'idle in transaction')" if busy_only else ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                f"{busy}"
            )
            if cursor.fetchone()[0] == 0:
                return
        time.sleep(0.05)


@pytest.fixture(scope="session")
def live_server(db_sessions_closed: None, live_server: Any) -> Any:
    """pytest-django's live server, always started after db_sessions_closed so that it stops before the wait."""
    return live_server


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    # Hashing cost is not under test; the validators and the flow are.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(**fields: Any) -> User:
        n = next(_counter)
        fields.setdefault("username", f"user{n}")
        fields.setdefault("first_name", f"First{n}")
        fields.setdefault("last_name", f"Last{n}")
        user = User(**fields)
        user.set_password(PASSWORD)
        user.save()
        return user

    return make


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture
def other_user(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for() -> Callable[[User], APIClient]:
    """An API client authenticated as the given user with a real token pair."""

    def make(user: User) -> APIClient:
        client = APIClient()
        tokens = session_start(user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access}")
        client.tokens = tokens  # type: ignore[attr-defined]
        client.user = user  # type: ignore[attr-defined]
        return client

    return make


@pytest.fixture
def api(client_for: Callable[[User], APIClient], user: User) -> APIClient:
    return client_for(user)


# Roles for the permission matrices of chats and messages: a group's creator, a member, someone outside it.


@pytest.fixture
def creator(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture
def member(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture
def outsider(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture
def as_creator(client_for: Callable[[User], APIClient], creator: User) -> APIClient:
    return client_for(creator)


@pytest.fixture
def as_member(client_for: Callable[[User], APIClient], member: User) -> APIClient:
    return client_for(member)


@pytest.fixture
def as_outsider(client_for: Callable[[User], APIClient], outsider: User) -> APIClient:
    return client_for(outsider)
