"""Forwarding: order, origin (the chat only for its members, in REST and in events), shared files that stay until
no message names them, refusals; thumbnails and sizes of images."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from chats.tests.helpers import group, ogg_upload, outbox, png_upload, private, send, text_upload
from conversations.services import chat_delete
from messages.models import Message, MessageFile
from messages.services import message_delete, messages_forward
from users.models import User

pytestmark = pytest.mark.django_db


def _forward(client: APIClient, chat, messages, **extra):
    return client.post(
        "/api/messages/forward/",
        {"chat": str(chat.pk), "messages": [str(m.pk) for m in messages], **extra},
        format="json",
    )


def _stored(settings) -> set[str]:
    root = settings.MEDIA_ROOT
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_forward_in_order_with_origin_per_viewer(
    creator: User, member: User, outsider: User, client_for, settings
) -> None:
    source = private(creator, member)
    target = group(member, outsider, title="target")
    first = send(creator, source, "first", files=[png_upload(), text_upload()])
    second = send(member, source, "second", voice=ogg_upload())
    response = _forward(client_for(member), target, [second, first])  # any order: sent oldest first
    assert response.status_code == 201, response.content
    body = response.json()
    assert [m["text"] for m in body] == ["first", "second"]
    assert body[0]["sender"]["id"] == str(member.pk)
    assert body[0]["forwarded_from"]["sender"]["id"] == str(creator.pk)
    assert body[0]["forwarded_from"]["chat"] == str(source.pk)  # the forwarder is in the source chat
    # The same files, not copies.
    assert sorted(f.item.name for f in MessageFile.objects.filter(message_id=body[0]["id"])) == sorted(
        f.item.name for f in first.files.all()
    )
    assert Message.objects.get(pk=body[1]["id"]).voice.name == second.voice.name
    # The outsider is not in the source chat: no chat for them, over REST and in their event.
    theirs = client_for(outsider).get(f"/api/message/{body[0]['id']}/").json()
    assert theirs["forwarded_from"]["chat"] is None and theirs["forwarded_from"]["sender"]["id"] == str(creator.pk)
    creates = [row for row in outbox() if row.data["event"] == "create" and row.data["message"]["id"] == body[0]["id"]]
    by_channel = {channel: row.data["message"]["forwarded_from"]["chat"] for row in creates for channel in row.channels}
    assert by_channel == {str(member.pk): str(source.pk), str(outsider.pk): None}
    # A forward of a forward keeps the first origin.
    again = _forward(client_for(outsider), group(outsider, title="solo"), [Message.objects.get(pk=body[0]["id"])])
    assert again.json()[0]["forwarded_from"]["sender"]["id"] == str(creator.pk)


def test_shared_files_stay_until_no_message_uses_them(
    creator: User, member: User, settings, django_capture_on_commit_callbacks
) -> None:
    source = private(creator, member)
    target = group(member, title="target")
    original = send(creator, source, "x", files=[png_upload(), text_upload()], voice=ogg_upload())
    names = {original.voice.name} | {n for f in original.files.all() for n in (f.item.name, f.thumbnail.name) if n}
    assert len(names) == 4  # voice, image, its thumbnail, text file
    copies = messages_forward(actor=member, chat_id=target.pk, message_ids=[original.pk])
    copy_of_copy = messages_forward(actor=member, chat_id=source.pk, message_ids=[copies[0].row.id])
    assert names <= _stored(settings)
    with django_capture_on_commit_callbacks(execute=True):
        message_delete(actor=creator, message_id=original.pk)
    assert names <= _stored(settings)  # still used by the copies
    with django_capture_on_commit_callbacks(execute=True):
        chat_delete(actor=member, chat_id=target.pk)
    assert names <= _stored(settings)  # still used by the copy of the copy
    with django_capture_on_commit_callbacks(execute=True):
        message_delete(actor=member, message_id=copy_of_copy[0].row.id)
    assert not names & _stored(settings)


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"messages": []}, 400),
        ({"messages": "x"}, 400),
        ({}, 400),
        ({"messages": [str(uuid.uuid4())]}, 404),
        ({"messages": ["nope"]}, 404),
        ({"messages": [str(uuid.uuid4())] * 101}, 400),  # one id, but more entries than a forward takes
    ],
)
def test_bad_input(creator: User, member: User, client_for, payload: dict, status: int) -> None:
    chat = group(creator, member)
    send(creator, chat, "x")
    before = Message.objects.count()
    response = client_for(member).post("/api/messages/forward/", {"chat": str(chat.pk), **payload}, format="json")
    assert response.status_code == status, response.content
    assert response.json()["code"]
    assert Message.objects.count() == before


def test_refusals(creator: User, member: User, outsider: User, client_for) -> None:
    theirs = group(creator, outsider)
    secret = send(creator, theirs, "secret")
    mine = group(member, creator)
    visible = send(creator, mine, "ok")
    as_member = client_for(member)
    assert _forward(as_member, mine, [secret]).status_code == 404  # a message of a chat I am not in
    assert _forward(as_member, theirs, [visible]).status_code == 403  # to a chat I am not in
    assert (
        as_member.post(
            "/api/messages/forward/", {"chat": str(uuid.uuid4()), "messages": [str(visible.pk)]}, format="json"
        ).status_code
        == 404
    )
    too_many = [str(visible.pk)] + [str(uuid.uuid4()) for _ in range(100)]
    response = as_member.post("/api/messages/forward/", {"chat": str(mine.pk), "messages": too_many}, format="json")
    assert response.status_code == 400
    assert Message.objects.count() == 2


def test_query_budget(creator: User, member: User, client_for, django_assert_max_num_queries) -> None:
    source = group(creator, member)
    originals = [send(creator, source, f"m{n}", files=[text_upload()] if n % 2 else []) for n in range(10)]
    target = group(member, creator, title="t")
    client = client_for(member)
    client.get("/api/chats/")
    # auth, target membership, lock, originals, their files; per message: files, send, row, readers, members,
    # audiences, outbox
    with django_assert_max_num_queries(5 + 7 * 10):
        assert _forward(client, target, originals).status_code == 201


def test_image_sizes_and_thumbnails(creator: User, member: User, client_for, settings) -> None:
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (1000, 400), "blue").save(buffer, format="JPEG")
    photo = SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")
    chat = group(creator, member)
    response = client_for(creator).post(
        "/api/messages/", {"chat": str(chat.pk), "files": [photo, text_upload()]}, format="multipart"
    )
    image, text = response.json()["files"]
    assert (image["width"], image["height"]) == (1000, 400)
    assert image["thumbnail"].startswith(f"{django_settings.PUBLIC_URL}/media/thumbnails/")
    stored = MessageFile.objects.get(message_id=response.json()["id"], width=1000)
    with Image.open(stored.thumbnail.path) as thumbnail:
        assert thumbnail.size == (320, 128)
    assert text == {"item": text["item"], "name": "notes.txt", "thumbnail": None, "width": None, "height": None}
    assert image["name"] == "photo.jpg"


def test_post_images_have_sizes_and_thumbnails(client_for, user: User) -> None:
    response = client_for(user).post("/api/posts/", {"images": [png_upload()]}, format="multipart")
    assert response.status_code == 201, response.content
    (detail,) = response.json()["image_details"]
    assert (detail["width"], detail["height"]) == (8, 8)
    assert detail["item"] == response.json()["images"][0] and detail["thumbnail"]
