"""The whole file flow of the contract in S3: avatars, a group chat's avatar, a message's files and voice note.

Every URL from the API and from the realtime events loads as-is and gives back the stored bytes; deleting the
message, then the chat, removes their objects once the transaction commits; refused files leave nothing behind.
"""

from __future__ import annotations

import io
import json
import wave
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from PIL import Image
from rest_framework.test import APIClient

from centrifugo.models import OutboxEvent
from uploads.tests import helpers
from uploads.tests.conftest import Bucket
from uploads.tests.helpers import image_bytes, upload
from users.models import User

pytestmark = [pytest.mark.s3, pytest.mark.django_db]


def wav_bytes(seconds: float = 0.1) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x01" * int(8000 * seconds))
    return buffer.getvalue()


def key_of(url: str, bucket: Bucket) -> str:
    path = urlsplit(url).path
    assert path.startswith(f"/{bucket.name}/"), url
    return path[len(bucket.name) + 2 :]


def load(url: str, bucket: Bucket) -> bytes:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, (url, response.content[:200])
    assert response.content == bucket.read(key_of(url, bucket))
    return response.content


@pytest.fixture
def people(make_user: Callable[..., User], client_for: Callable[[User], APIClient]) -> tuple[APIClient, APIClient]:
    return client_for(make_user()), client_for(make_user())


class TestMessageFilesInS3:
    def test_register_chat_message_load_everything_then_delete(
        self,
        use_s3: Callable[..., Bucket],
        anon_client: APIClient,
        client_for: Callable[[User], APIClient],
        make_user: Callable[..., User],
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        bucket = use_s3()
        registered = anon_client.post(
            "/api/register/",
            {"username": "alice", "password": "Sup3r-secret-pass", "avatar": upload(image_bytes(), "me.png")},
            format="multipart",
        )
        assert registered.status_code == 201, registered.data
        Image.open(io.BytesIO(load(registered.data["avatar"], bucket))).verify()

        alice = client_for(User.objects.get(username="alice"))
        bob = make_user()
        chat = alice.post(
            "/api/chats/",
            {"members": [str(bob.id)], "title": "Team", "avatar": upload(image_bytes("PNG", (20, 20)), "team.png")},
            format="multipart",
        )
        assert chat.status_code == 201, chat.data
        chat_avatar = chat.json()["avatar"]
        assert key_of(chat_avatar, bucket).startswith("chat-avatars/")
        Image.open(io.BytesIO(load(chat_avatar, bucket))).verify()

        voice, first, second = wav_bytes(), b"%PDF-1.4 first file", b"second file, plain text"
        sent = alice.post(
            "/api/messages/",
            {
                "chat": chat.json()["id"],
                "text": "files",
                "voice": upload(voice, "recording.wav", "audio/wav"),
                "files": [upload(first, "report.pdf", "application/pdf"), upload(second, "notes.txt", "text/plain")],
            },
            format="multipart",
        )
        assert sent.status_code == 201, sent.data
        body = sent.json()
        assert load(body["voice"], bucket) == voice
        assert key_of(body["voice"], bucket).startswith("voice/")
        assert [load(f["item"], bucket) for f in body["files"]] == [first, second]
        assert all(key_of(f["item"], bucket).startswith("attachments/") for f in body["files"])
        assert len(bucket.keys()) == 5

        # the realtime event carries URLs that load just the same
        event = json.dumps([e.data for e in OutboxEvent.objects.order_by("-id")[:3]])
        for key in (key_of(body["voice"], bucket), *(key_of(f["item"], bucket) for f in body["files"])):
            assert key in event
        for url in _urls_in(json.loads(event)):
            if bucket.name in url:
                load(url, bucket)

        message_keys = {key_of(body["voice"], bucket), *(key_of(f["item"], bucket) for f in body["files"])}
        with django_capture_on_commit_callbacks(execute=True):
            assert alice.delete(f"/api/message/{body['id']}/").status_code == 204
        assert not message_keys & set(bucket.keys())
        assert len(bucket.keys()) == 2  # the two avatars

        alice.post(
            "/api/messages/",
            {"chat": chat.json()["id"], "files": [upload(b"left behind?", "x.txt", "text/plain")]},
            format="multipart",
        )
        assert len(bucket.keys()) == 3
        with django_capture_on_commit_callbacks(execute=True):
            assert alice.delete(f"/api/chat/{chat.json()['id']}/").status_code == 204
        assert bucket.keys() == [key_of(registered.data["avatar"], bucket)]

    def test_fake_voice_and_bad_chat_avatar_refused_nothing_written(
        self, use_s3: Callable[..., Bucket], people: tuple[APIClient, APIClient]
    ) -> None:
        bucket = use_s3()
        alice, bob = people
        chat = alice.post("/api/chats/", {"members": [str(bob.user.id)], "title": "T"}, format="json")
        assert chat.status_code == 201, chat.data
        for voice in (
            upload(b"I am a text file", "voice.ogg", "audio/ogg"),
            upload(image_bytes(), "voice.webm", "audio/webm"),
            upload(helpers.OGG_OPUS, "voice.ogg", "text/plain"),
        ):
            response = alice.post(
                "/api/messages/",
                {"chat": chat.json()["id"], "voice": voice, "files": [upload(b"ok", "ok.txt", "text/plain")]},
                format="multipart",
            )
            assert response.status_code == 400
            assert "voice" in response.json()
        bad_avatar = alice.post(
            "/api/chats/",
            {"members": [str(bob.user.id)], "title": "T2", "avatar": upload(helpers.png_bomb(), "a.png", "image/png")},
            format="multipart",
        )
        assert bad_avatar.status_code == 400
        assert "avatar" in bad_avatar.json()
        assert bucket.keys() == []


def _urls_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.startswith("http") else []
    if isinstance(value, dict):
        return [url for item in value.values() for url in _urls_in(item)]
    if isinstance(value, list):
        return [url for item in value for url in _urls_in(item)]
    return []
