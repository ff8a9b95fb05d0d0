"""Files in S3 through the API, against a real S3-compatible server (moto's, see conftest.py)."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image
from rest_framework.exceptions import ValidationError
from rest_framework.test import APIClient

from uploads.storage import S3Storage
from uploads.tests import helpers
from uploads.tests.conftest import Bucket
from uploads.tests.helpers import image_bytes, upload
from uploads.validators import clean_attachment, clean_image, clean_voice
from users.models import User

pytestmark = [pytest.mark.s3, pytest.mark.django_db]


def register(client: APIClient, avatar: Any, username: str = "alice") -> Any:
    return client.post(
        "/api/register/",
        {"username": username, "password": "Sup3r-secret-pass", "first_name": "A", "avatar": avatar},
        format="multipart",
    )


def key_of(url: str, bucket: Bucket) -> str:
    path = urlsplit(url).path
    prefix = f"/{bucket.name}/"
    assert path.startswith(prefix), url
    return path[len(prefix) :]


class TestAvatarThroughTheApi:
    def test_register_then_load_the_url(self, use_s3: Callable[..., Bucket], anon_client: APIClient) -> None:
        bucket = use_s3()
        original = helpers.jpeg_with_exif(size=(60, 30))
        response = register(anon_client, upload(original, "me.jpg", "image/jpeg"))
        assert response.status_code == 201, response.data

        url = response.data["avatar"]
        assert url.startswith(bucket.endpoint + "/")
        query = parse_qs(urlsplit(url).query)
        assert query["X-Amz-Expires"] == ["3600"]  # private bucket: a presigned URL
        key = key_of(url, bucket)
        assert bucket.keys() == [key]
        assert key.startswith("avatars/") and key.endswith(".jpg")
        assert User.objects.get(username="alice").avatar.name == key

        loaded = requests.get(url, timeout=10)
        assert loaded.status_code == 200
        assert loaded.content == bucket.read(key)
        assert loaded.headers["Content-Type"] == "image/jpeg"
        image = Image.open(io.BytesIO(loaded.content))
        image.verify()
        image = Image.open(io.BytesIO(loaded.content))
        assert image.size == (30, 60)  # orientation applied
        assert not image.getexif()  # metadata stripped before it was stored
        # private: the key alone gives nothing
        assert requests.get(f"{bucket.endpoint}/{bucket.name}/{key}", timeout=10).status_code == 403

    def test_same_url_in_every_response(self, use_s3: Callable[..., Bucket], client_for: Callable, user: User) -> None:
        bucket = use_s3(public_read=True)
        call_command("uploads_ensure_bucket", stdout=io.StringIO())
        api = client_for(user)
        patched = api.patch(f"/api/user/{user.id}/", {"avatar": upload(image_bytes(), "a.png")}, format="multipart")
        assert patched.status_code == 200, patched.data
        url = patched.data["avatar"]
        assert url == f"{bucket.endpoint}/{bucket.name}/{user.__class__.objects.get(pk=user.pk).avatar.name}"
        assert api.get(f"/api/user/{user.id}/").data["avatar"] == url
        assert api.get("/api/users/").data["results"][0]["avatar"] == url
        assert api.get("/api/user/current/").data["avatar"] == url
        loaded = requests.get(url, timeout=10)  # public-read: plain URL, no signature
        assert loaded.status_code == 200
        assert loaded.content == bucket.read(key_of(url, bucket))
        assert loaded.headers["Cache-Control"] == "public, max-age=31536000, immutable"

    def test_replace_then_remove_then_delete_user(
        self, use_s3: Callable[..., Bucket], client_for: Callable, user: User, django_capture_on_commit_callbacks
    ) -> None:
        bucket = use_s3()
        api = client_for(user)
        with django_capture_on_commit_callbacks(execute=True):
            first = api.patch(f"/api/user/{user.id}/", {"avatar": upload(image_bytes(), "1.png")}, format="multipart")
        first_key = key_of(first.data["avatar"], bucket)
        assert bucket.keys() == [first_key]

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            second = api.patch(f"/api/user/{user.id}/", {"avatar": upload(image_bytes(), "2.png")}, format="multipart")
        assert len(callbacks) == 1
        second_key = key_of(second.data["avatar"], bucket)
        assert bucket.keys() == [second_key]  # the replaced avatar is gone
        assert requests.get(second.data["avatar"], timeout=10).status_code == 200

        with django_capture_on_commit_callbacks(execute=True):
            cleared = api.patch(f"/api/user/{user.id}/", {"avatar": None}, format="json")
        assert cleared.data["avatar"] is None
        assert bucket.keys() == []

        with django_capture_on_commit_callbacks(execute=True):
            api.patch(f"/api/user/{user.id}/", {"avatar": upload(image_bytes(), "3.png")}, format="multipart")
        assert len(bucket.keys()) == 1
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert api.delete(f"/api/user/{user.id}/").status_code == 204
        assert len(bucket.keys()) == 1  # nothing is deleted before the commit...
        for callback in callbacks:
            callback()
        assert bucket.keys() == []  # ...and everything after it

    @pytest.mark.parametrize(
        "content",
        [b"not an image", helpers.png_bomb(), image_bytes("PNG", (40, 40))[:70]],
        ids=["text", "bomb", "truncated"],
    )
    def test_invalid_avatar_refused_nothing_stored(
        self, use_s3: Callable[..., Bucket], anon_client: APIClient, content: bytes
    ) -> None:
        bucket = use_s3()
        response = register(anon_client, upload(content, "avatar.png", "image/png"))
        assert response.status_code == 400
        assert response.data["code"] == "invalid"
        assert list(response.data) >= ["avatar"] or "avatar" in response.data
        assert not User.objects.filter(username="alice").exists()
        assert bucket.keys() == []

    def test_invalid_avatar_on_patch_keeps_the_old_one(
        self, use_s3: Callable[..., Bucket], client_for: Callable, user: User, django_capture_on_commit_callbacks
    ) -> None:
        bucket = use_s3()
        api = client_for(user)
        with django_capture_on_commit_callbacks(execute=True):
            api.patch(f"/api/user/{user.id}/", {"avatar": upload(image_bytes(), "a.png")}, format="multipart")
        before = bucket.keys()
        with django_capture_on_commit_callbacks(execute=True):
            fake = upload(b"GIF89a but not really", "x.gif", "image/gif")
            response = api.patch(f"/api/user/{user.id}/", {"avatar": fake}, format="multipart")
        assert response.status_code == 400
        assert "avatar" in response.data
        assert bucket.keys() == before


class TestUrls:
    def test_presigned_url_expires(self, use_s3: Callable[..., Bucket]) -> None:
        bucket = use_s3(lifetime=1)
        name = default_storage.save("avatars/ab/expiring.jpg", ContentFile(image_bytes("JPEG")))
        url = default_storage.url(name)
        assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["1"]
        assert requests.get(url, timeout=10).status_code == 200
        time.sleep(2.2)
        expired = requests.get(url, timeout=10)
        assert expired.status_code == 403
        assert b"expired" in expired.content
        assert bucket.read(name)  # the object is still there: only the URL expired

    def test_tampered_presigned_url_refused(self, use_s3: Callable[..., Bucket]) -> None:
        use_s3()
        name = default_storage.save("avatars/ab/one.jpg", ContentFile(b"one"))
        default_storage.save("avatars/ab/two.jpg", ContentFile(b"two"))
        url = default_storage.url(name)
        assert requests.get(url.replace("one.jpg", "two.jpg"), timeout=10).status_code == 403

    def test_public_endpoint_signs_for_the_browser_host(self, use_s3: Callable[..., Bucket], s3_endpoint: str) -> None:
        public = s3_endpoint.replace("127.0.0.1", "localhost")
        bucket = use_s3(public_endpoint_url=public)
        name = default_storage.save("voice/ab/v.ogg", ContentFile(helpers.OGG_OPUS))
        url = default_storage.url(name)
        assert url.startswith(f"{public}/{bucket.name}/voice/ab/v.ogg?")
        loaded = requests.get(url, timeout=10)
        assert loaded.status_code == 200
        assert loaded.content == helpers.OGG_OPUS
        assert loaded.headers["Content-Type"] == "audio/ogg"
        # the same signature presented to another host is refused, as S3 does
        assert requests.get(url.replace("localhost", "127.0.0.1"), timeout=10).status_code == 403

    def test_public_url_custom_domain(self, use_s3: Callable[..., Bucket], s3_endpoint: str) -> None:
        # S3_PUBLIC_URL: a CDN or custom domain in front of the bucket; here the bucket's own path-style address.
        bucket = use_s3(public_read=True, public_url=lambda name: f"{s3_endpoint}/{name}")
        call_command("uploads_ensure_bucket", stdout=io.StringIO())
        name = default_storage.save("attachments/ab/report.pdf", ContentFile(b"%PDF-1.4"))
        url = default_storage.url(name)
        assert url == f"{s3_endpoint}/{bucket.name}/attachments/ab/report.pdf"
        assert requests.get(url, timeout=10).content == b"%PDF-1.4"

    def test_object_headers_decided_by_the_server(self, use_s3: Callable[..., Bucket]) -> None:
        bucket = use_s3()
        html = clean_attachment(upload(b"<script>alert(1)</script>", "page.html", "image/png"))
        name = default_storage.save(f"attachments/ab/{html.name}", html)
        head = bucket.head(name)
        assert head["ContentType"] == "text/html"
        assert head["ContentDisposition"] == "attachment"  # downloaded, never rendered
        pdf = default_storage.save("attachments/ab/doc.pdf", ContentFile(b"%PDF"))
        assert "ContentDisposition" not in bucket.head(pdf)
        assert bucket.head(pdf)["CacheControl"] == "private, max-age=3600"


class TestFilesRefusedBeforeStorage:
    """Until the message endpoints exist, the validators they call are exercised here against the bucket."""

    def test_fake_voice_refused_nothing_written(self, use_s3: Callable[..., Bucket]) -> None:
        bucket = use_s3()
        with pytest.raises(ValidationError):
            clean_voice(upload(b"hello, I am text", "voice.ogg", "audio/ogg"))
        assert bucket.keys() == []

    def test_voice_and_files_stored_and_loadable(self, use_s3: Callable[..., Bucket]) -> None:
        bucket = use_s3()
        voice = clean_voice(upload(helpers.WAV, "rec", "audio/wav"))
        attachment = clean_attachment(upload(b"plain text", "notes.txt", "text/plain"))
        image = clean_image(upload(image_bytes("PNG", (10, 10), "RGBA", (0, 0, 0, 0)), "chat.png", "image/png"))
        for prefix, file in (("voice", voice), ("attachments", attachment), ("chat-avatars", image)):
            name = default_storage.save(f"{prefix}/ab/{file.name}", file)
            loaded = requests.get(default_storage.url(name), timeout=10)
            assert loaded.status_code == 200
            assert loaded.content == bucket.read(name)
        assert len(bucket.keys()) == 3

    def test_storage_backend_is_django_storages(self, use_s3: Callable[..., Bucket]) -> None:
        use_s3()
        from storages.backends.s3 import S3Storage as DjangoStoragesS3

        assert isinstance(default_storage, S3Storage)
        assert isinstance(default_storage, DjangoStoragesS3)
