"""For every write service: what it publishes matches the event catalogue (kind, channel family, payload shape),
and the events are enough — applied to a client's state fetched before the write (its chat list, and the message
list of the chat), they give the state fetched after it. (Zulip's `verify_action`.)

The client here does what the contract's clients do: on a message event it updates its message list and refetches
the chat (`GET /api/chat/{id}/`) for the chat list; on a chat-list event it refetches the chat, or drops it when the
event says it is gone for this user."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from rest_framework.test import APIClient

from centrifugo.events import CHATS, PERSONAL, kind_of
from centrifugo.models import OutboxEvent
from chats import services as chats
from chats.tests.helpers import delivered, group, ogg_upload, private, send, text_upload
from conversations import services as conversations
from messages import services as messages
from users.models import User

pytestmark = pytest.mark.django_db


@dataclass
class Client:
    """One user's view: their chat list and the message list of one chat, kept up to date from events."""

    user: User
    api: APIClient
    chat_id: uuid.UUID
    chats: dict[str, Any] = field(default_factory=dict)
    messages: dict[str, Any] = field(default_factory=dict)
    badge: dict[str, int] = field(default_factory=dict)

    def fetch(self) -> tuple[dict[str, Any], dict[str, Any]]:
        listed = self.api.get("/api/chats/", {"page_size": 100}).json()["results"]
        response = self.api.get("/api/messages/", {"chat": str(self.chat_id), "page_size": 100})
        history = response.json()["results"] if response.status_code == 200 else []
        return {c["id"]: c for c in listed}, {m["id"]: m for m in history}

    def channels(self) -> set[str]:
        me = self.user.pk
        return {PERSONAL.channel(me), CHATS.channel(me), *(chat["channel"] for chat in self.chats.values())}

    def lists_readers(self, chat_id: str) -> bool:
        """A big group lists neither its members nor its messages' readers (docs/api-chats.md)."""
        chat = self.chats[chat_id]
        return len(chat["members"]) == chat["members_count"]

    def fetch_badge(self) -> dict[str, int]:
        return self.api.get("/api/chats/unread/").json()

    def count_new_message(self, message: dict[str, Any]) -> None:
        """A message of somebody else in a chat that is not muted adds to the badge (docs/api-chats.md)."""
        chat = self.chats.get(message["chat"])
        if chat is None or chat["is_muted"] or message["sender"]["id"] == str(self.user.pk):
            return
        last = chat["last_message"]
        if last is not None and last["created_at"] >= message["created_at"]:
            return  # the chat was fetched after this message: its counts include it
        self.badge["unread_messages"] += 1
        if chat["unread_messages_count"] == 0:
            self.badge["unread_chats"] += 1

    def refetch_chat(self, chat_id: str) -> None:
        response = self.api.get(f"/api/chat/{chat_id}/")
        if response.status_code == 200:
            self.chats[chat_id] = response.json()
        else:
            self.chats.pop(chat_id, None)

    def apply(self, data: dict[str, Any]) -> None:
        event = data["event"]
        if event == "unread":
            self.badge = data["totals"]
            self.refetch_chat(data["chat"]["id"])
            return
        if event == "create":
            self.count_new_message(data["message"])
        elif event not in {"update", "read", "read_all"}:
            self.badge = self.fetch_badge()  # a deletion, a chat event: refetch
        if event in {"create", "update", "read", "delete"}:
            message = data["message"]
            if message["chat"] == str(self.chat_id):
                if event == "read":
                    # Everything up to the message is read by its new readers now.
                    known = {u["id"] for u in self.messages.get(message["id"], message)["was_read_by"]}
                    for reader in (u for u in message["was_read_by"] if u["id"] not in known):
                        for older in self.messages.values():
                            readers = older["was_read_by"]
                            mine = older["sender"]["id"] == reader["id"]
                            if older["created_at"] <= message["created_at"] and not mine and reader not in readers:
                                readers.append(reader)
                if event == "delete":
                    self.messages.pop(message["id"], None)
                else:
                    self.messages[message["id"]] = message
                # A reply shows the replied-to message as it is now: patch the excerpts (docs/realtime.md).
                for reply in self.messages.values():
                    if (reply["reply_to"] or {}).get("id") == message["id"]:
                        excerpt = {key: message[key] for key in reply["reply_to"]}
                        reply["reply_to"] = None if event == "delete" else excerpt
            self.refetch_chat(message["chat"])
        elif event == "read_all":
            read = data["message"]
            if read["chat"] == str(self.chat_id) and self.lists_readers(read["chat"]):
                reader = next(u for u in self.chats[read["chat"]]["members"] if u["id"] == read["user"])
                for message_id in read["messages"]:
                    readers = self.messages[message_id]["was_read_by"]
                    if reader["id"] not in {u["id"] for u in readers}:
                        readers.append(reader)
            self.refetch_chat(read["chat"])
        elif event == "chat_delete" or (str(self.user.pk) in data.get("users", []) and event == "member_left"):
            self.chats.pop(data["chat"]["id"], None)
            if data["chat"]["id"] == str(self.chat_id):
                self.messages.clear()
        else:
            chat_id = data["chat"]["id"]
            self.refetch_chat(chat_id)
            joined = [*data.get("members_added", []), *(data["users"] if event == "member_joined" else [])]
            left = [*data.get("members_removed", []), *(data["users"] if event == "member_left" else [])]
            if chat_id != str(self.chat_id):
                return
            if str(self.user.pk) in joined:  # a newcomer loads the history
                self.messages = self.fetch()[1]
                return
            if str(self.user.pk) in left:
                self.messages.clear()
                return
            # Newcomers start with the history read; those who left are nobody's readers any more.
            if not self.lists_readers(chat_id):
                return
            newcomers = [u for u in self.chats[chat_id]["members"] if u["id"] in joined]
            for message in self.messages.values():
                readers = [u for u in message["was_read_by"] if u["id"] not in left]
                readers += [u for u in newcomers if u["id"] != message["sender"]["id"]]
                message["was_read_by"] = readers


def _normalized(messages: dict[str, Any]) -> dict[str, Any]:
    # A client cannot know the readers' pointer order from a `read_all` event: compare readers as sets.
    return {key: {**m, "was_read_by": sorted(u["id"] for u in m["was_read_by"])} for key, m in sorted(messages.items())}


def _difference(client: Client, after: dict[str, Any]) -> str:
    mine, theirs = _normalized(client.messages), _normalized(after)
    lines = [f"{client.user.username}: {sorted(set(mine) ^ set(theirs))}"]
    for key in set(mine) & set(theirs):
        for name in mine[key]:
            if mine[key][name] != theirs[key][name]:
                lines.append(f"{key} {name}: {mine[key][name]!r} != {theirs[key][name]!r}")
    return "\n".join(lines)


def verify_action(clients: list[Client], action: Callable[[], Any]) -> list[dict[str, Any]]:
    """Fetch every client's state, run the action, check its events against the catalogue, deliver each event to
    the clients whose channels it names, and compare with a fresh fetch. Returns the events' data."""
    for client in clients:
        client.chats, client.messages = client.fetch()
        client.badge = client.fetch_badge()
    last = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    action()
    rows = list(OutboxEvent.objects.filter(id__gt=last).order_by("id"))
    published = [delivered(row) for row in rows]
    for row, data in zip(rows, published, strict=True):
        kind = kind_of(data)
        kind.check(data)
        families = [kind.family, *([kind.chat_family] if kind.chat_family else [])]
        for channel in row.channels:
            assert any(family.key_of(channel) for family in families), (kind.name, channel)
        for client in clients:
            # Subscribed as a client is: its own channels, and the channel each chat of its list names.
            if client.channels() & set(row.channels):
                client.apply(data)
    for client in clients:
        chats_after, messages_after = client.fetch()
        assert client.chats == chats_after, client.user.username
        assert client.badge == client.fetch_badge(), client.user.username
        assert _normalized(client.messages) == _normalized(messages_after), _difference(client, messages_after)
    return published


@pytest.fixture
def trio(creator: User, member: User, outsider: User, client_for: Callable[[User], APIClient]) -> Any:
    team = group(creator, member, title="Team")
    send(member, team, "hello")

    def clients(chat_id: uuid.UUID = team.pk) -> list[Client]:
        return [Client(user, client_for(user), chat_id) for user in (creator, member, outsider)]

    return team, clients


def test_message_writes(trio: Any, creator: User, member: User) -> None:
    team, clients = trio
    people = clients()
    sent = verify_action(people, lambda: messages.message_create(sender=creator, chat_id=team.pk, text="hi"))
    first = sent[0]["message"]["id"]
    reply = verify_action(
        people,
        lambda: messages.message_create(
            sender=member, chat_id=team.pk, text="re", reply_to=first, voice=ogg_upload(), files=[text_upload()]
        ),
    )
    verify_action(people, lambda: messages.message_update(actor=creator, message_id=first, text="edited"))
    verify_action(people, lambda: messages.message_read(actor=member, message_id=first))
    verify_action(people, lambda: messages.message_read(actor=creator, message_id=reply[0]["message"]["id"]))
    verify_action(people, lambda: messages.message_create(sender=creator, chat_id=team.pk, text="more"))
    verify_action(people, lambda: messages.messages_read_all(actor=member, chat_id=team.pk))
    verify_action(people, lambda: messages.message_react(actor=member, message_id=first, emoji="👍"))
    verify_action(people, lambda: messages.message_react(actor=creator, message_id=first, emoji="👍"))
    verify_action(people, lambda: messages.message_pin(actor=creator, message_id=first))
    from messages.models import Reaction

    reaction = Reaction.objects.filter(message_id=first).first()
    verify_action(people, lambda: messages.reaction_moderate_delete(reaction_id=reaction.pk))
    verify_action(people, lambda: messages.message_moderate_unpin(message_id=first))
    verify_action(people, lambda: messages.message_pin(actor=creator, message_id=first))
    pair = private(creator, member)
    secret = send(creator, pair, "from the pair", files=[text_upload()])
    forwarded = verify_action(
        people, lambda: messages.messages_forward(actor=creator, chat_id=team.pk, message_ids=[secret.pk])
    )
    verify_action(
        people, lambda: messages.message_react(actor=member, message_id=forwarded[0]["message"]["id"], emoji="👍")
    )
    verify_action(people, lambda: messages.message_delete(actor=creator, message_id=forwarded[0]["message"]["id"]))
    verify_action(people, lambda: messages.message_delete(actor=creator, message_id=first))
    verify_action(people, lambda: messages.message_moderate_update(message_id=reply[0]["message"]["id"], text="mod"))
    verify_action(people, lambda: messages.message_moderate_delete(message_id=reply[0]["message"]["id"]))


def test_chat_writes(trio: Any, creator: User, member: User, outsider: User) -> None:
    team, clients = trio
    people = clients()
    verify_action(people, lambda: chats.chat_mute(actor=member, chat_id=team.pk))
    verify_action(people, lambda: messages.message_create(sender=creator, chat_id=team.pk, text="muted for member"))
    verify_action(people, lambda: chats.chat_mute(actor=member, chat_id=team.pk, muted=False))
    verify_action(people, lambda: messages.message_create(sender=creator, chat_id=team.pk, text=f"@{member.username}"))
    verify_action(people, lambda: chats.chat_update(actor=creator, chat_id=team.pk, title="Renamed"))
    verify_action(people, lambda: chats.chat_member_add(actor=creator, chat_id=team.pk, users=[outsider.pk]))
    verify_action(people, lambda: messages.message_create(sender=outsider, chat_id=team.pk, text="hi all"))
    verify_action(people, lambda: chats.chat_leave(actor=outsider, chat_id=team.pk))
    verify_action(people, lambda: chats.chat_update(actor=creator, chat_id=team.pk, members=[outsider.pk]))
    verify_action(people, lambda: chats.chat_member_remove(actor=creator, chat_id=team.pk, user_id=outsider.pk))
    verify_action(people, lambda: chats.chat_moderate_update(chat_id=team.pk, title="Moderated"))
    verify_action(people, lambda: conversations.chat_delete(actor=creator, chat_id=team.pk))


def test_chat_creation_and_account_deletion(trio: Any, creator: User, member: User, outsider: User) -> None:
    from accounts.services import account_delete

    team, clients = trio
    people = clients()
    started = verify_action(
        people,
        lambda: conversations.chat_start(creator=outsider, members=[member.pk], is_private=True, text="hello"),
    )
    assert [data["event"] for data in started] == ["chat_create", "create"]
    pair = private(creator, outsider)
    send(creator, pair, "x")
    verify_action(people[:2], lambda: account_delete(actor=outsider, user_id=outsider.pk))
    verify_action(people[:2], lambda: conversations.chat_moderate_delete(chat_id=team.pk))


def test_message_writes_in_a_big_group_reach_its_channel_subscribers(
    trio: Any, creator: User, member: User, settings
) -> None:
    # A group above the personal channel's limit (lowered here): message events go once to the chat's channel,
    # which the chat names and its members subscribe to; nothing reaches the members' personal channels.
    settings.CONSTANTS = dataclasses.replace(settings.CONSTANTS, CONTRACT_GROUP_MAX_MEMBERS=1)
    team, clients = trio
    people = clients()
    sent = verify_action(people, lambda: messages.message_create(sender=creator, chat_id=team.pk, text="hi"))
    first = sent[0]["message"]["id"]
    verify_action(people, lambda: messages.message_update(actor=creator, message_id=first, text="edited"))
    verify_action(people, lambda: messages.message_read(actor=member, message_id=first))
    verify_action(people, lambda: messages.message_create(sender=creator, chat_id=team.pk, text="more"))
    verify_action(people, lambda: messages.messages_read_all(actor=member, chat_id=team.pk))
    verify_action(people, lambda: messages.message_delete(actor=creator, message_id=first))
    verify_action(people, lambda: chats.chat_leave(actor=member, chat_id=team.pk))
    message_events = [row for row in OutboxEvent.objects.order_by("id") if kind_of(row.data).chat_family is not None]
    assert message_events and all(row.channels == [f"chat:{team.pk}"] for row in message_events[-4:])
    # Reads go to the reader alone: nobody else is shown readers in a big group.
    reads = [row for row in OutboxEvent.objects.order_by("id") if row.data["event"] in ("read", "read_all")]
    assert [(row.data["event"], row.channels) for row in reads[-2:]] == [
        ("read", [str(member.pk)]),
        ("read_all", [str(member.pk)]),
    ]
