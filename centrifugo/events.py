"""The catalogue of realtime events: every kind is declared once, as an `EventKind` — its name, the channel family
it goes to, the shape of its payload and the services that emit it. Each app declares its kinds in its own
`events.py`; every declaration lands in `CATALOGUE` (docs/realtime.md's table is checked against it).

Services publish through the kind: `MESSAGE_CREATE.publish(user_ids, message=row)` renders the payload from the
declared shape and queues it in the outbox (`centrifugo.outbox`), inside the service's transaction. Nothing else
writes events, so a payload cannot drift from its declaration.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from application.shapes import RenderContext, Shape, ShapeError
from centrifugo import ephemeral, outbox


@dataclass(frozen=True)
class ChannelFamily:
    """Channels of one kind, one per user: `template` names a user's channel (`{user}`: the user id)."""

    name: str
    template: str
    description: str

    def channel(self, user_id: uuid.UUID | str) -> str:
        return self.template.format(user=user_id)


PERSONAL = ChannelFamily("personal", "{user}", "the user's own channel (the contract's): message events only")
CHATS = ChannelFamily("chats", "chats:{user}", "opt-in: the user's chat list")
SOCIAL = ChannelFamily("social", "social:{user}", "opt-in: friends and posts")
FAMILIES = (PERSONAL, CHATS, SOCIAL)

CATALOGUE: dict[str, EventKind] = {}


@dataclass(frozen=True)
class EventKind:
    """One kind of event. Its data is `{"event": <name>, **<payload rendered>}`."""

    name: str
    family: ChannelFamily
    payload: type[Shape]
    emitted_by: tuple[str, ...]
    description: str
    # Durable kinds go through the outbox (committed with the change, kept in the channel's history); the others
    # are published at once, without history (centrifugo.ephemeral), and may be lost.
    durable: bool = True

    def __post_init__(self) -> None:
        if self.name in CATALOGUE:
            raise ValueError(f"event {self.name!r} is declared twice")
        CATALOGUE[self.name] = self

    def render(self, context: RenderContext | None = None, **fields: Any) -> dict[str, Any]:
        """The event's data; `fields` are the payload's values by field source (rows of nested shapes)."""
        return {"event": self.name, **self.payload.render(SimpleNamespace(**fields), context or RenderContext())}

    def publish(
        self, user_ids: Iterable[uuid.UUID | str], context: RenderContext | None = None, **fields: Any
    ) -> tuple[dict[str, Any], list[str]]:
        """Queue the event for every user's channel of this family (one outbox row); returns the data and the
        channels."""
        data = self.render(context, **fields)
        return data, self.send(user_ids, data)

    def publish_now(
        self, user_ids: Iterable[uuid.UUID | str], context: RenderContext | None = None, **fields: Any
    ) -> tuple[dict[str, Any], list[str]]:
        """Publish an ephemeral kind to every user's channel of this family at once, kept in no history; returns
        the data and the channels (none when Centrifugo could not take it)."""
        assert not self.durable, f"{self.name!r} is durable: publish() it through the outbox"
        data = self.render(context, **fields)
        channels = sorted({self.family.channel(user_id) for user_id in user_ids})
        return data, channels if ephemeral.broadcast(channels, data) else []

    def send(self, user_ids: Iterable[uuid.UUID | str], data: dict[str, Any]) -> list[str]:
        """Queue data rendered earlier by `render` (a service that renders before it locks anything)."""
        assert data["event"] == self.name, f"{data['event']!r} data sent as {self.name!r}"
        assert self.durable, f"{self.name!r} is ephemeral: publish_now() it"
        channels = sorted({self.family.channel(user_id) for user_id in user_ids})
        outbox.publish(channels, data)
        return channels

    def check(self, data: Any) -> None:
        """Raise ShapeError unless `data` is exactly this kind's declared event."""
        if not isinstance(data, dict) or data.get("event") != self.name:
            raise ShapeError(f"not a {self.name!r} event: {data!r:.200}")
        self.payload.check({key: value for key, value in data.items() if key != "event"}, self.name)


def kind_of(data: dict[str, Any]) -> EventKind:
    """The declared kind of an event's data (KeyError for an undeclared one)."""
    return CATALOGUE[data["event"]]


def _describe(field: Any) -> str:
    text = field.describe()
    return f"{text} or null" if field.null else text


def catalogue_markdown() -> str:
    """The catalogue as docs/realtime.md shows it (a test keeps the two equal; `manage.py events_table` prints it)."""
    lines = ["| event | channel | payload (beside `event`) | emitted by | when |", "| --- | --- | --- | --- | --- |"]
    for kind in sorted(CATALOGUE.values(), key=lambda kind: FAMILIES.index(kind.family)):
        payload = ", ".join(f"`{name}`: {_describe(field)}" for name, field in kind.payload.fields.items())
        emitters = ", ".join(f"`{name}`" for name in kind.emitted_by)
        channel = f"`{kind.family.template.format(user='<user id>')}`"
        note = "" if kind.durable else " **Ephemeral**: published at once, not through the outbox, kept in no history."
        lines.append(f"| `{kind.name}` | {channel} | {payload} | {emitters} | {kind.description}{note} |")
    return "\n".join(lines) + "\n"
