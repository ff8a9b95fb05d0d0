"""Storage chosen by the environment: the settings module itself, run with the variables a deployment sets."""

from __future__ import annotations

import os
import runpy
from pathlib import Path
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from application.s3 import StorageConfigError, s3_storage

ROOT = Path(__file__).resolve().parents[2]


def probe(**env: str) -> dict:
    """Evaluate application/settings.py with these variables, then build the default storage it configures."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("S3_")}
    with mock.patch.dict(os.environ, {**clean, "PUBLIC_URL": "https://chat.example", **env}, clear=True):
        try:
            module = runpy.run_path(str(ROOT / "application" / "settings.py"))
        except ImproperlyConfigured as exc:
            return {"error": f"ImproperlyConfigured: {exc}"}
    default = module["STORAGES"]["default"]
    options = dict(default.get("OPTIONS", {}))
    if default["BACKEND"].endswith("FileSystemStorage"):
        options = {"location": module["MEDIA_ROOT"], "base_url": module["MEDIA_URL"]}
    storage = import_string(default["BACKEND"])(**options)
    return {
        "class": f"{type(storage).__module__}.{type(storage).__name__}",
        "url": storage.url("avatars/ab/x.jpg"),
        "options": options,
    }


class TestSettingsFromEnvironment:
    def test_local_disk_without_s3(self) -> None:
        found = probe()
        assert found["class"] == "django.core.files.storage.filesystem.FileSystemStorage"
        assert found["url"] == "https://chat.example/media/avatars/ab/x.jpg"

    def test_yandex_object_storage_presigned(self) -> None:
        found = probe(
            S3_BUCKET="messenger-media",
            S3_ENDPOINT_URL="https://storage.yandexcloud.net",
            S3_REGION="ru-central1",
            S3_ACCESS_KEY_ID="YCAJEexample",
            S3_SECRET_ACCESS_KEY="YCMexample",
            S3_URL_LIFETIME="600",
        )
        assert found["class"] == "uploads.storage.S3Storage"
        assert found["url"].startswith("https://storage.yandexcloud.net/messenger-media/avatars/ab/x.jpg?")
        assert "X-Amz-Expires=600" in found["url"]
        assert "X-Amz-Credential=YCAJEexample%2F" in found["url"]
        assert "%2Fru-central1%2Fs3%2Faws4_request" in found["url"]
        assert found["options"]["addressing_style"] == "path"

    def test_aws_public_read_virtual_hosted(self) -> None:
        found = probe(S3_BUCKET="messenger-media", S3_REGION="eu-central-1", S3_PUBLIC_READ="on")
        assert found["url"] == "https://messenger-media.s3.eu-central-1.amazonaws.com/avatars/ab/x.jpg"

    def test_minio_behind_a_public_url(self) -> None:
        found = probe(
            S3_BUCKET="messenger",
            S3_ENDPOINT_URL="http://minio:9000",
            S3_PUBLIC_READ="on",
            S3_PUBLIC_URL="http://localhost:9000/messenger",
        )
        assert found["url"] == "http://localhost:9000/messenger/avatars/ab/x.jpg"

    def test_minio_presigned_for_the_published_port(self) -> None:
        found = probe(
            S3_BUCKET="messenger",
            S3_ENDPOINT_URL="http://minio:9000",
            S3_PUBLIC_ENDPOINT_URL="http://localhost:9000",
            S3_ACCESS_KEY_ID="minioadmin",
            S3_SECRET_ACCESS_KEY="minioadmin",
        )
        assert found["url"].startswith("http://localhost:9000/messenger/avatars/ab/x.jpg?X-Amz-Algorithm=")

    def test_public_objects_through_the_public_endpoint(self) -> None:
        found = probe(
            S3_BUCKET="messenger",
            S3_ENDPOINT_URL="http://minio:9000",
            S3_PUBLIC_ENDPOINT_URL="http://localhost:9000",
            S3_PUBLIC_READ="on",
        )
        assert found["url"] == "http://localhost:9000/messenger/avatars/ab/x.jpg"

    @pytest.mark.parametrize(
        ("env", "message"),
        [
            ({"S3_URL_LIFETIME": "0"}, "S3_URL_LIFETIME"),
            ({"S3_URL_LIFETIME": "604801"}, "S3_URL_LIFETIME"),
            ({"S3_PUBLIC_URL": "https://cdn.example"}, "S3_PUBLIC_READ=on"),
            ({"S3_ADDRESSING_STYLE": "sideways"}, "S3_ADDRESSING_STYLE"),
        ],
    )
    def test_bad_combinations_stop_the_start(self, env: dict[str, str], message: str) -> None:
        found = probe(S3_BUCKET="b-u-c", **env)
        assert "ImproperlyConfigured" in found["error"]
        assert message in found["error"]


def test_public_url_must_be_absolute() -> None:
    with pytest.raises(StorageConfigError, match="absolute"):
        s3_storage(bucket="b-u-c", public_read=True, public_url="cdn.example")
