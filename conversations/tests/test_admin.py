from __future__ import annotations

import pytest
from django.test import Client

from chats.models import Chat, Membership
from chats.tests.helpers import group, send
from messages.models import Message
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(make_user) -> Client:
    client = Client()
    client.force_login(make_user(is_staff=True, is_superuser=True))
    return client


def test_chat_admin_list_search_and_change_page(admin_client: Client, creator: User, member: User) -> None:
    chat = group(creator, member, title="Moderated")
    send(creator, chat)
    assert admin_client.get("/admin/chats/chat/", {"q": member.username}).status_code == 200
    response = admin_client.get(f"/admin/chats/chat/{chat.pk}/change/")
    assert response.status_code == 200
    assert member.username in response.content.decode()


def test_message_admin_search_filter_and_delete_action(admin_client: Client, creator: User, member: User) -> None:
    chat = group(creator, member)
    keep = send(member, chat, "keep me")
    spam = send(creator, chat, "buy now")
    assert admin_client.get("/admin/chat_messages/message/", {"q": "buy"}).status_code == 200
    assert admin_client.get("/admin/chat_messages/message/", {"chat": str(chat.pk)}).status_code == 200
    response = admin_client.post(
        "/admin/chat_messages/message/",
        {"action": "delete_selected", "_selected_action": [str(spam.pk)], "post": "yes"},
    )
    assert response.status_code == 302
    assert list(Message.objects.values_list("pk", flat=True)) == [keep.pk]
    chat.refresh_from_db()
    assert (chat.message_count, chat.last_message_id) == (1, keep.pk)
    assert Membership.objects.get(chat=chat, user=member).unread_count == 0


def test_chat_admin_delete(admin_client: Client, creator: User, member: User) -> None:
    chat = group(creator, member)
    send(creator, chat)
    response = admin_client.post(f"/admin/chats/chat/{chat.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Chat.objects.exists()
