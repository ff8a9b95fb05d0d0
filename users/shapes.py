"""The user as the API shows them: to others (`UserShape`) and to themselves (`CurrentUserShape`)."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from application.shapes import UUID, Boolean, Choice, DateTime, FileURL, Nested, RenderContext, Shape, SQLContext, Text
from users.models import User


class OnlineSince(Boolean):
    """`is_online`: the user was seen within the online window (derived from `last_online_at`, never stored)."""

    def value(self, row: Any, context: RenderContext) -> bool:
        return bool(getattr(row, self.source or self.name) >= context.online_since)

    def json_sql(self, column: str, context: SQLContext) -> tuple[str, list[Any]]:
        return f"CASE WHEN {column} >= %s THEN 'true' ELSE 'false' END", [context.online_since]


class UserShape(Shape):
    """The contract's user, as every other user sees them."""

    schema_name = "User"
    cache_key = "id"  # a user repeats within a response (members, readers): rendered once

    id = UUID()
    username = Text()
    first_name = Text()
    last_name = Text()
    bio = Text(null=True)
    avatar = FileURL(null=True)
    last_online_at = DateTime()
    is_online = OnlineSince(source="last_online_at", help_text="Seen within the last 5 minutes")


class CurrentUserShape(UserShape):
    """The user as they see themselves: the public fields and their private ones."""

    schema_name = "CurrentUser"

    email = Text(null=True)
    status = Text()
    language = Choice(
        User.Language.values,
        help_text="The language of the API's messages for this user's requests (`en` by default); the browser's "
        "Accept-Language never switches it",
    )


@dataclass(slots=True)
class UserRow:
    """A user's columns as UserShape reads them (a model instance reads the same way)."""

    id: uuid.UUID
    username: str
    first_name: str
    last_name: str
    bio: str | None
    avatar: str | None  # the stored name
    last_online_at: datetime.datetime

    # `.values_list(*UserRow.columns(prefix))` gives a row's arguments in order.
    @classmethod
    def columns(cls, prefix: str = "") -> list[str]:
        return [prefix + name for name in cls.__dataclass_fields__]


class TokenPairShape(Shape):
    """A JWT pair: `access` (Bearer, 1 hour) and `refresh` (24 hours; rotated by every refresh)."""

    schema_name = "TokenPair"

    access = Text()
    refresh = Text()


class CsrfTokenShape(Shape):
    schema_name = "CsrfToken"

    csrf_token = Text(
        help_text="Send it back in the `X-CSRFToken` header on unsafe requests (it is also in the `csrftoken` cookie)"
    )


class CookieSessionShape(CsrfTokenShape):
    """A cookie-session login: the user, and the CSRF token (the JWTs are in HttpOnly cookies)."""

    schema_name = "CookieSession"

    user = Nested(CurrentUserShape)


class OAuthAuthorizeShape(Shape):
    schema_name = "OAuthAuthorize"

    authorize_url = Text(help_text="Send the browser here")
    state = Text(help_text="Signed, valid for a few minutes; Yandex sends it back with the code")


class ExternalIdentityShape(Shape):
    """An outside account (YandexID) that logs in as the user."""

    schema_name = "ExternalIdentity"

    provider = Choice(["yandex"])
    uid = Text()
    email = Text()
    created_at = DateTime()
