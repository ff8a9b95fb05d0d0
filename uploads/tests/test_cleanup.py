"""No orphans: on-commit deletion helpers, the orphan clean-up command and the bucket command."""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import transaction

from accounts.services import account_delete
from chats.services import chat_create
from messages.models import Message, MessageFile
from messages.services import message_create
from uploads.buckets import PUBLIC_READ_SID
from uploads.cleanup import collect_file_names, delete_files_on_commit, delete_with_files, file_fields
from uploads.tests import helpers
from uploads.tests.conftest import Bucket
from uploads.tests.helpers import image_bytes, upload
from users.models import User

pytestmark = pytest.mark.django_db


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out, stderr=out)
    return out.getvalue()


def stored_names() -> set[str]:
    names = set()
    for prefix in ("avatars", "chat-avatars", "voice", "attachments", "other"):
        if default_storage.exists(prefix):
            stack = [prefix]
            while stack:
                folder = stack.pop()
                dirs, files = default_storage.listdir(folder)
                stack += [f"{folder}/{d}" for d in dirs]
                names |= {f"{folder}/{f}" for f in files}
    return names


def age(name: str, hours: float) -> None:
    """Make a file on disk look `hours` old."""
    path = default_storage.path(name)
    past = time.time() - hours * 3600
    os.utime(path, (past, past))


class TestDiscovery:
    def test_every_file_field_of_every_app(self) -> None:
        found = {(str(item), item.prefix) for item in file_fields()}
        assert ("users.User.avatar", "avatars") in found
        assert ("chats.Chat.avatar", "chat-avatars") in found
        assert ("chat_messages.Message.voice", "voice") in found
        assert ("chat_messages.MessageFile.item", "attachments") in found
        assert ("posts.PostImage.file", "posts") in found


class TestOnCommitHelpers:
    def test_deleted_only_after_commit_and_kept_on_rollback(
        self, user: User, django_capture_on_commit_callbacks: Any
    ) -> None:
        name = default_storage.save("avatars/ab/x.jpg", ContentFile(b"x"))
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            delete_files_on_commit(name, None, "")
        assert default_storage.exists(name)
        assert len(callbacks) == 1
        callbacks[0]()
        assert not default_storage.exists(name)

        kept = default_storage.save("avatars/ab/y.jpg", ContentFile(b"y"))
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
            delete_files_on_commit(kept)
            raise RuntimeError("rolled back")
        assert default_storage.exists(kept)

    def test_a_failed_deletion_is_logged_not_raised(
        self, django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        class Broken:
            def delete(self, name: str) -> None:
                raise OSError("storage is down")

        from django.core.files.storage import Storage

        broken = type("BrokenStorage", (Broken, Storage), {})()
        with django_capture_on_commit_callbacks(execute=True):
            delete_files_on_commit((broken, "voice/ab/v.ogg"))
        assert "could not delete stored file voice/ab/v.ogg" in caplog.text

    def test_deleting_a_user_removes_the_files_of_cascaded_rows(
        self, make_user: Callable[..., User], django_capture_on_commit_callbacks: Any
    ) -> None:
        alice, bob = make_user(), make_user()
        alice.avatar = upload(image_bytes(), "a.png", "image/png")
        alice.save()
        chat = chat_create(creator=bob, members=[alice.pk], title="T").chat
        mine = Message.objects.get(
            pk=message_create(
                sender=alice,
                chat_id=chat.pk,
                text="hi",
                voice=upload(helpers.OGG_OPUS, "v.ogg", "audio/ogg"),
                files=[upload(b"1", "1.txt"), upload(b"2", "2.txt")],
            ).row.id
        )
        theirs = Message.objects.get(
            pk=message_create(sender=bob, chat_id=chat.pk, text="yo", files=[upload(b"3", "3.txt")]).row.id
        )
        alice_files = {alice.avatar.name, mine.voice.name, *(f.item.name for f in mine.files.all())}
        assert {name for _, name in collect_file_names(alice)} == alice_files

        with django_capture_on_commit_callbacks(execute=True):
            account_delete(actor=alice, user_id=alice.pk)
        assert not Message.objects.filter(pk=mine.pk).exists()
        assert stored_names() == {theirs.files.get().item.name}

    def test_delete_with_files_on_a_queryset(self, user: User, django_capture_on_commit_callbacks: Any) -> None:
        chat = chat_create(creator=user, members=[], title="T").chat
        messages = [
            Message.objects.get(
                pk=message_create(sender=user, chat_id=chat.pk, text="", files=[upload(b"%d" % n, f"{n}.txt")]).row.id
            )
            for n in range(3)
        ]
        with django_capture_on_commit_callbacks(execute=True):
            deleted = delete_with_files(MessageFile.objects.filter(message__in=messages[:2]))
        assert deleted == 2
        assert stored_names() == {messages[2].files.get().item.name}


class TestOrphansOnDisk:
    def test_dry_run_then_delete(self, user: User) -> None:
        user.avatar = upload(image_bytes(), "a.png", "image/png")
        user.save()
        referenced = user.avatar.name
        orphan = default_storage.save("avatars/cd/orphan.jpg", ContentFile(b"o"))
        recent = default_storage.save("attachments/ef/recent.txt", ContentFile(b"r"))
        outside = default_storage.save("other/keep.txt", ContentFile(b"k"))
        for name in (referenced, orphan, outside):
            age(name, 48)

        output = run("uploads_cleanup_orphans", "--dry-run")
        assert f"orphan {orphan}" in output
        assert "1 orphan(s) found" in output
        assert stored_names() == {referenced, orphan, recent, outside}

        output = run("uploads_cleanup_orphans")
        assert f"deleted {orphan}" in output
        assert stored_names() == {referenced, recent, outside}  # referenced, too recent, not ours

        run("uploads_cleanup_orphans", "--older-than", "0")
        assert stored_names() == {referenced, outside}

    def test_nothing_stored_yet(self) -> None:
        assert "0 orphan(s) deleted" in run("uploads_cleanup_orphans", "--older-than", "0")


@pytest.mark.s3
class TestOrphansInS3:
    def test_lists_the_bucket_and_deletes_unreferenced(
        self, use_s3: Callable[..., Bucket], user: User, make_user: Callable[..., User]
    ) -> None:
        bucket = use_s3()
        user.avatar = upload(image_bytes(), "a.png", "image/png")
        user.save()
        chat = chat_create(creator=user, members=[], title="T").chat
        message = Message.objects.get(
            pk=message_create(
                sender=user, chat_id=chat.pk, text="", voice=upload(helpers.WAV, "v.wav", "audio/wav")
            ).row.id
        )
        for key in ("avatars/aa/orphan.jpg", "voice/bb/orphan.ogg", "attachments/cc/orphan.txt", "backups/db.sql"):
            bucket.put(key)
        referenced = {user.avatar.name, message.voice.name}

        output = run("uploads_cleanup_orphans", "--older-than", "0", "--dry-run")
        assert "3 orphan(s) found" in output
        assert len(bucket.keys()) == 6

        recent_kept = run("uploads_cleanup_orphans", "--older-than", "1")
        assert "0 orphan(s) deleted" in recent_kept

        output = run("uploads_cleanup_orphans", "--older-than", "0")
        assert "3 orphan(s) deleted, 0 failed" in output
        assert set(bucket.keys()) == referenced | {"backups/db.sql"}


@pytest.mark.s3
class TestEnsureBucket:
    def test_creates_a_missing_private_bucket_idempotently(self, use_s3: Callable[..., Bucket]) -> None:
        bucket = use_s3(create=False)
        assert bucket.name not in {b["Name"] for b in bucket.client.list_buckets()["Buckets"]}
        assert f"bucket {bucket.name} created" in run("uploads_ensure_bucket")
        assert bucket.client.get_bucket_location(Bucket=bucket.name)["LocationConstraint"] == "ru-central1"
        assert f"bucket {bucket.name} exists" in run("uploads_ensure_bucket")
        name = default_storage.save("avatars/ab/p.jpg", ContentFile(b"p"))
        assert requests.get(f"{bucket.endpoint}/{bucket.name}/{name}", timeout=10).status_code == 403
        assert requests.get(default_storage.url(name), timeout=10).status_code == 200

    def test_public_read_policy(self, use_s3: Callable[..., Bucket]) -> None:
        bucket = use_s3(public_read=True, create=False)
        output = run("uploads_ensure_bucket")
        assert "created" in output and "public-read" in output
        policy = json.loads(bucket.client.get_bucket_policy(Bucket=bucket.name)["Policy"])
        assert policy["Statement"][0]["Sid"] == PUBLIC_READ_SID
        assert policy["Statement"][0]["Action"] == ["s3:GetObject"]
        name = default_storage.save("avatars/ab/p.jpg", ContentFile(b"p"))
        url = default_storage.url(name)
        assert "X-Amz-Signature" not in url
        assert requests.get(url, timeout=10).content == b"p"

    def test_warns_when_a_public_policy_remains(self, use_s3: Callable[..., Bucket], settings: Any) -> None:
        bucket = use_s3(public_read=True, create=False)
        run("uploads_ensure_bucket")
        settings.S3_PUBLIC_READ = False
        assert "warning" in run("uploads_ensure_bucket")
        assert bucket.client.get_bucket_policy(Bucket=bucket.name)

    def test_unreachable_endpoint_is_a_clear_error(self, use_s3: Callable[..., Bucket], settings: Any) -> None:
        use_s3(create=False)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                **settings.STORAGES["default"],
                "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "endpoint_url": "http://127.0.0.1:9"},
            },
        }
        with pytest.raises(CommandError, match="cannot reach the S3 endpoint"):
            run("uploads_ensure_bucket", "--wait", "0")

    def test_local_storage_creates_media_root(self, settings: Any, tmp_path: Any) -> None:
        settings.MEDIA_ROOT = tmp_path / "new-media"
        assert "is ready" in run("uploads_ensure_bucket")
        assert settings.MEDIA_ROOT.is_dir()
