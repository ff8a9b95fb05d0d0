"""The S3 storage backend (django-storages) with the few things this service adds, and storage-agnostic helpers.

- URLs for browsers: an optional public endpoint, so that a backend talking to `http://minio:9000` still hands out
  URLs for `http://localhost:9000` (presigned URLs are signed for the host the browser will use).
- Object headers decided by the server, never by the client's declared type: the content type is derived from the
  (sanitized) name, files a browser would render as active content are served as downloads, and the cache lifetime
  matches the URL mode (keys are random and never rewritten, so public objects are immutable).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from datetime import datetime
from functools import cached_property
from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from django.core.files.storage import FileSystemStorage, Storage
from django.utils import timezone
from storages.backends import s3
from storages.utils import clean_name

# Shown in the browser when loaded as-is; anything else (html, svg, xml, scripts...) is sent as a download.
INLINE_CONTENT_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf", "text/plain")
INLINE_PREFIXES = ("audio/", "video/")


def content_headers(name: str) -> dict[str, str]:
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    headers = {"ContentType": content_type}
    if not (content_type in INLINE_CONTENT_TYPES or content_type.startswith(INLINE_PREFIXES)):
        headers["ContentDisposition"] = "attachment"
    return headers


class S3Storage(s3.S3Storage):
    def get_default_settings(self) -> dict[str, Any]:
        return {**super().get_default_settings(), "public_endpoint_url": None}

    def get_object_parameters(self, name: str) -> dict[str, Any]:
        cache = "public, max-age=31536000, immutable" if not self.querystring_auth else "private, max-age=3600"
        return {"CacheControl": cache, **content_headers(name), **super().get_object_parameters(name)}

    @cached_property
    def _public_client(self) -> Any:
        signed = self.querystring_auth
        config = Config(
            s3={"addressing_style": self.addressing_style},
            signature_version=self.signature_version if signed else UNSIGNED,
        )
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.public_endpoint_url,
            region_name=self.region_name,
            aws_access_key_id=self.access_key if signed else None,
            aws_secret_access_key=self.secret_key if signed else None,
            aws_session_token=self.security_token if signed else None,
            config=config,
        )

    def url(self, name: str, parameters: dict | None = None, expire: int | None = None, http_method: str | None = None):
        if self.custom_domain or not self.public_endpoint_url:
            return super().url(name, parameters=parameters, expire=expire, http_method=http_method)
        params = {**(parameters or {}), "Bucket": self.bucket_name, "Key": self._normalize_name(clean_name(name))}
        return self._public_client.generate_presigned_url(
            "get_object",
            Params=params,
            ExpiresIn=expire if expire is not None else self.querystring_expire,
            HttpMethod=http_method,
        )


def is_s3(storage: Storage) -> bool:
    return isinstance(storage, s3.S3Storage)


def iter_stored(storage: Storage, prefix: str) -> Iterator[tuple[str, datetime]]:
    """Every stored name under `prefix/` with its modification time (one listing per 1000 keys on S3)."""
    prefix = prefix.strip("/") + "/"
    if is_s3(storage):
        location = f"{storage.location.strip('/')}/" if storage.location else ""
        for obj in storage.bucket.objects.filter(Prefix=location + prefix):
            yield obj.key[len(location) :], obj.last_modified
        return
    if isinstance(storage, FileSystemStorage) and not storage.exists(prefix):
        return
    stack = [prefix.rstrip("/")]
    while stack:
        folder = stack.pop()
        dirs, files = storage.listdir(folder)
        stack.extend(f"{folder}/{d}" for d in dirs)
        for file in files:
            name = f"{folder}/{file}"
            modified = storage.get_modified_time(name)
            yield name, modified if timezone.is_aware(modified) else timezone.make_aware(modified)
