"""Product limits in one place, as the contract's `Constants` describes.

`PRODUCTION=on` switches the strict limits the deployed contract enforced; development keeps generous ones
so that seeding and manual testing are not hampered. Everything here is a plain number: views, serializers
and services read it from `settings.CONSTANTS` (an instance of one of these classes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

MB = 1024 * 1024


@dataclass(frozen=True)
class Constants:
    # users
    USERNAME_MAX_LENGTH: int = 150
    NAME_MAX_LENGTH: int = 150
    BIO_MAX_LENGTH: int = 1000
    STATUS_MAX_LENGTH: int = 200
    # hashing a password costs time in proportion to its length: longer ones are refused before any work
    PASSWORD_MAX_LENGTH: int = 128
    # presence: "online" means seen within this window; last_online_at is written at most once per throttle
    ONLINE_WINDOW: timedelta = timedelta(minutes=5)
    PRESENCE_WRITE_THROTTLE: timedelta = timedelta(minutes=1)
    # chats and messages
    CHAT_TITLE_MAX_LENGTH: int = 255
    GROUP_MAX_MEMBERS: int = 10_000
    # The contract's group limit (production's GROUP_MAX_MEMBERS). A bigger group (where GROUP_MAX_MEMBERS is raised)
    # is shaped for its size: its message events go once to its own channel `chat:<id>` instead of to every
    # member's personal channel, and its members and readers are not listed (docs/api-chats.md, "Big groups").
    CONTRACT_GROUP_MAX_MEMBERS: int = 100
    MESSAGE_TEXT_MAX_LENGTH: int = 10_000
    MESSAGE_MAX_FILES: int = 5
    # forwarding: messages per request
    MESSAGE_MAX_FORWARD: int = 100
    # reactions: distinct emojis on one message
    MESSAGE_MAX_REACTIONS: int = 20
    # typing: at most one event per user and chat in this window (more are coalesced); clients expire it after
    # TYPING_EXPIRY without a new one
    TYPING_THROTTLE: timedelta = timedelta(seconds=3)
    TYPING_EXPIRY: timedelta = timedelta(seconds=6)
    # pagination
    PAGE_SIZE: int = 10
    MAX_PAGE_SIZE: int = 100
    # tokens
    ACCESS_TOKEN_LIFETIME: timedelta = timedelta(hours=1)
    REFRESH_TOKEN_LIFETIME: timedelta = timedelta(hours=24)
    CENTRIFUGO_TOKEN_LIFETIME: timedelta = timedelta(hours=1)
    # subscriptions to channels granted by membership (a big group's chat channel): a member who left is dropped
    # by Centrifugo when the current token expires
    CENTRIFUGO_GRANT_TOKEN_LIFETIME: timedelta = timedelta(minutes=5)
    # uploads: the whole request body, and each kind of file
    MAX_BODY_SIZE: int = 10 * MB
    # JSON bodies: deeper nesting is refused while parsing (no input of the API nests more than a few levels)
    JSON_MAX_DEPTH: int = 32
    AVATAR_MAX_SIZE: int = 5 * MB
    AVATAR_MAX_PIXELS: int = 40_000_000
    AVATAR_MAX_SIDE: int = 1024
    ATTACHMENT_MAX_SIZE: int = 10 * MB
    VOICE_MAX_SIZE: int = 10 * MB
    POST_MAX_IMAGES: int = 10
    # images in messages and posts: a stored thumbnail of at most this many pixels a side
    THUMBNAIL_MAX_SIDE: int = 320
    POST_DESCRIPTION_MAX_LENGTH: int = 5_000
    # realtime history kept by Centrifugo so reconnecting clients recover what they missed
    CENTRIFUGO_HISTORY_SIZE: int = 1000
    CENTRIFUGO_HISTORY_TTL: timedelta = timedelta(hours=1)


@dataclass(frozen=True)
class ProductionConstants(Constants):
    """The limits of the deployed contract (production only)."""

    USERNAME_MAX_LENGTH: int = 20
    NAME_MAX_LENGTH: int = 20
    BIO_MAX_LENGTH: int = 100
    CHAT_TITLE_MAX_LENGTH: int = 20
    GROUP_MAX_MEMBERS: int = 100
    MESSAGE_TEXT_MAX_LENGTH: int = 500
