"""The OpenAPI schema tells the truth: schemathesis over every operation of /api/schema/, against the app itself.

Each operation gets generated requests — valid ones and, in negative mode, ones that break the schema — sent
anonymously and as a logged-in user whose own chat, message, post and friend request ids are put into the path
about half of the time (so the fuzzer reaches the code behind the 404s). Every answer must be no server error,
and its status code, content type and body must be the ones the schema documents for that operation.

Bounded: a fixed number of examples per operation (FUZZ_EXAMPLES overrides it), a fixed seed (reproducible;
FUZZ_SEED overrides it), no shrinking. Each operation runs in its own rolled-back transaction.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, seed, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from chats.services import chat_create
from friends.services import friend_request_send
from messages.services import message_create
from posts.services import post_create
from users.models import AuthSession, User
from users.services import session_start
from users.tests import fake_yandex

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
SEED = int(os.environ.get("FUZZ_SEED", "20261130"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=False,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def in_process(db: None) -> Iterator[None]:
    """Requests go to the WSGI app in this thread, on the test's own database connection (rolled back after the
    test): Django must not close that connection at the end of each request, as Django's test client ensures."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def yandex(settings: Any) -> Iterator[None]:
    """YandexID is configured, on the local stand-in: the OAuth operations answer as in production (without a
    provider they are a documented 404 and the fuzzer would not reach the code behind it)."""
    fake = fake_yandex.FakeYandex()
    server = fake_yandex.start(fake)
    settings.YANDEX_CLIENT_ID, settings.YANDEX_CLIENT_SECRET = fake.client_id, fake.client_secret
    settings.YANDEX_REDIRECT_URI = "https://app.example/oauth/yandex"
    settings.YANDEX_OAUTH_AUTHORIZE_URL = f"{fake.base_url}/authorize"
    settings.YANDEX_OAUTH_TOKEN_URL = f"{fake.base_url}/token"
    settings.YANDEX_INFO_URL = f"{fake.base_url}/info"
    settings.YANDEX_AVATAR_URL = f"{fake.base_url}/avatars"
    yield
    server.shutdown()
    server.server_close()


def load_schema() -> Any:
    """The served schema, fetched from the WSGI app in this process (no database needed to build it)."""
    from application.wsgi import application

    loaded = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    loaded.config.generation.update(modes=["positive", "negative"], no_shrink=True)
    return loaded


schema = load_schema()


@dataclass
class World:
    """A user with a live session and objects of their own, re-created whenever a fuzzed request removed them
    (DELETE /api/user/{id}/ with the right id, a logout with the session's own token...)."""

    user: User
    other: User
    token: str
    ids: dict[str, list[str]]

    @classmethod
    def make(cls, n: int) -> World:
        user = User.objects.create(username=f"fuzz{n}", first_name="Fuzz")
        other = User.objects.create(username=f"fuzzother{n}", first_name="Other")
        chat = chat_create(creator=user, members=[other.pk], title="Fuzz").chat
        private = chat_create(creator=user, members=[other.pk], is_private=True).chat
        mine = message_create(sender=user, chat_id=chat.pk, text="mine").row
        theirs = message_create(sender=other, chat_id=chat.pk, text="theirs").row
        assert mine is not None and theirs is not None
        post = post_create(author=user, description="fuzz")
        request = friend_request_send(from_user=other, to_user=user).request
        return cls(
            user=user,
            other=other,
            token=session_start(user).access,
            ids={
                "chat_id": [str(chat.pk), str(private.pk)],
                "message_id": [str(mine.id), str(theirs.id)],
                "user_id": [str(user.pk), str(other.pk)],
                "post_id": [str(post.pk)],
                "request_id": [str(request.pk)],
            },
        )

    def alive(self) -> bool:
        return AuthSession.objects.filter(user_id=self.user.pk).exists()

    def fill(self, case: Any) -> None:
        """Real ids for about half of the generated ones (chosen by the generated value, so reproducible)."""
        for name, value in (case.path_parameters or {}).items():
            choices = self.ids.get(name)
            digest = zlib.crc32(str(value).encode())  # not hash(): that one changes from run to run
            if choices and digest % 2 == 0:
                case.path_parameters[name] = choices[digest // 2 % len(choices)]


@pytest.fixture
def world(db: None) -> Iterator[Any]:
    counter = iter(range(1, 10_000))
    state = {"world": World.make(next(counter))}

    def current() -> World:
        if not state["world"].alive():
            state["world"] = World.make(next(counter))
        return state["world"]

    yield current


@schema.parametrize()
@seed(SEED)
@FUZZ
def test_as_a_logged_in_user(case: Any, world: Any) -> None:
    current = world()
    current.fill(case)
    case.call_and_validate(headers={"Authorization": f"Bearer {current.token}"}, checks=CHECKS)


@schema.parametrize()
@seed(SEED)
@FUZZ
def test_anonymously(case: Any, db: None) -> None:
    if case.headers:
        case.headers.pop("Authorization", None)
    case.call_and_validate(checks=CHECKS)


def test_every_operation_is_fuzzed() -> None:
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    assert {op.path for op in operations} >= {"/api/chats/", "/api/messages/", "/api/register/", "/api/auth/"}
