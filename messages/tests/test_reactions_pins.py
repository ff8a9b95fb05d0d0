"""Reactions (toggle one emoji, at most 20 different per message) and pins (a private chat's members, a group's
creator): the REST endpoints, their refusals, the `update` events they publish and the chat's latest pin."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from chats.tests.helpers import group, last_event, outbox, private, send
from messages.models import Message, Reaction
from messages.services import message_pin, message_react
from users.models import User

pytestmark = pytest.mark.django_db


def _react(client: APIClient, message: Message, emoji: object, **extra: object):
    return client.post(f"/api/message/{message.pk}/reactions/", {"emoji": emoji, **extra}, format="json")


class TestReactions:
    def test_toggle_shows_counts_and_users_for_everyone(
        self, as_member: APIClient, as_creator: APIClient, creator: User, member: User
    ) -> None:
        chat = group(creator, member)
        message = send(creator, chat, "vote")
        response = _react(as_member, message, "👍")
        assert response.status_code == 200, response.data
        assert response.json()["reactions"] == [{"emoji": "👍", "count": 1, "users": [str(member.pk)]}]
        event = last_event()
        assert event.data == {"event": "update", "message": response.json()}
        assert sorted(event.channels) == sorted([str(creator.pk), str(member.pk)])
        both = _react(as_creator, message, "👍").json()
        assert both["reactions"] == [{"emoji": "👍", "count": 2, "users": [str(member.pk), str(creator.pk)]}]
        # Everyone sees the same message (one payload serves all).
        assert (
            as_member.get(f"/api/message/{message.pk}/").json() == as_creator.get(f"/api/message/{message.pk}/").json()
        )
        # Toggling again removes mine.
        again = _react(as_member, message, "👍").json()
        assert again["reactions"] == [{"emoji": "👍", "count": 1, "users": [str(creator.pk)]}]

    def test_active_sets_instead_of_toggling(self, as_member: APIClient, creator: User, member: User) -> None:
        message = send(creator, group(creator, member), "x")
        assert _react(as_member, message, "🔥", active=True).json()["reactions"][0]["count"] == 1
        events = len(outbox())
        assert _react(as_member, message, "🔥", active=True).json()["reactions"][0]["count"] == 1
        assert len(outbox()) == events  # nothing changed, nobody told
        assert _react(as_member, message, "🔥", active=False).json()["reactions"] == []
        assert _react(as_member, message, "🔥", active=False).status_code == 200
        # A form works too, with `active` left out meaning "toggle".
        form = as_member.post(f"/api/message/{message.pk}/reactions/", {"emoji": "🔥"}, format="multipart")
        assert form.json()["reactions"][0]["users"] == [str(member.pk)]

    @pytest.mark.parametrize(
        "emoji",
        ["", "a", "👍👍", " 👍", "👍 ", ":thumbsup:", "x" * 100, None, 5, ["👍"], "\u200d", "\ufe0f", "🇷"],
    )
    def test_not_one_emoji_is_400(self, as_member: APIClient, creator: User, member: User, emoji: object) -> None:
        message = send(creator, group(creator, member), "x")
        response = _react(as_member, message, emoji)
        assert response.status_code == 400
        assert response.json()["code"] and "emoji" in response.json()
        assert not Reaction.objects.exists()

    @pytest.mark.parametrize("emoji", ["👍🏽", "👨‍👩‍👧", "🇷🇺", "1️⃣", "❤️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"])
    def test_one_grapheme_emojis_are_accepted(self, as_member: APIClient, creator: User, member: User, emoji) -> None:
        message = send(creator, group(creator, member), "x")
        assert _react(as_member, message, emoji).json()["reactions"][0]["emoji"] == emoji

    def test_at_most_20_different(
        self, as_member: APIClient, as_creator: APIClient, creator: User, member: User
    ) -> None:
        message = send(creator, group(creator, member), "x")
        emojis = "😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙😚🙂🤗"
        for emoji in emojis:
            assert _react(as_member, message, emoji).status_code == 200
        refused = _react(as_member, message, "🤔")
        assert refused.status_code == 400 and "emoji" in refused.json()
        # One of the 20 can still be added by somebody else.
        assert _react(as_creator, message, "😀").json()["reactions"][0]["count"] == 2
        assert Reaction.objects.values("emoji").distinct().count() == 20

    def test_outsiders_and_unknown_messages(
        self, as_outsider: APIClient, as_member: APIClient, creator, member
    ) -> None:
        message = send(creator, group(creator, member), "x")
        assert _react(as_outsider, message, "👍").status_code == 403
        assert as_member.post(f"/api/message/{uuid.uuid4()}/reactions/", {"emoji": "👍"}).status_code == 404
        assert as_member.post("/api/message/nope/reactions/", {"emoji": "👍"}).status_code == 404
        assert as_member.post(f"/api/message/{message.pk}/reactions/", {}, format="json").status_code == 400
        assert not Reaction.objects.exists()

    def test_reactions_go_with_the_message_and_the_user(self, creator: User, member: User) -> None:
        from messages.services import message_delete

        chat = group(creator, member)
        message = send(creator, chat, "x")
        message_react(actor=member, message_id=message.pk, emoji="👍")
        message_delete(actor=creator, message_id=message.pk)
        assert not Reaction.objects.exists()


class TestPins:
    def test_group_creator_pins_members_may_not(
        self, as_creator: APIClient, as_member: APIClient, creator: User, member: User
    ) -> None:
        chat = group(creator, member)
        message = send(member, chat, "important")
        assert as_member.post(f"/api/message/{message.pk}/pin/").status_code == 403
        response = as_creator.post(f"/api/message/{message.pk}/pin/")
        assert response.status_code == 200
        body = response.json()
        assert body["pinned_by"] == str(creator.pk) and body["pinned_at"]
        assert last_event().data == {"event": "update", "message": body}
        assert as_member.get(f"/api/chat/{chat.pk}/").json()["pinned_message"] == body
        assert as_member.delete(f"/api/message/{message.pk}/pin/").status_code == 403
        unpinned = as_creator.delete(f"/api/message/{message.pk}/pin/")
        assert unpinned.status_code == 200 and unpinned.json()["pinned_at"] is None
        assert as_member.get(f"/api/chat/{chat.pk}/").json()["pinned_message"] is None
        events = len(outbox())
        assert as_creator.delete(f"/api/message/{message.pk}/pin/").status_code == 200
        assert len(outbox()) == events

    def test_private_either_member(self, as_member: APIClient, creator: User, member: User) -> None:
        chat = private(creator, member)
        message = send(creator, chat, "x")
        assert as_member.post(f"/api/message/{message.pk}/pin/").json()["pinned_by"] == str(member.pk)

    def test_list_latest_first_and_the_chat_names_the_latest(
        self, as_member: APIClient, creator: User, member: User, django_assert_max_num_queries
    ) -> None:
        chat = private(creator, member)
        messages = [send(creator, chat, f"m{n}") for n in range(5)]
        for n in (1, 3, 0):
            message_pin(actor=member, message_id=messages[n].pk)
        message_pin(actor=member, message_id=messages[3].pk)  # pinned again: on top
        as_member.get(f"/api/chat/{chat.pk}/pins/")
        with django_assert_max_num_queries(5):  # auth, membership, count, page, readers
            first = as_member.get(f"/api/chat/{chat.pk}/pins/", {"page_size": 2}).json()
        assert first["count"] == 3
        assert [m["text"] for m in first["results"]] == ["m3", "m0"]
        rest = as_member.get(first["next"]).json()
        assert [m["text"] for m in rest["results"]] == ["m1"] and rest["next"] is None
        assert as_member.get(f"/api/chat/{chat.pk}/").json()["pinned_message"]["text"] == "m3"
        # The pinned message deleted: the chat falls back to the previous pin.
        from messages.services import message_delete

        message_delete(actor=creator, message_id=messages[3].pk)
        assert as_member.get(f"/api/chat/{chat.pk}/").json()["pinned_message"]["text"] == "m0"

    def test_refusals(self, as_outsider: APIClient, as_member: APIClient, creator: User, member: User) -> None:
        chat = group(creator, member)
        message = send(creator, chat, "x")
        assert as_outsider.post(f"/api/message/{message.pk}/pin/").status_code == 403
        assert as_outsider.get(f"/api/chat/{chat.pk}/pins/").status_code == 403
        assert as_member.get(f"/api/chat/{uuid.uuid4()}/pins/").status_code == 404
        assert as_member.post(f"/api/message/{uuid.uuid4()}/pin/").status_code == 404
        assert as_member.get(f"/api/chat/{chat.pk}/pins/", {"before": "garbage"}).status_code == 404
        assert not Message.objects.filter(pinned_at__isnull=False).exists()
