"""The catalogue of realtime events: every kind is declared once, as an `EventKind` — its name, the channel family
it goes to, the shape of its payload and the services that emit it. Each app declares its kinds in its own
`events.py`; every declaration lands in `CATALOGUE` (docs/realtime.md's table is checked against it).

Services publish through the kind: `MESSAGE_CREATE.publish(user_ids, message=row)` renders the payload from the
declared shape and queues it in the outbox (`centrifugo.outbox`), inside the service's transaction. Nothing else
writes events, so a payload cannot drift from its declaration.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from application.shapes import RenderContext, Shape, ShapeError
from centrifugo import ephemeral, outbox

FAMILIES: dict[str, ChannelFamily] = {}


@dataclass(frozen=True)
class ChannelFamily:
    """Channels of one kind: `template` names one from its key (`{user}`: a user's id, `{chat}`: a chat's).

    A user may subscribe to a channel of the family when it is their own (`{user}` families), or when
    `may_subscribe(user, key)` says so (declared by the app that owns what the key names: chats/events.py declares
    the chat channel, with its membership check, since this app cannot know chats)."""

    name: str
    template: str
    description: str
    may_subscribe: Callable[[Any, str], bool] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.name in FAMILIES:
            raise ValueError(f"channel family {self.name!r} is declared twice")
        FAMILIES[self.name] = self

    @property
    def key(self) -> str:
        """The name of the template's one placeholder: `user` or `chat`."""
        return self.template[self.template.index("{") + 1 : self.template.index("}")]

    @property
    def namespace(self) -> str | None:
        """The Centrifugo namespace of the family's channels (None: channels without a namespace)."""
        prefix = self.template[: self.template.index("{")]
        return prefix.removesuffix(":") or None

    def channel(self, key: uuid.UUID | str) -> str:
        return self.template.format(**{self.key: key})

    def key_of(self, channel: str) -> str | None:
        """The key a channel of this family was named from, or None when the channel is not of this family."""
        prefix = self.template[: self.template.index("{")]
        key = channel.removeprefix(prefix) if channel.startswith(prefix) else None
        return key if key and ":" not in key else None

    def allows(self, user_id: uuid.UUID | str, channel: str, user: Any = None) -> bool:
        key = self.key_of(channel)
        if key is None:
            return False
        if self.may_subscribe is not None:
            return self.may_subscribe(user, key)
        return self.key == "user" and key == str(user_id)


PERSONAL = ChannelFamily("personal", "{user}", "the user's own channel (the contract's): message events only")
CHATS = ChannelFamily("chats", "chats:{user}", "opt-in: the user's chat list")
SOCIAL = ChannelFamily("social", "social:{user}", "opt-in: friends and posts")


def family_of(user: Any, channel: str) -> ChannelFamily | None:
    """The family through which `user` may subscribe to `channel` (their own channels, or a channel its family
    grants them); None: they may not."""
    return next((family for family in FAMILIES.values() if family.allows(user.pk, channel, user)), None)


@dataclass(frozen=True)
class Audience:
    """Who hears an event about a chat: every member on their own channel of the event's family (`users`), or,
    for a chat with more members than the contract's groups have, everyone subscribed to the chat's own channel
    (`chat`: one publication instead of one per member). `chats.selectors.message_audience` decides."""

    users: tuple[uuid.UUID, ...] = ()
    chat: uuid.UUID | str | None = None


CATALOGUE: dict[str, EventKind] = {}


@dataclass(frozen=True)
class EventKind:
    """One kind of event. Its data is `{"event": <name>, **<payload rendered>}`. It goes to the users' channels of
    `family`, or, given an `Audience` of a chat, to the chat's channel of `chat_family` (message events in big
    groups)."""

    name: str
    family: ChannelFamily
    payload: type[Shape]
    emitted_by: tuple[str, ...]
    description: str
    chat_family: ChannelFamily | None = None
    # Durable kinds go through the outbox (committed with the change, kept in the channel's history); the others
    # are published at once, without history (centrifugo.ephemeral), and may be lost.
    durable: bool = True
    # For a payload too large to build inside the request (read_all's 10,000 ids): the service queues the data
    # with that part empty and `deferred` values (JSON) naming what it holds; the relay calls
    # `complete(data, deferred)` just before delivery (`delivered_data`). What it reads must be fixed by then:
    # committed facts, such as a range of seqs.
    complete: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.name in CATALOGUE:
            raise ValueError(f"event {self.name!r} is declared twice")
        CATALOGUE[self.name] = self

    def render(self, context: RenderContext | None = None, **fields: Any) -> dict[str, Any]:
        """The event's data; `fields` are the payload's values by field source (rows of nested shapes)."""
        return {"event": self.name, **self.payload.render(SimpleNamespace(**fields), context or RenderContext())}

    def publish(
        self,
        to: Iterable[uuid.UUID | str] | Audience,
        context: RenderContext | None = None,
        *,
        deferred: dict[str, Any] | None = None,
        **fields: Any,
    ) -> tuple[dict[str, Any], list[str]]:
        """Queue the event for every user's channel of this family, or an `Audience` (one outbox row); returns the
        data and the channels. `deferred`: for a kind with `complete`, what the relay completes the data from."""
        data = self.render(context, **fields)
        return data, self.send(to, data, deferred=deferred)

    def publish_now(
        self, to: Iterable[uuid.UUID | str] | Audience, context: RenderContext | None = None, **fields: Any
    ) -> tuple[dict[str, Any], list[str]]:
        """Publish an ephemeral kind to every user's channel of this family (or an `Audience`) at once, kept in no
        history; returns the data and the channels (none when Centrifugo could not take it)."""
        assert not self.durable, f"{self.name!r} is durable: publish() it through the outbox"
        data = self.render(context, **fields)
        channels = self.channels(to)
        return data, channels if ephemeral.broadcast(channels, data) else []

    def send(
        self, to: Iterable[uuid.UUID | str] | Audience, data: dict[str, Any], *, deferred: dict[str, Any] | None = None
    ) -> list[str]:
        """Queue data rendered earlier by `render` (a service that renders before it locks anything)."""
        assert data["event"] == self.name, f"{data['event']!r} data sent as {self.name!r}"
        assert self.durable, f"{self.name!r} is ephemeral: publish_now() it"
        assert (deferred is None) or (self.complete is not None), f"{self.name!r} has no complete step"
        channels = self.channels(to)
        outbox.publish(channels, data, deferred)
        return channels

    def channels(self, to: Iterable[uuid.UUID | str] | Audience) -> list[str]:
        if isinstance(to, Audience):
            if to.chat is not None:
                assert self.chat_family is not None, f"{self.name!r} has no chat channel"
                return [self.chat_family.channel(to.chat)]
            to = to.users
        return sorted({self.family.channel(user_id) for user_id in to})

    def check(self, data: Any) -> None:
        """Raise ShapeError unless `data` is exactly this kind's declared event."""
        if not isinstance(data, dict) or data.get("event") != self.name:
            raise ShapeError(f"not a {self.name!r} event: {data!r:.200}")
        self.payload.check({key: value for key, value in data.items() if key != "event"}, self.name)


def kind_of(data: dict[str, Any]) -> EventKind:
    """The declared kind of an event's data (KeyError for an undeclared one)."""
    return CATALOGUE[data["event"]]


def delivered_data(data: dict[str, Any], deferred: dict[str, Any] | None) -> dict[str, Any]:
    """What an outbox row publishes: its data, completed by its kind when the row carries `deferred` values."""
    if deferred is None:
        return data
    complete = kind_of(data).complete
    assert complete is not None, f"{data['event']!r} has no complete step"
    return complete(data, deferred)


def _describe(shape_field: Any) -> str:
    text = shape_field.describe()
    return f"{text} or null" if shape_field.null else text


def catalogue_markdown() -> str:
    """The catalogue as docs/realtime.md shows it (a test keeps the two equal; `manage.py events_table` prints it)."""
    lines = ["| event | channel | payload (beside `event`) | emitted by | when |", "| --- | --- | --- | --- | --- |"]
    order = list(FAMILIES.values())
    for kind in sorted(CATALOGUE.values(), key=lambda kind: order.index(kind.family)):
        payload = ", ".join(f"`{name}`: {_describe(value)}" for name, value in kind.payload.fields.items())
        emitters = ", ".join(f"`{name}`" for name in kind.emitted_by)
        channel = f"`{kind.family.channel(f'<{kind.family.key} id>')}`"
        if kind.chat_family is not None:
            channel += f" or `{kind.chat_family.channel(f'<{kind.chat_family.key} id>')}`"
        note = "" if kind.durable else " **Ephemeral**: published at once, not through the outbox, kept in no history."
        lines.append(f"| `{kind.name}` | {channel} | {payload} | {emitters} | {kind.description}{note} |")
    return "\n".join(lines) + "\n"
