"""MessageShape as REST and events show it — JSON written by PostgreSQL from the declaration (pages, details, the
global search's hits, the events of stored messages) or rendered in Python (a send's event, the message list's
search) — against a reference built independently from the models, field by field of the declaration."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import orjson
from rest_framework import serializers
from rest_framework.test import APIClient

from application.shapes import Rendered
from chats.models import Chat, Membership
from chats.selectors import MemberJSON
from chats.tests.helpers import group, last_event, ogg_upload, png_upload, send, text_upload
from messages.models import Mention, Message, Reaction
from messages.selectors import Readers
from messages.services import message_pin, message_react, message_read, messages_forward
from messages.shapes import MessageShape, ReactionShape, ReplyShape, SearchHitShape
from users.models import User
from users.tests.helpers import tricky_users
from users.tests.test_shapes import reference_user

_DATETIME = serializers.DateTimeField()


def _url(file: Any) -> str | None:
    return file.storage.url(file.name) if file else None


def reference_message(message_id: object, viewer: User | None = None) -> dict[str, Any]:
    """The message from the models, as `viewer` sees it: readers are the members other than the sender whose pointer
    reaches it, highest pointer first, join order among equals; a forward's chat only for members of that chat."""
    message = Message.objects.select_related("sender", "reply_to__sender", "forwarded_from_sender").get(pk=message_id)
    memberships = Membership.objects.filter(chat_id=message.chat_id).select_related("user").order_by("joined_at", "id")
    readers = [
        m.user
        for m in sorted(memberships, key=lambda m: -m.last_read_seq)
        if m.last_read_seq >= message.seq and m.user_id != message.sender_id
    ]
    reply = message.reply_to
    reactions: dict[str, list[Reaction]] = {}
    for reaction in Reaction.objects.filter(message=message).order_by("created_at", "id"):
        reactions.setdefault(reaction.emoji, []).append(reaction)
    firsts = sorted(reactions, key=lambda emoji: (reactions[emoji][0].created_at, emoji))
    data = {
        "id": str(message.pk),
        "text": message.text,
        "voice": _url(message.voice),
        "chat": str(message.chat_id),
        "sender": reference_user(message.sender),
        "files": [
            {
                "item": _url(f.item),
                "name": f.name,
                "thumbnail": _url(f.thumbnail),
                "width": f.width,
                "height": f.height,
            }
            for f in message.files.order_by("id")
        ],
        "was_read_by": [reference_user(u) for u in readers],
        "reply_to": None
        if reply is None
        else {
            "id": str(reply.pk),
            "text": reply.text,
            "voice": _url(reply.voice),
            "sender": reference_user(reply.sender),
            "created_at": _DATETIME.to_representation(reply.created_at),
        },
        "forwarded_from": None
        if message.forwarded_from_created_at is None
        else {
            "sender": reference_user(message.forwarded_from_sender) if message.forwarded_from_sender else None,
            "chat": str(message.forwarded_from_chat_id)
            if viewer is not None
            and Membership.objects.filter(chat_id=message.forwarded_from_chat_id, user=viewer).exists()
            else None,
            "created_at": _DATETIME.to_representation(message.forwarded_from_created_at),
        },
        "mentions": [str(m.user_id) for m in Mention.objects.filter(message=message).order_by("id")],
        "reactions": [
            {"emoji": emoji, "count": len(reactions[emoji]), "users": [str(r.user_id) for r in reactions[emoji]]}
            for emoji in firsts
        ],
        "pinned_at": _DATETIME.to_representation(message.pinned_at) if message.pinned_at else None,
        "pinned_by": str(message.pinned_by_id) if message.pinned_by_id else None,
        "updated_at": _DATETIME.to_representation(message.updated_at),
        "created_at": _DATETIME.to_representation(message.created_at),
    }
    assert list(data) == list(MessageShape.fields)
    assert data["reply_to"] is None or list(data["reply_to"]) == list(ReplyShape.fields)
    assert all(list(item) == list(ReactionShape.fields) for item in data["reactions"])
    return data


def _scene(make_user) -> tuple[User, Chat, list[Message]]:
    viewer = make_user()
    tricky = tricky_users(make_user)
    chat = group(tricky[0], viewer, *tricky[1:], title="g")
    senders = [tricky[1], viewer, tricky[0], tricky[4], tricky[1], tricky[5]]
    messages: list[Message] = []
    for n, sender in enumerate(senders):
        extra: dict = {}
        if n == 3:  # mentions: two members (one in another case, one before a full stop), not an e-mail address
            extra["text"] = f"@{viewer.username.upper()} and @{tricky[2].username}. mail a@{tricky[3].username}"
        if n in (2, 4):  # replies to a tricky sender's message
            extra["reply_to"] = messages[n - 2].pk
        if n in (1, 4):
            extra["files"] = [text_upload(f"a{n}.txt"), text_upload(f"b {n}.txt")]
        if n == 5:
            extra["voice"] = ogg_upload()
        messages.append(send(sender, chat, extra.pop("text", f"m{n}"), **extra))
    # Pointers spread out, so senders fall first, in the middle and last among a message's readers.
    for reader, upto in [(tricky[2], 4), (tricky[3], 1), (tricky[4], 2), (tricky[0], 5), (tricky[5], 0)]:
        message_read(actor=reader, message_id=messages[upto].pk)
    # Reactions: several emojis (a ZWJ sequence, a flag, a skin tone), several users, one toggled off again.
    for reactor, n, emoji in [
        (viewer, 1, "👍"),
        (tricky[2], 1, "👨‍👩‍👧"),
        (tricky[3], 1, "👍"),
        (tricky[1], 4, "🇷🇺"),
        (viewer, 4, "👍🏽"),
        (viewer, 1, "👨‍👩‍👧"),
        (viewer, 1, "👨‍👩‍👧"),
    ]:
        message_react(actor=reactor, message_id=messages[n].pk, emoji=emoji)
    message_pin(actor=tricky[0], message_id=messages[2].pk)
    # Forwards into the chat: from a chat the viewer is in (its id shown) and from one they are not in (hidden),
    # with an image (size and thumbnail) and a voice recording shared with the originals.
    mine = group(viewer, tricky[1], title="mine")
    theirs = group(tricky[1], tricky[2], title="theirs")
    originals = [
        send(tricky[1], mine, "from mine", files=[png_upload("p.png"), text_upload("t.txt")]),
        send(tricky[2], theirs, "from theirs", voice=ogg_upload()),
    ]
    forwarded = messages_forward(actor=tricky[1], chat_id=chat.pk, message_ids=[m.pk for m in originals])
    messages += [Message.objects.get(pk=write.row.id) for write in forwarded]
    return viewer, chat, messages


def test_pages_and_details_equal_the_reference(make_user, client_for) -> None:
    viewer, chat, messages = _scene(make_user)
    client: APIClient = client_for(viewer)
    response = client.get("/api/messages/", {"chat": str(chat.pk)})
    assert isinstance(response.data["results"][0], Rendered)  # written by PostgreSQL
    body = response.json()["results"]
    assert body == [reference_message(m.pk, viewer) for m in reversed(messages)]
    assert sorted(len(m["was_read_by"]) for m in body) == [0, 0, 1, 2, 2, 2, 4, 5]
    assert [m["forwarded_from"]["chat"] is not None for m in body[:2]] == [False, True]
    assert body[1]["files"][0]["width"] == 8 and body[1]["files"][0]["thumbnail"]
    for data in body:
        MessageShape.check(data)
    cursor_page = client.get("/api/messages/", {"chat": str(chat.pk), "page_size": 2, "before": str(messages[3].pk)})
    assert cursor_page.json()["results"] == [reference_message(m.pk, viewer) for m in (messages[2], messages[1])]
    for message in messages:
        assert client.get(f"/api/message/{message.pk}/").json() == reference_message(message.pk, viewer)


def test_the_event_of_a_send_equals_the_reference(make_user, client_for) -> None:
    _viewer, chat, messages = _scene(make_user)
    member = User.objects.get(pk=messages[1].sender_id)
    response = client_for(member).post(
        "/api/messages/",
        {
            "chat": str(chat.pk),
            "text": "x",
            "voice": ogg_upload(),
            "reply_to": str(messages[0].pk),
            "files": [text_upload("c.txt"), text_upload("d.txt")],
        },
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json() == reference_message(response.json()["id"])
    assert last_event().data["message"] == response.json()


def test_search_results_equal_the_reference(make_user, client_for, settings) -> None:
    """A search's page is rendered in Python: the same shape; a big group's readers are not listed there either."""
    viewer, chat, _messages = _scene(make_user)
    client: APIClient = client_for(viewer)
    found = client.get("/api/messages/", {"chat": str(chat.pk), "search": "m"}).json()["results"]
    assert len(found) >= 6 and any(m["was_read_by"] for m in found)
    assert found == [reference_message(m["id"], viewer) for m in found]
    settings.CONSTANTS = dataclasses.replace(settings.CONSTANTS, CONTRACT_GROUP_MAX_MEMBERS=3)
    big = client.get("/api/messages/", {"chat": str(chat.pk), "search": "m"}).json()["results"]
    assert [m["id"] for m in big] == [m["id"] for m in found] and all(m["was_read_by"] == [] for m in big)
    page = {m["id"]: m for m in client.get("/api/messages/", {"chat": str(chat.pk), "page_size": 50}).json()["results"]}
    assert big == [page[m["id"]] for m in big]


def test_search_hits_equal_the_reference(make_user, client_for, settings) -> None:
    """The global search's hits are written by PostgreSQL: their messages are the reference's; a big group's
    readers are not listed there either."""
    viewer, chat, _messages = _scene(make_user)
    client: APIClient = client_for(viewer)
    hits = []
    for q in ("m", "from"):
        params = {"q": q, "chat": str(chat.pk), "order": "recent", "page_size": 50}
        response = client.get("/api/messages/search/", params)
        assert isinstance(response.data["results"][0], Rendered)
        hits += response.json()["results"]
    # Files, a voice recording, replies, reactions, mentions, a pin, forwards from a chat the viewer is in and from
    # one they are not in.
    assert len(hits) >= 8 and any(hit["message"]["was_read_by"] for hit in hits)
    assert {hit["message"]["text"] for hit in hits} >= {"m1", "m5", "from mine", "from theirs"}
    assert [hit["message"] for hit in hits] == [reference_message(hit["message"]["id"], viewer) for hit in hits]
    for hit in hits:
        SearchHitShape.check(hit)
    settings.CONSTANTS = dataclasses.replace(settings.CONSTANTS, CONTRACT_GROUP_MAX_MEMBERS=3)
    big = client.get("/api/messages/search/", {"q": "m", "chat": str(chat.pk), "order": "recent"}).json()["results"]
    assert big and all(hit["message"]["was_read_by"] == [] for hit in big)


def test_reader_slices_drop_exactly_the_sender() -> None:
    """Every seq and every sender position (first, middle, last, not a reader, none) over readers that share
    pointers: the sliced JSON text equals the readers filtered one by one."""
    pointers = [9, 7, 7, 7, 4, 2, 2]
    ids = [f"00000000-0000-0000-0000-00000000000{n}" for n in range(len(pointers))]
    members = [
        MemberJSON(pk, p, orjson.dumps({"id": pk, "name": f'n"{n}'}))
        for n, (p, pk) in enumerate(zip(pointers, ids, strict=True))
    ]
    readers = Readers(members)
    by_id = {m.user_id: orjson.loads(m.json) for m in members}
    for seq, sender in itertools.product(range(11), [*ids, "00000000-0000-0000-0000-0000000000ff", None]):
        expected = [by_id[m.user_id] for m in members if m.last_read_seq >= seq and m.user_id != sender]
        assert orjson.loads(readers.of(seq, sender).raw) == expected, (seq, sender)
